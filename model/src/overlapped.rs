//! Overlapped receives: posting, completion, the three announcements (event, completion
//! routine, completion-port packet), cancellation, and what the caller can read back.
//!
//! The rules, from the WSARecvMsg page and the Windows rows of Wine's tests: a receive that
//! can be satisfied at once completes at once (returning 0, or WSAEMSGSIZE for a truncated
//! datagram without a routine, or WSA_IO_PENDING with one) and is still announced; otherwise it
//! pends, and pending receives take arriving datagrams in posting order; a failure at post
//! time announces nothing; a completion routine is refused on a socket with a port.

use crate::code;
use crate::deliver::Delivery;
use crate::socket::{Api, Call, Queued, Socket, MSG_PEEK};

/// How a request announces its completion.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Notify {
    /// hEvent is set (and the socket's port, if it has one, gets a packet).
    Event,
    /// A completion routine is queued to the posting thread.
    Routine,
    /// No event: only the socket's port, if it has one, hears of it.
    Nothing,
}

/// A completed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    /// OVERLAPPED.Internal.
    pub status: u32,
    /// OVERLAPPED.InternalHigh.
    pub bytes: usize,
    /// What the datagram wrote, if one completed it.
    pub delivery: Option<Delivery>,
}

/// One posted receive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Its shape.
    pub call: Call,
    /// How it announces completion.
    pub notify: Notify,
    /// `None` while pending.
    pub done: Option<Done>,
}

/// A completion routine call: (dwError, cbTransferred, the request, dwFlags).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RoutineCall {
    /// The request's index.
    pub request: usize,
    /// dwError.
    pub error: i32,
    /// cbTransferred.
    pub bytes: u32,
    /// dwFlags (0 for datagrams, even with MSG_CTRUNC: Wine test_ip_pktinfo).
    pub flags: u32,
}

/// A completion-port packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The request's index.
    pub request: usize,
    /// The status (GetQueuedCompletionStatus fails for anything but success).
    pub status: u32,
    /// Bytes transferred.
    pub bytes: u32,
}

/// What Windows allows as the result of a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed<T> {
    /// These, in any order ("the completion routines can be called in any order").
    AnyOrder(Vec<T>),
}

impl<T: Ord + Clone> Allowed<T> {
    /// Whether `seen` is one of the allowed outcomes.
    pub fn admits(&self, seen: &[T]) -> bool {
        match self {
            Allowed::AnyOrder(v) => {
                let (mut a, mut b) = (v.clone(), seen.to_vec());
                a.sort();
                b.sort();
                a == b
            }
        }
    }
}

/// What posting returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostOutcome {
    /// 0, or the error (WSA_IO_PENDING for a request that was accepted and waits).
    pub result: Result<(), i32>,
    /// The request's index, if it was accepted (it completed or pends).
    pub request: Option<usize>,
    /// The byte count written at once (an immediate completion).
    pub count: Option<u32>,
}

impl Socket {
    /// Posts an overlapped receive.
    pub fn post(&mut self, call: Call, notify: Notify) -> PostOutcome {
        let refuse = |e| PostOutcome {
            result: Err(e),
            request: None,
            count: None,
        };
        if self.closed {
            return refuse(code::NOTSOCK);
        }
        if let Err(e) = Self::check_flags(&call) {
            return refuse(e);
        }
        if !self.bound {
            return refuse(code::INVAL);
        }
        if notify == Notify::Routine && self.port {
            // Wine test_WSARecv (Windows rows).
            return refuse(code::INVAL);
        }
        if call.name_len.is_some_and(|n| n < 16) {
            return refuse(code::FAULT);
        }
        if self.pending.is_empty() {
            match self.queue.front() {
                Some(Queued::PortUnreachable) => {
                    self.queue.pop_front();
                    return refuse(code::CONNRESET);
                }
                Some(Queued::TtlExpired) => {
                    self.queue.pop_front();
                    return refuse(code::NETRESET);
                }
                Some(Queued::Datagram { payload, from, ttl }) => {
                    let d = crate::deliver(&call, &self.opts, payload, *from, *ttl);
                    if call.flags & MSG_PEEK == 0 {
                        self.queue.pop_front();
                    }
                    let id = self.requests.len();
                    let overflow = d.overflow();
                    let taken = d.taken as u32;
                    self.requests.push(Request {
                        call,
                        notify,
                        done: None,
                    });
                    self.complete(id, Some(d));
                    let result = if !overflow {
                        Ok(())
                    } else if notify == Notify::Routine {
                        Err(code::PENDING)
                    } else {
                        Err(code::MSGSIZE)
                    };
                    return PostOutcome {
                        result,
                        request: Some(id),
                        count: Some(taken),
                    };
                }
                None => {}
            }
        }
        let id = self.requests.len();
        self.requests.push(Request {
            call,
            notify,
            done: None,
        });
        self.pending.push_back(id);
        PostOutcome {
            result: Err(code::PENDING),
            request: Some(id),
            count: None,
        }
    }

    /// Completes request `id` with what a datagram delivered.
    pub(crate) fn complete(&mut self, id: usize, d: Option<Delivery>) {
        let (status, bytes) = match &d {
            Some(d) if d.overflow() => (code::STATUS_BUFFER_OVERFLOW, d.taken),
            Some(d) => (code::STATUS_SUCCESS, d.taken),
            None => (code::STATUS_SUCCESS, 0),
        };
        self.finish(id, status, bytes, d);
    }

    /// Completes request `id` and announces it.
    pub(crate) fn finish(&mut self, id: usize, status: u32, bytes: usize, d: Option<Delivery>) {
        let notify = self.requests[id].notify;
        self.requests[id].done = Some(Done {
            status,
            bytes,
            delivery: d,
        });
        if notify == Notify::Routine {
            self.due.push(RoutineCall {
                request: id,
                error: code::wsa_of(status),
                bytes: bytes as u32,
                flags: 0,
            });
        }
        if self.port {
            self.packets.push_back(Packet {
                request: id,
                status,
                bytes: bytes as u32,
            });
        }
    }

    /// CancelIoEx: request `id`, or every pending one; how many it cancelled (0: FALSE with
    /// ERROR_NOT_FOUND).
    pub fn cancel(&mut self, id: Option<usize>) -> usize {
        let ids: Vec<usize> = self
            .pending
            .iter()
            .copied()
            .filter(|&p| id.is_none_or(|i| i == p))
            .collect();
        self.pending.retain(|p| !ids.contains(p));
        for &p in &ids {
            self.finish(p, code::STATUS_CANCELLED, 0, None);
        }
        ids.len()
    }

    /// An alertable wait: the completion routines due, in an order Windows leaves open.
    pub fn alertable_wait(&mut self) -> Allowed<RoutineCall> {
        Allowed::AnyOrder(std::mem::take(&mut self.due))
    }

    /// The completion routines the last synchronous receive ran while it waited, in an order
    /// Windows leaves open.
    pub fn ran_in_call(&mut self) -> Allowed<RoutineCall> {
        Allowed::AnyOrder(std::mem::take(&mut self.ran_in_call))
    }

    /// GetQueuedCompletionStatus with a zero timeout.
    pub fn dequeue(&mut self) -> Option<Packet> {
        self.packets.pop_front()
    }

    /// WSAGetOverlappedResult(fWait FALSE): Ok((bytes, flags)) or Err((error, bytes written
    /// to lpcbTransfer, if any)).
    pub fn result(&self, id: usize) -> Result<(u32, u32), (i32, Option<u32>)> {
        match &self.requests[id].done {
            None => Err((code::INCOMPLETE, None)),
            Some(d) if d.status == code::STATUS_SUCCESS => Ok((d.bytes as u32, 0)),
            Some(d) => Err((code::wsa_of(d.status), Some(d.bytes as u32))),
        }
    }

    /// Whether an overlapped call of this API is possible (recv and recvfrom have no
    /// OVERLAPPED).
    pub fn can_post(api: Api) -> bool {
        matches!(api, Api::WsaRecv | Api::WsaRecvFrom | Api::WsaRecvMsg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock() -> Socket {
        Socket::bound("127.0.0.1:9".parse().unwrap())
    }

    fn call(n: usize) -> Call {
        Call {
            api: Api::WsaRecv,
            buffers: vec![n],
            flags: 0,
            name_len: None,
            control_len: None,
        }
    }

    #[test]
    fn posted_receives_take_datagrams_in_posting_order() {
        let mut s = sock();
        let a = s.post(call(4), Notify::Routine).request.unwrap();
        let b = s.post(call(4), Notify::Routine).request.unwrap();
        s.arrive(vec![1], "127.0.0.1:5".parse().unwrap(), 128);
        s.arrive(vec![2, 2], "127.0.0.1:5".parse().unwrap(), 128);
        assert_eq!(s.requests[a].done.as_ref().unwrap().bytes, 1);
        assert_eq!(s.requests[b].done.as_ref().unwrap().bytes, 2);
        let due = s.alertable_wait();
        assert!(due.admits(&[
            RoutineCall {
                request: b,
                error: 0,
                bytes: 2,
                flags: 0
            },
            RoutineCall {
                request: a,
                error: 0,
                bytes: 1,
                flags: 0
            },
        ]));
    }

    #[test]
    fn truncated_immediate_completion_with_and_without_routine() {
        let mut s = sock();
        s.port = true;
        s.arrive(vec![0; 10], "127.0.0.1:5".parse().unwrap(), 128);
        let o = s.post(call(4), Notify::Event);
        assert_eq!((o.result, o.count), (Err(code::MSGSIZE), Some(4)));
        assert_eq!(s.dequeue().unwrap().status, code::STATUS_BUFFER_OVERFLOW);
        assert_eq!(
            s.post(call(4), Notify::Routine).result,
            Err(code::INVAL),
            "routine on a port"
        );
        assert_eq!(s.cancel(None), 0);
    }
}
