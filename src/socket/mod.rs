//! One socket's state: what it is, where it is bound and connected, its options, and its
//! receive queue.

pub(crate) mod options;
pub(crate) mod queue;

use std::collections::{BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};

use crate::net::packet::Transport;
use crate::net::ports::SockKey;
use crate::net::topology::HostId;
use crate::wire::sockaddr::Family;

pub(crate) use options::SockOpts;
pub(crate) use queue::{Arrived, Entry, Header, RecvQueue};

/// What kind of socket this is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SockKind {
    /// SOCK_DGRAM / IPPROTO_UDP.
    Udp,
    /// SOCK_RAW with an IP protocol number.
    Raw(u8),
    /// SOCK_STREAM. The simulator has no TCP: such a socket can be created, bound and
    /// configured, and behaves as a TCP socket that never connects (see the README).
    Stream,
    /// SOCK_RDM over one of the simulator's reliable message protocols: with `partial`, a
    /// message larger than the buffers is delivered in parts (MSG_PARTIAL); without, the
    /// receive fails with WSAEMSGSIZE and the message stays queued (LPWSPRECVFROM page).
    Reliable {
        /// XP1_PARTIAL_MESSAGE.
        partial: bool,
    },
}

impl SockKind {
    /// The SOCK_* value.
    pub fn sock_type(self) -> i32 {
        match self {
            SockKind::Udp => 2,
            SockKind::Raw(_) => 3,
            SockKind::Stream => 1,
            SockKind::Reliable { .. } => 4,
        }
    }

    /// The IP protocol number of a reliable message protocol.
    pub fn reliable_protocol(partial: bool) -> u8 {
        if partial {
            crate::catalog::IPPROTO_SIM_RM as u8
        } else {
            crate::catalog::IPPROTO_SIM_RDM as u8
        }
    }

    /// Whether this is a message-oriented socket (SOCK_DGRAM, SOCK_RAW, SOCK_RDM).
    pub fn is_datagram(self) -> bool {
        !matches!(self, SockKind::Stream)
    }

    pub(crate) fn transport(self) -> Transport {
        match self {
            SockKind::Udp => Transport::Udp,
            SockKind::Raw(p) => Transport::Raw(p),
            SockKind::Stream => Transport::Tcp,
            SockKind::Reliable { partial } => Transport::Reliable(Self::reliable_protocol(partial)),
        }
    }
}

/// A socket.
#[derive(Debug)]
pub(crate) struct Socket {
    pub handle: usize,
    pub key: SockKey,
    pub host: HostId,
    pub family: Family,
    pub kind: SockKind,
    /// The catalogue entry it was made from (SO_PROTOCOL_INFO; ws2 calls its provider).
    pub catalog_id: u32,
    /// Whose behaviour it reproduces (CONTRACT.md, section W).
    pub personality: crate::stack::Personality,
    /// A reliable message socket whose peer closed the circuit gracefully: receives fail
    /// with WSAEDISCON once the queue is empty.
    pub discon: bool,
    /// Created with WSA_FLAG_OVERLAPPED (socket() sets it, as on Windows).
    pub overlapped: bool,
    /// FIONBIO.
    pub nonblocking: bool,
    /// The bound address, as the socket's family sees it (an IPv6 socket may hold a v4-mapped
    /// address).
    pub local: Option<SocketAddr>,
    /// The port-table key of the binding, to release it on close.
    pub bound_port: Option<(Transport, u16)>,
    /// The connected peer (as the socket's family sees it).
    pub peer: Option<SocketAddr>,
    /// For a socket bound to a wildcard address and connected: the local address the route
    /// to the peer chose, which getsockname reports ("the local association that has been
    /// set by the system", getsockname page).
    pub conn_local: Option<IpAddr>,
    /// Wine 8 only: the foreign IPv4 address a bind() accepted while binding the wildcard
    /// address; getsockname reports it.
    pub wine_shown: Option<IpAddr>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    pub opts: SockOpts,
    /// Multicast groups joined, with the interface index (0: the default interface).
    pub groups: BTreeSet<(IpAddr, u32)>,
    pub queue: RecvQueue,
    /// Pending overlapped receives, in posting order (request ids).
    pub pending: VecDeque<u64>,
    /// The completion port and key (CreateIoCompletionPort).
    pub port: Option<(u64, usize)>,
    /// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS.
    pub skip_port_on_success: bool,
    /// FILE_SKIP_SET_EVENT_ON_HANDLE (no effect on an explicit hEvent).
    pub skip_set_event: bool,
    /// The route its last plain unicast send resolved (see `stack::route_cache`).
    pub route: Option<crate::stack::CachedRoute>,
}

impl Socket {
    pub fn new(
        handle: usize,
        key: SockKey,
        host: HostId,
        (family, kind, catalog_id): (Family, SockKind, u32),
        overlapped: bool,
        rcvbuf: u32,
    ) -> Self {
        Socket {
            handle,
            key,
            host,
            family,
            kind,
            catalog_id,
            personality: crate::stack::Personality::Windows,
            discon: false,
            overlapped,
            nonblocking: false,
            local: None,
            bound_port: None,
            peer: None,
            conn_local: None,
            wine_shown: None,
            shut_rd: false,
            shut_wr: false,
            opts: SockOpts::new(rcvbuf),
            groups: BTreeSet::new(),
            queue: RecvQueue::default(),
            pending: VecDeque::new(),
            port: None,
            skip_port_on_success: false,
            skip_set_event: false,
            route: None,
        }
    }

    /// The largest datagram payload this socket can send (SO_MAX_MSG_SIZE): 65535 minus the
    /// IPv4 and UDP headers (65507), or the IPv6 payload limit minus UDP's (65527). Wine's
    /// test_extendedSocketOptions accepts both values on real Windows.
    pub fn max_msg_size(&self) -> u32 {
        match (self.kind, self.family) {
            (SockKind::Raw(_), Family::V4) => 65515,
            (SockKind::Raw(_), Family::V6) => 65535,
            (_, Family::V4) => 65507,
            (_, Family::V6) => 65527,
        }
    }

    /// It reproduces Wine 8.
    pub fn wine8(&self) -> bool {
        self.personality == crate::stack::Personality::Wine8
    }

    /// Whether this IPv6 socket also carries IPv4 (IPV6_V6ONLY off).
    pub fn dual_stack(&self) -> bool {
        self.family == Family::V6 && !self.opts.v6only
    }
}
