//! Receiving: the synchronous receive contract shared by recv, recvfrom, WSARecv, WSARecvFrom
//! and WSARecvMsg. The face checks pointers; this module decides everything else and leaves
//! the copying into user memory to the face.
//!
//! Sources for each rule are in CONTRACT.md; the short version:
//! - a receive on an unbound datagram socket fails at once with WSAEINVAL (WSARecvMsg page;
//!   Wine test_connect_udp and test_WSADuplicateSocket on Windows; afd.c test_recv:
//!   STATUS_INVALID_PARAMETER);
//! - one datagram per call; buffers are filled in order; a datagram larger than the buffers
//!   fills them, the rest is discarded, and the call fails with WSAEMSGSIZE (MSG_TRUNC in
//!   WSAMSG.dwFlags) while still reporting the bytes copied (afd.c test_recv: Information =
//!   the buffer capacity with STATUS_BUFFER_OVERFLOW);
//! - MSG_PEEK copies without consuming, truncation included;
//! - a name buffer shorter than the address fails the call and keeps the datagram (Wine
//!   test_UDP on Windows);
//! - control messages that do not fit set MSG_CTRUNC and fail the call with WSAEMSGSIZE; the
//!   datagram is delivered and consumed and the byte count written (Wine test_ip_pktinfo);
//! - an ICMP error queued by an earlier send is reported by the next receive (WSAECONNRESET,
//!   WSAENETRESET) and consumed.

use std::net::{IpAddr, SocketAddr};

use super::names::as_seen_by;
use super::World;
use crate::diag::Diagnostic;
use crate::error::{Errno, Result};
use crate::net::packet::{Cast, DatagramId, IcmpKind};
use crate::socket::{Arrived, Entry, SockKind, Socket};
use crate::trace::Event;
use crate::wire::cmsg::{self, ControlMessage};

/// MSG_PEEK.
pub const MSG_PEEK: u32 = 0x2;
/// MSG_TRUNC (output).
pub const MSG_TRUNC: u32 = 0x100;
/// MSG_CTRUNC (output).
pub const MSG_CTRUNC: u32 = 0x200;
/// MSG_BCAST (output).
pub const MSG_BCAST: u32 = 0x400;
/// MSG_MCAST (output).
pub const MSG_MCAST: u32 = 0x800;
/// MSG_PARTIAL (input on XP1_PARTIAL_MESSAGE protocols; output: a part of a message).
pub const MSG_PARTIAL: u32 = 0x8000;
/// MSG_OOB.
const MSG_OOB: u32 = 0x1;
/// MSG_WAITALL.
const MSG_WAITALL: u32 = 0x8;
const OUTPUT_ONLY: u32 = MSG_TRUNC | MSG_CTRUNC | MSG_BCAST | MSG_MCAST;

/// What the caller gave for the source address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum NameReq {
    /// No address wanted (recv, WSARecv, a NULL name).
    None,
    /// A buffer of this many bytes.
    Len(usize),
}

/// A receive request, with pointers already checked and reduced to sizes.
#[derive(Copy, Clone, Debug)]
pub(crate) struct RecvArgs {
    pub call: &'static str,
    pub flags: u32,
    /// Total size of the caller's buffers.
    pub cap: usize,
    pub name: NameReq,
    /// Control buffer size (WSARecvMsg only).
    pub control: Option<usize>,
    /// WSARecvMsg (its flag rules and output flags differ).
    pub msg: bool,
}

/// A delivered datagram (possibly with a truncation error still to report).
#[derive(Clone, Debug)]
pub(crate) struct RecvOk {
    pub datagram: DatagramId,
    /// The payload's length.
    pub total: usize,
    pub copied: usize,
    /// The sender, as the socket's family sees it.
    pub from: SocketAddr,
    /// The control messages that fit, and the bytes they use (the new Control.len).
    pub control: Vec<ControlMessage>,
    pub control_len: usize,
    /// Output flags (WSAMSG.dwFlags for WSARecvMsg; 0 for the others).
    pub flags: u32,
    /// WSAEMSGSIZE when data or control was truncated: the call fails, but everything above
    /// is still written.
    pub error: Option<Errno>,
    /// Wine 8's way of writing a receive's results (W3, W5, W12): the face reads it.
    pub wine8: bool,
}

impl RecvOk {
    /// Whether the byte count is written: always on Windows, only on success under Wine 8
    /// (W3).
    pub fn writes_count(&self) -> bool {
        !(self.wine8 && self.error.is_some())
    }
}

/// Where a receive's bytes go: called with consecutive pieces of the bytes copied.
pub(crate) type Out<'a> = &'a mut dyn FnMut(&[u8]);

/// The result of looking at the queue.
pub(crate) enum RecvPoll<E = Errno> {
    Ready(core::result::Result<RecvOk, E>),
    /// Nothing queued: the caller blocks, or fails with WSAEWOULDBLOCK.
    Empty,
}

impl World {
    /// The checks made once when a receive starts, in Windows' order after the face's own
    /// (WSANOTINITIALISED, WSAENOTSOCK, then pointer faults).
    pub fn recv_start(&mut self, handle: usize, args: &RecvArgs) -> Result<()> {
        let r = self.recv_checks(handle, args);
        if let Err(error) = r {
            self.record(|| Event::Recv {
                handle,
                call: args.call,
                datagram: None,
                bytes: 0,
                flags: 0,
                error: Some(error),
            });
        }
        r
    }

    fn recv_checks(&mut self, handle: usize, args: &RecvArgs) -> Result<()> {
        let sock = self.sock(handle)?;
        let peek = args.flags & MSG_PEEK != 0;
        let wine8 = sock.wine8();
        if sock.kind == SockKind::Stream {
            // WSARecvMsg page: MSG_PEEK on a non-datagram socket is WSAEOPNOTSUPP. Otherwise
            // this is a TCP socket that never connected. (W16: Wine says WSAENOTCONN.)
            return Err(if args.msg && peek && !wine8 {
                Errno::OpNotSupp
            } else {
                Errno::NotConn
            });
        }
        let partial_ok = sock.kind == SockKind::Reliable { partial: true };
        if args.msg && matches!(sock.kind, SockKind::Reliable { .. }) {
            // WSARecvMsg page: "can only be used with datagrams and raw sockets".
            return Err(Errno::OpNotSupp);
        }
        // MSG_PARTIAL is an input flag only where the provider advertises
        // XP1_PARTIAL_MESSAGE (LPWSPRECVFROM page; UDP does not, winsock-facts §6.4).
        let mut extra = args.flags & !MSG_PEEK & !(if partial_ok { MSG_PARTIAL } else { 0 });
        if wine8 {
            // W10: Wine accepts MSG_OOB, MSG_WAITALL and MSG_PARTIAL on a datagram socket.
            extra &= !(MSG_OOB | MSG_WAITALL | MSG_PARTIAL);
        }
        if args.msg {
            // Only MSG_PEEK is an input flag of WSARecvMsg. Output bits left over from a
            // previous call are ignored with a diagnostic; anything else is refused.
            if extra & !OUTPUT_ONLY != 0 {
                return Err(Errno::OpNotSupp);
            }
            if extra != 0 {
                self.diagnose(Diagnostic::OutputFlagsOnInput {
                    handle,
                    flags: extra,
                });
            }
        } else if extra != 0 {
            // MSG_OOB on a datagram socket (WSPRecvFrom page), MSG_WAITALL on a datagram
            // socket (WSARecv page), MSG_PARTIAL on UDP (no XP1_PARTIAL_MESSAGE), and
            // anything unknown.
            return Err(Errno::OpNotSupp);
        }
        let sock = self.sock(handle)?;
        // W9: Wine waits on an unbound socket, as if nothing had arrived yet.
        if sock.local.is_none() && !wine8 {
            return Err(Errno::Inval);
        }
        if sock.shut_rd {
            return Err(Errno::Shutdown);
        }
        if sock.discon && sock.queue.front().is_none() {
            return Err(Errno::Discon);
        }
        if self.host(sock.host).net_down {
            return Err(Errno::NetDown);
        }
        Ok(())
    }

    /// Takes (or peeks) the head of the queue, recording the outcome in the trace.
    /// The bytes received go to `out`, in order, in one or more calls, before the datagram is
    /// consumed (the payload lives in the queue's ring, so nothing is allocated).
    pub fn recv_poll(&mut self, handle: usize, args: &RecvArgs, out: Out<'_>) -> RecvPoll {
        let r = self.recv_head(handle, args, out);
        if let RecvPoll::Ready(r) = &r {
            let (datagram, bytes, flags, error) = match r {
                Ok(ok) => (Some(ok.datagram), ok.copied, ok.flags, ok.error),
                Err((e, about)) => (*about, 0, 0, Some(*e)),
            };
            self.record(|| Event::Recv {
                handle,
                call: args.call,
                datagram,
                bytes,
                flags,
                error,
            });
        }
        match r {
            RecvPoll::Ready(r) => RecvPoll::Ready(r.map_err(|(e, _)| e)),
            RecvPoll::Empty => RecvPoll::Empty,
        }
    }

    /// Like `recv_poll`, with the datagram an error is about (for the trace).
    fn recv_head(
        &mut self,
        handle: usize,
        args: &RecvArgs,
        out: Out<'_>,
    ) -> RecvPoll<(Errno, Option<DatagramId>)> {
        let peek = args.flags & MSG_PEEK != 0;
        let sock = match self.sock_mut(handle) {
            Ok(s) => s,
            Err(e) => return RecvPoll::Ready(Err((e, None))),
        };
        let arrived = match sock.queue.front() {
            None => return RecvPoll::Empty,
            Some(Entry::Error { kind, about }) => {
                // Reported once, peek or not.
                let e = match kind {
                    IcmpKind::PortUnreachable => Errno::ConnReset,
                    IcmpKind::TtlExpired => Errno::NetReset,
                };
                sock.queue.pop();
                return RecvPoll::Ready(Err((e, Some(about))));
            }
            Some(Entry::Disconnect) => {
                // The circuit is closed: this and every later receive on an empty queue.
                sock.queue.pop();
                sock.discon = true;
                sock.peer = None;
                self.invalidate_routes();
                return RecvPoll::Ready(Err((Errno::Discon, None)));
            }
            Some(Entry::Datagram(d)) => d,
        };
        if let NameReq::Len(n) = args.name {
            // Nothing written, datagram kept (Wine test_UDP, Windows rows). W5: Wine takes the
            // datagram and reports a name length of -1.
            if n < sock.family.sockaddr_len() && !sock.wine8() {
                return RecvPoll::Ready(Err((Errno::Fault, Some(arrived.id))));
            }
        }
        let ok = recv_one(sock, &arrived, args);
        let take = take_of(sock.kind, &ok, peek);
        let (a, b) = sock.queue.front_payload(ok.copied);
        out(a);
        if !b.is_empty() {
            out(b);
        }
        if let Err(e) = self.consume_head(handle, take) {
            return RecvPoll::Ready(Err((e, None)));
        }
        RecvPoll::Ready(Ok(ok))
    }

    /// Takes what a receive read from the head of the queue.
    pub(crate) fn consume_head(&mut self, handle: usize, take: Take) -> Result<()> {
        let sock = self.sock_mut(handle)?;
        match take {
            Take::All => {
                sock.queue.pop();
                self.ledger.queued -= 1;
                self.ledger.delivered += 1;
            }
            Take::Part(n) => sock.queue.consume_front(n),
            Take::Nothing => {}
        }
        Ok(())
    }

    /// FIONREAD: the payload bytes of every queued datagram (the current Winsock IOCTL page;
    /// see CONTRACT.md for the disagreement with the Winsock 1.1 text and with Wine).
    pub fn bytes_queued(&self, handle: usize) -> Result<usize> {
        let sock = self.sock(handle)?;
        if sock.wine8() {
            // W4: Wine reports the first datagram's size (its host's FIONREAD).
            return Ok(match sock.queue.front() {
                Some(Entry::Datagram(d)) => d.payload_len(),
                _ => 0,
            });
        }
        Ok(sock.queue.bytes())
    }
}

/// What one receive with `args` gets from datagram `d` on `sock`: the bytes copied, the
/// sender as the socket sees it, the control messages that fit and the output flags, with
/// WSAEMSGSIZE when data or control was cut. The datagram itself is not taken here.
pub(crate) fn recv_one(sock: &Socket, d: &Arrived, args: &RecvArgs) -> RecvOk {
    let len = d.payload_len();
    let copied = len.min(args.cap);
    let truncated = copied < len;
    let (control, control_len, ctrunc) = match args.control {
        Some(cap) => {
            let all = control_messages(sock, d);
            let l = cmsg::layout(&all, cap);
            (all[..l.fit].to_vec(), l.len, l.truncated)
        }
        None => (Vec::new(), 0, false),
    };
    let mut flags = 0;
    let mut error = (truncated || ctrunc).then_some(Errno::MsgSize);
    if truncated && sock.kind == (SockKind::Reliable { partial: true }) {
        // Delivered in parts: "the MSG_PARTIAL flag is set in lpFlags ... and subsequent
        // receive operation(s) will retrieve the rest of the message" (LPWSPRECVFROM page).
        flags |= MSG_PARTIAL;
        error = None;
    }
    let wine8 = sock.wine8();
    if wine8 {
        // W11, W2, W37: Wine leaves the flags the caller passed and adds MSG_CTRUNC; no
        // MSG_TRUNC, MSG_BCAST or MSG_MCAST.
        flags = args.flags | if args.msg && ctrunc { MSG_CTRUNC } else { 0 };
    } else if args.msg {
        if truncated {
            flags |= MSG_TRUNC;
        }
        if ctrunc {
            flags |= MSG_CTRUNC;
        }
        flags |= match d.cast {
            Cast::Broadcast => MSG_BCAST,
            Cast::Multicast => MSG_MCAST,
            Cast::Unicast => 0,
        };
    }
    RecvOk {
        datagram: d.id,
        total: len,
        copied,
        from: as_seen_by(sock.family, d.src()),
        control,
        control_len,
        flags,
        error,
        wine8,
    }
}

/// What a receive does with the message it read.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Take {
    /// Consumed (a datagram's truncated rest discarded with it).
    All,
    /// Its first bytes consumed; the rest stays at the head of the queue (MSG_PARTIAL).
    Part(usize),
    /// Left where it is: MSG_PEEK, or a message too large for a reliable protocol without
    /// partial delivery, which "a subsequent receive operation with a larger buffer can be
    /// used to retrieve" (LPWSPRECVFROM page).
    Nothing,
}

/// How a receive on a socket of `kind` that got `ok` takes its message.
pub(crate) fn take_of(kind: SockKind, ok: &RecvOk, peek: bool) -> Take {
    let truncated = ok.copied < ok.total;
    match kind {
        _ if peek => Take::Nothing,
        SockKind::Reliable { partial: true } if truncated => Take::Part(ok.copied),
        SockKind::Reliable { partial: false } if truncated => Take::Nothing,
        _ => Take::All,
    }
}

/// The control messages a socket's options ask for, for one datagram, in the order
/// pktinfo, TTL / hop limit, TOS / traffic class, ECN.
///
/// IPv4 datagrams take the IPPROTO_IP options (also on a dual-stack IPv6 socket: the
/// WSARecvMsg page says IPV6_PKTINFO alone may not give pktinfo for IPv4 datagrams, and the
/// simulator gives none); IPv6 datagrams take the IPPROTO_IPV6 options. The message types
/// are the ones Windows 10 1703 and later deliver (Wine test_ipv4_cmsg / test_ipv6_cmsg):
/// IP_RECVTTL gives IP_TTL, IP_RECVTOS gives IP_TOS, IPV6_RECVTCLASS gives IPV6_TCLASS.
fn control_messages(sock: &Socket, d: &Arrived) -> Vec<ControlMessage> {
    let o = &sock.opts;
    let mut v = Vec::new();
    match d.dst {
        IpAddr::V4(dst) => {
            if o.pktinfo {
                v.push(ControlMessage::in_pktinfo(dst, d.ifindex));
            }
            if o.recvttl {
                v.push(ControlMessage::int(
                    cmsg::IPPROTO_IP,
                    cmsg::IP_TTL,
                    d.ttl.into(),
                ));
            }
            if o.recvtos {
                v.push(ControlMessage::int(
                    cmsg::IPPROTO_IP,
                    cmsg::IP_TOS,
                    d.tos.into(),
                ));
            }
            if o.recvecn {
                v.push(ControlMessage::int(
                    cmsg::IPPROTO_IP,
                    cmsg::IP_ECN,
                    (d.tos & 3).into(),
                ));
            }
        }
        IpAddr::V6(dst) => {
            if o.pktinfo6 {
                v.push(ControlMessage::in6_pktinfo(dst, d.ifindex));
            }
            if o.hoplimit6 {
                v.push(ControlMessage::int(
                    cmsg::IPPROTO_IPV6,
                    cmsg::IPV6_HOPLIMIT,
                    d.ttl.into(),
                ));
            }
            if o.recvtclass6 {
                v.push(ControlMessage::int(
                    cmsg::IPPROTO_IPV6,
                    cmsg::IPV6_TCLASS,
                    d.tos.into(),
                ));
            }
            if o.recvecn6 {
                v.push(ControlMessage::int(
                    cmsg::IPPROTO_IPV6,
                    cmsg::IP_ECN,
                    (d.tos & 3).into(),
                ));
            }
        }
    }
    v
}
