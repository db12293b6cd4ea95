//! What travels on the virtual network.

use std::net::SocketAddr;

use bytes::Bytes;

use super::ports::SockKey;
use super::topology::HostId;

/// Identifies one copy of a datagram on the network. A duplicated datagram gets a new id, so
/// every copy is accounted for separately.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatagramId(pub(crate) u64);

impl core::fmt::Display for DatagramId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "d{}", self.0)
    }
}

/// The transport a datagram belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// TCP ports (only bound, never used: the simulator has no TCP).
    Tcp,
    /// UDP: demultiplexed by port.
    Udp,
    /// A raw IP protocol number: every raw socket of that protocol sees a copy.
    Raw(u8),
    /// One of the simulator's reliable message protocols (IP protocol 253 or 254):
    /// demultiplexed by port like UDP; never lost, duplicated or reordered.
    Reliable(u8),
}

impl Transport {
    /// Delivery is guaranteed: fault rules and SO_RCVBUF never drop its datagrams (a real
    /// reliable protocol would retransmit and apply flow control instead).
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Reliable(_))
    }

    /// Demultiplexed by port (UDP and the reliable message protocols).
    pub fn has_ports(self) -> bool {
        matches!(self, Transport::Udp | Transport::Reliable(_))
    }
}

/// How the destination address classifies a datagram; this decides MSG_BCAST / MSG_MCAST.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cast {
    /// One destination host.
    Unicast,
    /// A broadcast address (limited or subnet-directed).
    Broadcast,
    /// A multicast group.
    Multicast,
}

/// A datagram in flight.
#[derive(Clone, Debug)]
pub(crate) struct Packet {
    pub id: DatagramId,
    pub transport: Transport,
    pub from_host: HostId,
    /// The sending socket: ICMP errors about this datagram go back to it.
    pub from_sock: SockKey,
    /// No ICMP error is generated for it (a SuppressIcmp fault fired).
    pub suppress_icmp: bool,
    /// The sender's address (IP and port) as it appears on the wire.
    pub src: SocketAddr,
    /// The destination as sent: a unicast, broadcast or multicast address.
    pub dst: SocketAddr,
    pub payload: Bytes,
    /// IPv4 TTL or IPv6 hop limit when the datagram left the sender.
    pub ttl: u8,
    /// IPv4 TOS byte or IPv6 traffic class.
    pub tos: u8,
    pub cast: Cast,
}

/// An ICMP error travelling back to the sender of a datagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IcmpKind {
    /// Destination unreachable, port unreachable (IPv4 type 3 code 3; ICMPv6 type 1 code 4).
    /// Reported on the sending UDP socket as WSAECONNRESET unless SIO_UDP_CONNRESET is off.
    PortUnreachable,
    /// Time exceeded in transit (IPv4 type 11 code 0; ICMPv6 type 3 code 0). Reported as
    /// WSAENETRESET unless SIO_UDP_NETRESET is off.
    TtlExpired,
}

impl IcmpKind {
    /// A short name for traces.
    pub fn name(self) -> &'static str {
        match self {
            IcmpKind::PortUnreachable => "port-unreachable",
            IcmpKind::TtlExpired => "ttl-expired",
        }
    }
}

/// An ICMP error addressed to the socket that sent `about`.
#[derive(Copy, Clone, Debug)]
pub(crate) struct IcmpError {
    pub kind: IcmpKind,
    pub about: DatagramId,
    /// The socket the error goes back to, and the source address of the datagram.
    pub to_sock: SockKey,
    pub original_src: SocketAddr,
}
