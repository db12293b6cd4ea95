//! A safe, idiomatic Rust API over the same core the `ws2` face uses, for tests that do not
//! need the Win32 shape. The semantics are Winsock's (the same receive contract, errors as
//! [`Errno`]); only the calling convention differs. It needs no WSAStartup.
//!
//! ```
//! use winsock_sim::{api::Socket, Sim};
//!
//! let sim = Sim::new();
//! let host = winsock_sim::HostId::default();
//! let server = Socket::bind_udp(&sim, host, "127.0.0.1:5000".parse().unwrap()).unwrap();
//! let client = Socket::bind_udp(&sim, host, "127.0.0.1:0".parse().unwrap()).unwrap();
//! client.send_to(b"ping", server.local_addr().unwrap()).unwrap();
//! let mut buf = [0u8; 16];
//! let (n, from) = server.recv_from(&mut buf).unwrap();
//! assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr().unwrap()));
//! ```

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use windows_sys::Win32::Networking::WinSock as ws;

use crate::error::{Errno, Result};
use crate::net::topology::HostId;
use crate::sim::Sim;
use crate::socket::options::lookup;
use crate::socket::SockKind;
use crate::stack::{Dest, NameReq, RecvArgs, RecvOk, SendArgs};
use crate::wire::cmsg::ControlMessage;
use crate::wire::sockaddr::Family;

mod overlapped;

pub use overlapped::{
    Announce, Callback, Completion, CompletionPort, Event, Outcome, PendingRecv, Received, Wake,
};

/// MSG_PEEK.
const MSG_PEEK: u32 = 0x2;
/// MSG_TRUNC.
const MSG_TRUNC: u32 = 0x100;
/// MSG_CTRUNC.
const MSG_CTRUNC: u32 = 0x200;

/// A datagram socket (UDP or raw) in a simulation. Closed when dropped.
#[derive(Debug)]
pub struct Socket {
    sim: Sim,
    handle: usize,
}

/// What [`Socket::recv_msg`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecvMsg {
    /// Bytes copied into the buffers.
    pub len: usize,
    /// The sender.
    pub from: SocketAddr,
    /// The datagram was larger than the buffers and its tail was discarded (MSG_TRUNC; the
    /// Win32 call fails with WSAEMSGSIZE).
    pub truncated: bool,
    /// Control messages that did not fit were dropped (MSG_CTRUNC; the Win32 call fails with
    /// WSAEMSGSIZE).
    pub control_truncated: bool,
    /// The control messages that fit.
    pub control: Vec<ControlMessage>,
    /// WSAMSG.dwFlags as WSARecvMsg would write it.
    pub flags: u32,
}

/// Options of one [`Socket::recv_msg`] call.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct RecvMsgOptions {
    /// MSG_PEEK: leave the datagram queued.
    pub peek: bool,
    /// Size of the control buffer (0: no room for control messages).
    pub control_len: usize,
}

impl Socket {
    /// A new, unbound socket of `kind` on `host`.
    pub fn new(sim: &Sim, host: HostId, family: Family, kind: SockKind) -> Result<Socket> {
        if kind == SockKind::Stream {
            return Err(Errno::SockTNoSupport);
        }
        let _span = tracing::debug_span!("Socket::new", %host, ?family, ?kind).entered();
        let handle = traced(sim.with(|w| w.create_socket(host, family, kind, true)))?;
        Ok(Socket {
            sim: sim.clone(),
            handle,
        })
    }

    /// A UDP socket on `host` bound to `addr` (port 0: an ephemeral port).
    pub fn bind_udp(sim: &Sim, host: HostId, addr: SocketAddr) -> Result<Socket> {
        let s = Socket::new(sim, host, Family::of(&addr), SockKind::Udp)?;
        s.bind(addr)?;
        Ok(s)
    }

    /// The socket's handle (the value the `ws2` face knows it by).
    pub fn handle(&self) -> usize {
        self.handle
    }

    /// bind().
    pub fn bind(&self, addr: SocketAddr) -> Result<()> {
        let _span = tracing::debug_span!("Socket::bind", socket = self.handle, %addr).entered();
        traced(self.sim.with(|w| w.bind(self.handle, addr)))
    }

    /// getsockname().
    pub fn local_addr(&self) -> Result<SocketAddr> {
        let _span = tracing::debug_span!("Socket::local_addr", socket = self.handle).entered();
        traced(self.sim.with(|w| w.local_addr(self.handle)))
    }

    /// getpeername().
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        let _span = tracing::debug_span!("Socket::peer_addr", socket = self.handle).entered();
        traced(self.sim.with(|w| w.peer_addr(self.handle)))
    }

    /// connect(): sets the default destination and filters what is received.
    pub fn connect(&self, addr: SocketAddr) -> Result<()> {
        let _span = tracing::debug_span!("Socket::connect", socket = self.handle, %addr).entered();
        traced(self.sim.with(|w| w.connect(self.handle, Some(addr))))
    }

    /// connect() with AF_UNSPEC: removes the peer.
    pub fn disconnect(&self) -> Result<()> {
        let _span = tracing::debug_span!("Socket::disconnect", socket = self.handle).entered();
        traced(self.sim.with(|w| w.connect(self.handle, None)))
    }

    /// shutdown(): `SD_RECEIVE` (0), `SD_SEND` (1) or `SD_BOTH` (2).
    pub fn shutdown(&self, how: i32) -> Result<()> {
        let _span = tracing::debug_span!("Socket::shutdown", socket = self.handle, how).entered();
        traced(self.sim.with(|w| w.shutdown(self.handle, how)))
    }

    /// sendto().
    #[inline]
    pub fn send_to(&self, buf: &[u8], addr: SocketAddr) -> Result<usize> {
        let args = SendArgs::new(Dest::To(Some(addr)), buf, 0);
        if untraced() {
            return self.sim.send(self.handle, &args);
        }
        self.send_to_traced(args, addr)
    }

    #[cold]
    #[inline(never)]
    fn send_to_traced(&self, args: SendArgs, addr: SocketAddr) -> Result<usize> {
        let buf = args.payload;
        let _span =
            tracing::debug_span!("Socket::send_to", socket = self.handle, len = buf.len(), %addr)
                .entered();
        traced(self.sim.send(self.handle, &args))
    }

    /// send() to the connected peer.
    #[inline]
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        if untraced() {
            let args = SendArgs::new(Dest::Connected, buf, 0);
            return self.sim.send(self.handle, &args);
        }
        let _span =
            tracing::debug_span!("Socket::send", socket = self.handle, len = buf.len()).entered();
        let args = SendArgs::new(Dest::Connected, buf, 0);
        traced(self.sim.send(self.handle, &args))
    }

    /// recvfrom(): one datagram. A datagram larger than `buf` fills it, the rest is discarded
    /// and the call fails with [`Errno::MsgSize`], as on Windows.
    #[inline]
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr)> {
        self.recv_from_flags(buf, 0, "recvfrom")
    }

    /// recvfrom() with MSG_PEEK.
    pub fn peek_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr)> {
        self.recv_from_flags(buf, MSG_PEEK, "recvfrom")
    }

    /// recv().
    #[inline]
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.recv_from_flags(buf, 0, "recv").map(|(n, _)| n)
    }

    #[inline]
    fn recv_from_flags(
        &self,
        buf: &mut [u8],
        flags: u32,
        call: &'static str,
    ) -> Result<(usize, SocketAddr)> {
        if untraced() {
            return self.recv_from_inner(buf, flags, call);
        }
        self.recv_from_traced(buf, flags, call)
    }

    #[cold]
    #[inline(never)]
    fn recv_from_traced(
        &self,
        buf: &mut [u8],
        flags: u32,
        call: &'static str,
    ) -> Result<(usize, SocketAddr)> {
        let _span = tracing::debug_span!(
            "Socket::recv",
            socket = self.handle,
            call,
            len = buf.len(),
            flags
        )
        .entered();
        traced(self.recv_from_inner(buf, flags, call))
    }

    #[inline]
    fn recv_from_inner(
        &self,
        buf: &mut [u8],
        flags: u32,
        call: &'static str,
    ) -> Result<(usize, SocketAddr)> {
        let args = RecvArgs {
            call,
            flags,
            cap: buf.len(),
            name: NameReq::None,
            control: None,
            msg: false,
        };
        self.sim.recv_from(self.handle, &args, buf)
    }

    /// WSARecvMsg: scatter buffers, control messages, output flags. Truncation of data or
    /// control is reported in the result rather than as an error.
    pub fn recv_msg(&self, bufs: &mut [&mut [u8]], opts: RecvMsgOptions) -> Result<RecvMsg> {
        let _span = tracing::debug_span!(
            "Socket::recv_msg",
            socket = self.handle,
            buffers = bufs.len(),
            peek = opts.peek,
            control_len = opts.control_len
        )
        .entered();
        traced(self.recv_msg_inner(bufs, opts))
    }

    fn recv_msg_inner(&self, bufs: &mut [&mut [u8]], opts: RecvMsgOptions) -> Result<RecvMsg> {
        let args = RecvArgs {
            call: "WSARecvMsg",
            flags: if opts.peek { MSG_PEEK } else { 0 },
            cap: bufs.iter().map(|b| b.len()).sum(),
            name: NameReq::None,
            control: Some(opts.control_len),
            msg: true,
        };
        let (mut i, mut at) = (0, 0);
        let ok = self.sim.recv(self.handle, &args, &mut |mut piece: &[u8]| {
            // Fill the buffers in order, moving on when one is full.
            while !piece.is_empty() {
                let Some(b) = bufs.get_mut(i) else { break };
                let n = (b.len() - at).min(piece.len());
                b[at..at + n].copy_from_slice(&piece[..n]);
                (piece, at) = (&piece[n..], at + n);
                if at == b.len() {
                    (i, at) = (i + 1, 0);
                }
            }
        })?;
        Ok(msg_of(&ok))
    }

    /// FIONBIO.
    pub fn set_nonblocking(&self, on: bool) -> Result<()> {
        let _span =
            tracing::debug_span!("Socket::set_nonblocking", socket = self.handle, on).entered();
        traced(self.sim.with(|w| w.set_nonblocking(self.handle, on)))
    }

    /// FIONREAD: the payload bytes of every queued datagram.
    pub fn bytes_available(&self) -> Result<usize> {
        let _span = tracing::debug_span!("Socket::bytes_available", socket = self.handle).entered();
        traced(self.sim.with(|w| w.bytes_queued(self.handle)))
    }

    /// SO_RCVTIMEO (milliseconds; `None` waits forever).
    pub fn set_read_timeout(&self, d: Option<Duration>) -> Result<()> {
        let ms = d
            .map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX).max(1))
            .unwrap_or(0);
        self.set_u32(ws::SOL_SOCKET, ws::SO_RCVTIMEO, ms)
    }

    /// SIO_UDP_CONNRESET: whether an ICMP port unreachable fails the next receive.
    pub fn set_connreset(&self, on: bool) -> Result<()> {
        let _span =
            tracing::debug_span!("Socket::set_connreset", socket = self.handle, on).entered();
        traced(
            self.sim
                .with(|w| w.set_icmp_reporting(self.handle, false, on)),
        )
    }

    /// SIO_UDP_NETRESET: whether an ICMP time exceeded fails the next receive.
    pub fn set_netreset(&self, on: bool) -> Result<()> {
        let _span =
            tracing::debug_span!("Socket::set_netreset", socket = self.handle, on).entered();
        traced(
            self.sim
                .with(|w| w.set_icmp_reporting(self.handle, true, on)),
        )
    }

    /// IP_PKTINFO (IPv4 datagrams) or IPV6_PKTINFO (IPv6 datagrams).
    pub fn set_pktinfo(&self, v6: bool, on: bool) -> Result<()> {
        if v6 {
            self.set_u32(ws::IPPROTO_IPV6, ws::IPV6_PKTINFO, on.into())
        } else {
            self.set_u32(ws::IPPROTO_IP, ws::IP_PKTINFO, on.into())
        }
    }

    /// SO_BROADCAST.
    pub fn set_broadcast(&self, on: bool) -> Result<()> {
        self.set_u32(ws::SOL_SOCKET, ws::SO_BROADCAST, on.into())
    }

    /// SO_RCVBUF.
    pub fn set_recv_buffer_size(&self, bytes: u32) -> Result<()> {
        self.set_u32(ws::SOL_SOCKET, ws::SO_RCVBUF, bytes)
    }

    /// IP_TTL / IPV6_UNICAST_HOPS.
    pub fn set_ttl(&self, v6: bool, ttl: u8) -> Result<()> {
        if v6 {
            self.set_u32(ws::IPPROTO_IPV6, ws::IPV6_UNICAST_HOPS, ttl.into())
        } else {
            self.set_u32(ws::IPPROTO_IP, ws::IP_TTL, ttl.into())
        }
    }

    /// IPV6_V6ONLY (before bind).
    pub fn set_only_v6(&self, on: bool) -> Result<()> {
        self.set_option(ws::IPPROTO_IPV6, ws::IPV6_V6ONLY, &[u8::from(on)])
    }

    /// IP_ADD_MEMBERSHIP on the interface with address `iface` (0.0.0.0: the default).
    pub fn join_multicast_v4(&self, group: Ipv4Addr, iface: Ipv4Addr) -> Result<()> {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&group.octets());
        b[4..].copy_from_slice(&iface.octets());
        self.set_option(ws::IPPROTO_IP, ws::IP_ADD_MEMBERSHIP, &b)
    }

    /// IPV6_ADD_MEMBERSHIP on interface `ifindex` (0: the default).
    pub fn join_multicast_v6(&self, group: Ipv6Addr, ifindex: u32) -> Result<()> {
        let mut b = [0u8; 20];
        b[..16].copy_from_slice(&group.octets());
        b[16..].copy_from_slice(&ifindex.to_le_bytes());
        self.set_option(ws::IPPROTO_IPV6, ws::IPV6_ADD_MEMBERSHIP, &b)
    }

    fn set_u32(&self, level: i32, name: i32, v: u32) -> Result<()> {
        self.set_option(level, name, &v.to_le_bytes())
    }

    /// setsockopt() with raw bytes, under the same length rules as the face.
    pub fn set_option(&self, level: i32, name: i32, value: &[u8]) -> Result<()> {
        let _span = tracing::debug_span!(
            "Socket::set_option",
            socket = self.handle,
            level,
            name,
            len = value.len()
        )
        .entered();
        traced(lookup(level, name).and_then(|spec| {
            let n = crate::socket::options::set_read_len(&spec, value.len() as i32)?;
            self.sim
                .with(|w| w.set_option(self.handle, &spec, &value[..n]))
        }))
    }

    /// getsockopt() into a buffer of `len` bytes; returns the bytes written.
    pub fn get_option(&self, level: i32, name: i32, len: usize) -> Result<Vec<u8>> {
        let _span =
            tracing::debug_span!("Socket::get_option", socket = self.handle, level, name, len)
                .entered();
        traced(self.get_option_inner(level, name, len))
    }

    fn get_option_inner(&self, level: i32, name: i32, len: usize) -> Result<Vec<u8>> {
        let spec = lookup(level, name)?;
        let have = i32::try_from(len).unwrap_or(i32::MAX);
        let out = self.sim.with(|w| w.get_option(self.handle, &spec, have))?;
        out.result.map(|()| out.bytes)
    }
}

/// No subscriber wants the safe API's spans: the data path's methods then skip building
/// them (a level check is one atomic load; a disabled span still costs a few dozen
/// instructions, a fifth of a send + receive pair).
#[inline]
fn untraced() -> bool {
    !tracing::level_enabled!(tracing::Level::DEBUG)
}

/// Reports a call's outcome to a `tracing` subscriber, inside the span the call entered
/// (nothing is formatted unless a subscriber asks for it).
pub(crate) fn traced<T: core::fmt::Debug>(r: Result<T>) -> Result<T> {
    match &r {
        Ok(v) => tracing::debug!(ret = ?v, "returned"),
        Err(e) => tracing::debug!(error = e.name(), code = e.code(), "failed"),
    }
    r
}

/// What a receive reports about a datagram, beside its bytes.
fn msg_of(ok: &RecvOk) -> RecvMsg {
    RecvMsg {
        len: ok.copied,
        from: ok.from,
        truncated: ok.flags & MSG_TRUNC != 0,
        control_truncated: ok.flags & MSG_CTRUNC != 0,
        control: ok.control.clone(),
        flags: ok.flags,
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _span = tracing::debug_span!("Socket::close", socket = self.handle).entered();
        let _ = traced(self.sim.with(|w| w.close(self.handle)));
    }
}
