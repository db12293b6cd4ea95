//! An executable specification of the synchronous Winsock datagram receive contract.
//!
//! It is written from the contract (the WSARecvMsg and recvfrom pages, and the Windows rows
//! of Wine's tests; see CONTRACT.md), not from the simulator, and shares no code with it:
//! it is meant to be small enough to check by reading. It models one bound IPv4 UDP socket
//! on loopback: what is queued on it, its receive options, and what each receive call
//! returns and writes.
//!
//! Where Windows allows several outcomes the model returns the set; for the synchronous
//! path on one socket there is exactly one.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Winsock error codes the model produces.
pub mod code {
    /// WSAEINTR (a blocking call that could never complete; see the simulator's README).
    pub const INTR: i32 = 10004;
    /// WSAEFAULT.
    pub const FAULT: i32 = 10014;
    /// WSAEINVAL.
    pub const INVAL: i32 = 10022;
    /// WSAEWOULDBLOCK.
    pub const WOULDBLOCK: i32 = 10035;
    /// WSAEMSGSIZE.
    pub const MSGSIZE: i32 = 10040;
    /// WSAEOPNOTSUPP.
    pub const OPNOTSUPP: i32 = 10045;
    /// WSAECONNRESET.
    pub const CONNRESET: i32 = 10054;
}

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
    /// An ICMP port unreachable about an earlier send.
    PortUnreachable,
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

/// What a call returned and wrote. Fields the call leaves untouched are `None`.
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

const MSG_PEEK: u32 = 0x2;
const MSG_TRUNC: u32 = 0x100;
const MSG_CTRUNC: u32 = 0x200;

/// One socket, as far as receiving is concerned.
#[derive(Clone, Debug, Default)]
pub struct Socket {
    /// The receive queue, oldest first.
    pub queue: VecDeque<Queued>,
    /// The socket is bound.
    pub bound: bool,
    /// FIONBIO.
    pub nonblocking: bool,
    /// IP_PKTINFO.
    pub pktinfo: bool,
    /// IP_RECVTTL.
    pub recvttl: bool,
    /// The socket's own address (the destination of what it receives).
    pub local: Option<SocketAddrV4>,
}

impl Socket {
    /// Performs `call` and returns what Windows would.
    pub fn receive(&mut self, call: &Call) -> Outcome {
        let fail = |e: i32| Outcome {
            result: Err(e),
            written: vec![Vec::new(); call.buffers.len()],
            count: None,
            name: None,
            control: None,
            flags: None,
        };
        let msg = call.api == Api::WsaRecvMsg;
        // Input flags: MSG_PEEK only (other bits: not supported on a datagram socket;
        // output-only bits on WSARecvMsg are ignored).
        let ignorable = if msg {
            MSG_TRUNC | MSG_CTRUNC | 0x400 | 0x800
        } else {
            0
        };
        if call.flags & !(MSG_PEEK | ignorable) != 0 {
            return fail(code::OPNOTSUPP);
        }
        if !self.bound {
            return fail(code::INVAL);
        }
        let peek = call.flags & MSG_PEEK != 0;
        match self.queue.front() {
            None if self.nonblocking => fail(code::WOULDBLOCK),
            // Nothing can arrive in this model: a blocking call would wait forever.
            None => fail(code::INTR),
            Some(Queued::PortUnreachable) => {
                self.queue.pop_front();
                fail(code::CONNRESET)
            }
            Some(Queued::Datagram { payload, from, ttl }) => {
                let (payload, from, ttl) = (payload.clone(), *from, *ttl);
                if let Some(n) = call.name_len {
                    if n < 16 {
                        // Too small for a SOCKADDR_IN: fail, write nothing, keep the datagram.
                        return fail(code::FAULT);
                    }
                }
                let room: usize = call.buffers.iter().sum();
                let taken = payload.len().min(room);
                let mut written = Vec::new();
                let mut rest = &payload[..taken];
                for &b in &call.buffers {
                    let n = b.min(rest.len());
                    written.push(rest[..n].to_vec());
                    rest = &rest[n..];
                }
                let truncated = payload.len() > room;
                let (control, ctrunc) = if msg {
                    self.control_for(ttl, call.control_len.unwrap_or(0))
                } else {
                    (None, false)
                };
                if !peek {
                    self.queue.pop_front();
                }
                let mut flags = 0;
                if msg && truncated {
                    flags |= MSG_TRUNC;
                }
                if ctrunc {
                    flags |= MSG_CTRUNC;
                }
                let error = truncated || ctrunc;
                Outcome {
                    result: if error { Err(code::MSGSIZE) } else { Ok(taken) },
                    written,
                    count: match call.api {
                        Api::Recv | Api::RecvFrom => None,
                        _ => Some(taken as u32),
                    },
                    name: call.name_len.map(|_| (from, 16)),
                    control,
                    flags: match call.api {
                        Api::Recv | Api::RecvFrom => None,
                        _ => Some(flags),
                    },
                }
            }
        }
    }

    /// The control messages the options ask for, laid out as Windows x64 lays them out, and
    /// whether they were cut.
    fn control_for(&self, ttl: u8, room: u32) -> (Option<(Vec<u8>, u32)>, bool) {
        let local = self.local.map(|a| *a.ip()).unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mut messages: Vec<(i32, Vec<u8>)> = Vec::new();
        if self.pktinfo {
            // IN_PKTINFO: destination address, then the loopback interface index (1).
            let mut d = local.octets().to_vec();
            d.extend_from_slice(&1u32.to_le_bytes());
            messages.push((19, d));
        }
        if self.recvttl {
            // IP_RECVTTL delivers type IP_TTL (4) with an INT.
            messages.push((4, i32::from(ttl).to_le_bytes().to_vec()));
        }
        let mut out = Vec::new();
        let mut cut = false;
        for (ty, data) in messages {
            // Header: SIZE_T cmsg_len (unpadded), INT level (IPPROTO_IP), INT type; the
            // data padded to 8 bytes.
            let padded = (data.len() + 7) & !7;
            if out.len() + 16 + padded > room as usize {
                cut = true;
                break;
            }
            out.extend_from_slice(&((16 + data.len()) as u64).to_le_bytes());
            out.extend_from_slice(&0i32.to_le_bytes());
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&data);
            out.resize(out.len() + padded - data.len(), 0);
        }
        let len = out.len() as u32;
        (Some((out, len)), cut)
    }

    /// FIONREAD: the bytes of every queued datagram.
    pub fn bytes_queued(&self) -> usize {
        self.queue
            .iter()
            .map(|q| match q {
                Queued::Datagram { payload, .. } => payload.len(),
                Queued::PortUnreachable => 0,
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

    #[test]
    fn truncation_writes_the_prefix_and_fails() {
        let mut s = Socket {
            bound: true,
            ..Default::default()
        };
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
        let mut s = Socket {
            bound: true,
            pktinfo: true,
            local: Some("127.0.0.1:9".parse().unwrap()),
            ..Default::default()
        };
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
        assert_eq!((o.result, o.flags), (Err(code::MSGSIZE), Some(MSG_CTRUNC)));
        let o = s.receive(&call(24));
        assert_eq!(o.result, Ok(1));
        assert_eq!(o.control.unwrap().1, 24);
    }
}
