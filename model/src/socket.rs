//! One socket: its queue, its options, and the synchronous receive calls.

use std::collections::VecDeque;
use std::net::SocketAddrV4;

use crate::code;
use crate::deliver::{deliver, Options};
use crate::overlapped::{Packet, Request, RoutineCall};

/// What can sit in the socket's receive queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Queued {
    /// A datagram: its payload, its sender, and the TTL left on arrival.
    Datagram {
        /// Payload bytes.
        payload: Vec<u8>,
        /// The sender.
        from: SocketAddrV4,
        /// TTL on arrival.
        ttl: u8,
    },
    /// An ICMP port unreachable about an earlier send (WSAECONNRESET).
    PortUnreachable,
    /// An ICMP time exceeded about an earlier send (WSAENETRESET).
    TtlExpired,
}

/// Which receive function is called.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Api {
    /// recv(s, buf, len, flags).
    Recv,
    /// recvfrom(s, buf, len, flags, from, fromlen).
    RecvFrom,
    /// WSARecv with a WSABUF array.
    WsaRecv,
    /// WSARecvFrom with a WSABUF array.
    WsaRecvFrom,
    /// WSARecvMsg with a WSAMSG.
    WsaRecvMsg,
}

/// One receive call, reduced to sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The function.
    pub api: Api,
    /// Buffer sizes (one for recv / recvfrom).
    pub buffers: Vec<usize>,
    /// Input flags.
    pub flags: u32,
    /// Size of the name buffer, or `None` for NULL (only recvfrom, WSARecvFrom, WSARecvMsg).
    pub name_len: Option<i32>,
    /// Control buffer size, or `None` for NULL (WSARecvMsg only).
    pub control_len: Option<u32>,
}

/// What a synchronous call returned and wrote. Fields the call leaves untouched are `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// `Ok(bytes)` or the error code.
    pub result: Result<usize, i32>,
    /// What each buffer received (its first bytes; the rest is untouched).
    pub written: Vec<Vec<u8>>,
    /// The byte count written through lpNumberOfBytesRecvd (WSARecv*, WSARecvMsg).
    pub count: Option<u32>,
    /// The sender written to the name buffer, with the new name length.
    pub name: Option<(SocketAddrV4, i32)>,
    /// The control bytes written and the new Control.len (WSARecvMsg).
    pub control: Option<(Vec<u8>, u32)>,
    /// The output flags written (WSAMSG.dwFlags, or *lpFlags for WSARecv*).
    pub flags: Option<u32>,
}

pub(crate) const MSG_PEEK: u32 = 0x2;
const OUTPUT_ONLY: u32 = 0x100 | 0x200 | 0x400 | 0x800;

/// One socket, as far as receiving is concerned.
#[derive(Clone, Debug)]
pub struct Socket {
    /// The receive queue, oldest first.
    pub queue: VecDeque<Queued>,
    /// The socket is bound.
    pub bound: bool,
    /// FIONBIO.
    pub nonblocking: bool,
    /// IP_PKTINFO, IP_RECVTTL and the local address.
    pub opts: Options,
    /// SIO_UDP_CONNRESET (on by default).
    pub connreset: bool,
    /// SIO_UDP_NETRESET (on by default).
    pub netreset: bool,
    /// Associated with a completion port.
    pub port: bool,
    /// closesocket was called.
    pub closed: bool,
    /// Every overlapped receive posted, by the index `post` returned.
    pub requests: Vec<Request>,
    /// Pending requests, in posting order.
    pub(crate) pending: VecDeque<usize>,
    /// Completion routines queued to the thread, not yet run.
    pub(crate) due: Vec<RoutineCall>,
    /// Completion-port packets, oldest first.
    pub(crate) packets: VecDeque<Packet>,
    /// Routines run during the last blocking receive's wait.
    pub(crate) ran_in_call: Vec<RoutineCall>,
}

impl Socket {
    /// A socket bound to `local`, with the default options.
    pub fn bound(local: SocketAddrV4) -> Socket {
        Socket {
            queue: VecDeque::new(),
            bound: true,
            nonblocking: false,
            opts: Options {
                local: Some(local),
                ..Options::default()
            },
            connreset: true,
            netreset: true,
            port: false,
            closed: false,
            requests: Vec::new(),
            pending: VecDeque::new(),
            due: Vec::new(),
            packets: VecDeque::new(),
            ran_in_call: Vec::new(),
        }
    }

    /// The input-flag check every receive makes: MSG_PEEK only (on WSARecvMsg, output-only
    /// bits left from an earlier call are ignored); WSAEOPNOTSUPP otherwise.
    pub(crate) fn check_flags(call: &Call) -> Result<(), i32> {
        let ignorable = if call.api == Api::WsaRecvMsg {
            OUTPUT_ONLY
        } else {
            0
        };
        if call.flags & !(MSG_PEEK | ignorable) != 0 {
            Err(code::OPNOTSUPP)
        } else {
            Ok(())
        }
    }

    /// Performs the synchronous `call` and returns what Windows would.
    pub fn receive(&mut self, call: &Call) -> Outcome {
        let fail = |e: i32| Outcome {
            result: Err(e),
            written: vec![Vec::new(); call.buffers.len()],
            count: None,
            name: None,
            control: None,
            flags: None,
        };
        if self.closed {
            return fail(code::NOTSOCK);
        }
        if let Err(e) = Self::check_flags(call) {
            return fail(e);
        }
        if !self.bound {
            return fail(code::INVAL);
        }
        let peek = call.flags & MSG_PEEK != 0;
        match self.queue.front() {
            None if self.nonblocking => fail(code::WOULDBLOCK),
            // Nothing can arrive while the caller waits: a blocking call would wait forever.
            // It waits alertably, so the completion routines due run meanwhile (Wine
            // test_WSARecv, Windows rows: an APC runs in a blocking receive).
            None => {
                self.ran_in_call.append(&mut self.due);
                fail(code::INTR)
            }
            Some(Queued::PortUnreachable) => {
                self.queue.pop_front();
                fail(code::CONNRESET)
            }
            Some(Queued::TtlExpired) => {
                self.queue.pop_front();
                fail(code::NETRESET)
            }
            Some(Queued::Datagram { payload, from, ttl }) => {
                if let Some(n) = call.name_len {
                    if n < 16 {
                        // Too small for a SOCKADDR_IN: fail, write nothing, keep the datagram.
                        return fail(code::FAULT);
                    }
                }
                let d = deliver(call, &self.opts, payload, *from, *ttl);
                if !peek {
                    self.queue.pop_front();
                }
                let sync_only = matches!(call.api, Api::Recv | Api::RecvFrom);
                Outcome {
                    result: if d.overflow() {
                        Err(code::MSGSIZE)
                    } else {
                        Ok(d.taken)
                    },
                    count: (!sync_only).then_some(d.taken as u32),
                    flags: (!sync_only).then_some(d.flags),
                    written: d.written,
                    name: d.name,
                    control: d.control,
                }
            }
        }
    }

    /// A datagram reaches the socket: pending overlapped receives take it first (a peeking
    /// one passes it on), else it is queued.
    pub fn arrive(&mut self, payload: Vec<u8>, from: SocketAddrV4, ttl: u8) {
        if self.closed {
            return;
        }
        while let Some(&id) = self.pending.front() {
            let call = self.requests[id].call.clone();
            let d = deliver(&call, &self.opts, &payload, from, ttl);
            self.pending.pop_front();
            self.complete(id, Some(d));
            if call.flags & MSG_PEEK == 0 {
                return;
            }
        }
        self.queue
            .push_back(Queued::Datagram { payload, from, ttl });
    }

    /// An ICMP error about an earlier send reaches the socket: reported by the first pending
    /// receive, else by the next receive, unless its reporting is switched off.
    pub fn icmp(&mut self, unreachable: bool) {
        let on = if unreachable {
            self.connreset
        } else {
            self.netreset
        };
        if self.closed || !on {
            return;
        }
        if let Some(id) = self.pending.pop_front() {
            let status = if unreachable {
                code::STATUS_PORT_UNREACHABLE
            } else {
                code::STATUS_HOPLIMIT_EXCEEDED
            };
            self.finish(id, status, 0, None);
            return;
        }
        self.queue.push_back(if unreachable {
            Queued::PortUnreachable
        } else {
            Queued::TtlExpired
        });
    }

    /// closesocket: pending receives complete with STATUS_CANCELLED; the queue is dropped.
    pub fn close(&mut self) {
        while let Some(id) = self.pending.pop_front() {
            self.finish(id, code::STATUS_CANCELLED, 0, None);
        }
        self.queue.clear();
        self.closed = true;
    }

    /// FIONREAD: the bytes of every queued datagram.
    pub fn bytes_queued(&self) -> usize {
        self.queue
            .iter()
            .map(|q| match q {
                Queued::Datagram { payload, .. } => payload.len(),
                Queued::PortUnreachable | Queued::TtlExpired => 0,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dg(n: usize) -> Queued {
        Queued::Datagram {
            payload: (0..n as u8).collect(),
            from: "127.0.0.1:5000".parse().unwrap(),
            ttl: 128,
        }
    }

    fn sock() -> Socket {
        Socket::bound("127.0.0.1:9".parse().unwrap())
    }

    #[test]
    fn truncation_writes_the_prefix_and_fails() {
        let mut s = sock();
        s.queue.push_back(dg(10));
        let o = s.receive(&Call {
            api: Api::WsaRecv,
            buffers: vec![3, 4],
            flags: 0,
            name_len: None,
            control_len: None,
        });
        assert_eq!(o.result, Err(code::MSGSIZE));
        assert_eq!(o.written, vec![vec![0, 1, 2], vec![3, 4, 5, 6]]);
        assert_eq!(o.count, Some(7));
        assert!(s.queue.is_empty());
    }

    #[test]
    fn pktinfo_needs_24_bytes() {
        let mut s = sock();
        s.opts.pktinfo = true;
        s.queue.push_back(dg(1));
        s.queue.push_back(dg(1));
        let call = |c| Call {
            api: Api::WsaRecvMsg,
            buffers: vec![4],
            flags: 0,
            name_len: Some(16),
            control_len: Some(c),
        };
        let o = s.receive(&call(23));
        assert_eq!((o.result, o.flags), (Err(code::MSGSIZE), Some(0x200)));
        let o = s.receive(&call(24));
        assert_eq!(o.result, Ok(1));
        assert_eq!(o.control.unwrap().1, 24);
    }
}
