//! Overlapped requests: posting, completing, announcing, cancelling.
//!
//! Sources (details and tests in CONTRACT.md, section D):
//! - posted receives take datagrams in posting order (WSARecvMsg page; Wine
//!   test_simultaneous_async_recv; wine8-observations);
//! - while pending, OVERLAPPED.Internal is STATUS_PENDING and InternalHigh untouched (Wine
//!   test_nonblocking_async_recv); at completion Internal is the NTSTATUS and InternalHigh the
//!   bytes, also for STATUS_BUFFER_OVERFLOW (Wine test_ip_pktinfo, afd.c test_recv);
//! - a completion is announced by a completion routine queued to the issuing thread, or else
//!   by setting hEvent; and by a completion-port packet when the socket has a port, unless
//!   hEvent's low bit is set, or the request succeeded at once and the socket skips port
//!   notification on success (SetFileCompletionNotificationModes page; Wine
//!   test_connect_completion_port, test_completion_port);
//! - a request that fails at once announces nothing (Wine test_completion_port);
//! - closesocket completes what is pending (afd.c test_recv: STATUS_CANCELLED for UDP), so
//!   do CancelIo (the calling thread's requests) and CancelIoEx;
//! - a thread's exit cancels its requests, except those on a socket with a completion port
//!   and no event (afd.c test_async_thread_termination; sock.c iocp_async_read_thread).

use super::port::Packet;
use super::status::NtStatus;
use crate::diag::Diagnostic;
use crate::error::{Errno, Result};
use crate::net::packet::IcmpKind;
use crate::net::ports::SockKey;
use crate::sched::thread::{Apc, Routine, SimThread, ThreadId};
use crate::socket::{Arrived, Entry};
use crate::stack::{recv_one, take_of, NameReq, RecvArgs, RecvOk, Take, World, MSG_PEEK};
use crate::trace::Event;

/// Writes a request's results into the caller's memory. The face implements it; the core
/// calls it with the world locked, once `pending` (if the request waits) and once `finish`.
pub(crate) trait Sink: Send {
    /// The request went pending: OVERLAPPED.Internal = STATUS_PENDING.
    fn pending(&mut self);
    /// The request completed: buffers, name and WSAMSG fields when `got` is given, then the
    /// OVERLAPPED's Internal and InternalHigh.
    fn finish(&mut self, status: NtStatus, bytes: usize, got: Option<Got<'_>>);
    /// Finished with: a sink may keep its memory for the next request (the face's does).
    fn recycle(self: Box<Self>) {}
}

/// What a completed receive got, for its sink.
#[derive(Copy, Clone)]
pub(crate) struct Got<'a> {
    pub ok: &'a RecvOk,
    /// The bytes received (`ok.copied` of them), in one or two pieces, where they are now:
    /// the datagram arriving, or the receive queue's ring. The sink writes them into the
    /// caller's buffers at completion, as Windows does, with no copy in between.
    pub data: [&'a [u8]; 2],
}

/// How a request announces its completion.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Notify {
    /// The issuing thread (completion routines run there).
    pub thread: Option<ThreadId>,
    /// The OVERLAPPED's address: its identity for CancelIoEx, waits and port packets.
    pub overlapped: usize,
    /// hEvent with its low bit cleared, if any.
    pub event: Option<usize>,
    pub routine: Option<Routine>,
    /// hEvent's low bit was clear: a port packet may be queued.
    pub to_port: bool,
}

/// A pending overlapped receive.
pub(crate) struct Request {
    pub id: u64,
    pub sock: SockKey,
    pub handle: usize,
    pub args: RecvArgs,
    pub notify: Notify,
    pub sink: Box<dyn Sink>,
}

impl core::fmt::Debug for Request {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("handle", &self.handle)
            .field("notify", &self.notify)
            .finish()
    }
}

/// What posting an overlapped receive did.
#[derive(Debug)]
pub(crate) enum Posted {
    /// Completed at once (the sink has written the results).
    Done { status: NtStatus, ok: RecvOk },
    /// Pending (WSA_IO_PENDING).
    Pending,
}

/// Which pending requests a cancellation takes.
#[derive(Copy, Clone, Debug)]
pub(crate) struct CancelFilter {
    /// Only those this thread issued (CancelIo).
    pub thread: Option<ThreadId>,
    /// Only this OVERLAPPED (CancelIoEx with one).
    pub overlapped: Option<usize>,
}

impl World {
    /// Posts an overlapped receive on `handle`.
    pub fn post_recv(
        &mut self,
        handle: usize,
        args: RecvArgs,
        notify: Notify,
        mut sink: Box<dyn Sink>,
    ) -> Result<Posted> {
        self.recv_start(handle, &args)?;
        let sock = self.sock(handle)?;
        let key = sock.key;
        self.check_routine_allowed(handle, &notify)?;
        if let NameReq::Len(n) = args.name {
            // W5: Wine takes the datagram and reports a name length of -1 instead.
            if n < sock.family.sockaddr_len() && !sock.wine8() {
                return Err(Errno::Fault);
            }
        }
        // "Overlapped sockets: There are too many outstanding overlapped I/O requests."
        if sock.pending.len() >= self.cfg.max_outstanding {
            return Err(Errno::WouldBlock);
        }
        let reused = self
            .requests
            .values()
            .find(|r| r.notify.overlapped == notify.overlapped)
            .map(|r| r.id);
        if let Some(request) = reused {
            self.diagnose(Diagnostic::OverlappedReused { handle, request });
        }
        self.check_concurrent_receive(handle, key, notify.thread);
        let id = self.next_request_id();
        let sock = self.sock(handle)?;
        if sock.pending.is_empty() {
            match sock.queue.front() {
                Some(Entry::Error { kind, .. }) => {
                    // Fails at once and announces nothing.
                    self.sock_mut(handle)?.queue.pop();
                    return Err(icmp_error(kind));
                }
                Some(Entry::Disconnect) => {
                    let sock = self.sock_mut(handle)?;
                    sock.queue.pop();
                    sock.discon = true;
                    sock.peer = None;
                    self.invalidate_routes();
                    return Err(Errno::Discon);
                }
                Some(Entry::Datagram(d)) => {
                    let datagram = d.id;
                    let ok = recv_one(sock, &d, &args);
                    let take = take_of(sock.kind, &ok, args.flags & MSG_PEEK != 0);
                    let status = status_of(&ok);
                    // Written from the queue before the datagram leaves it.
                    let (a, b) = sock.queue.front_payload(ok.copied);
                    sink.finish(
                        status,
                        ok.copied,
                        Some(Got {
                            ok: &ok,
                            data: [a, b],
                        }),
                    );
                    sink.recycle();
                    self.consume_head(handle, take)?;
                    self.record(|| Event::Complete {
                        handle,
                        request: id,
                        status,
                        bytes: ok.copied,
                        datagram: Some(datagram),
                    });
                    self.announce(key, &notify, status, ok.copied as u32, true);
                    return Ok(Posted::Done { status, ok });
                }
                None => {}
            }
        }
        sink.pending();
        self.sock_mut(handle)?.pending.push_back(id);
        self.requests.insert(
            id,
            Request {
                id,
                sock: key,
                handle,
                args,
                notify,
                sink,
            },
        );
        self.record(|| Event::Pending {
            handle,
            request: id,
        });
        Ok(Posted::Pending)
    }

    /// Announces the completion of an overlapped send or ioctl, which never waits. A
    /// completion routine is refused on a socket with a completion port, as for receives.
    /// `immediate` is false for an ioctl that reports WSA_IO_PENDING and fails later.
    pub fn announce_now(
        &mut self,
        handle: usize,
        notify: &Notify,
        status: NtStatus,
        bytes: u32,
        immediate: bool,
    ) -> Result<()> {
        let key = self.key_of(handle)?;
        self.announce(key, notify, status, bytes, immediate);
        Ok(())
    }

    /// WSAEINVAL for a completion routine on a socket with a completion port (Wine
    /// test_WSARecv, Windows rows).
    pub fn check_routine_allowed(&self, handle: usize, notify: &Notify) -> Result<()> {
        if notify.routine.is_some() && self.sock(handle)?.port.is_some() {
            return Err(Errno::Inval);
        }
        Ok(())
    }

    /// Completes pending request `id`; a delivered datagram comes with its bytes.
    fn complete(&mut self, id: u64, status: NtStatus, got: Option<(&RecvOk, &[u8])>) {
        let Some(mut req) = self.requests.remove(&id) else {
            return;
        };
        if let Some(s) = self.sock_by_key_mut(req.sock) {
            // Usually the oldest (receives complete in posting order).
            if s.pending.front() == Some(&id) {
                s.pending.pop_front();
            } else {
                s.pending.retain(|r| *r != id);
            }
        }
        let bytes = got.map_or(0, |(o, _)| o.copied);
        req.sink.finish(
            status,
            bytes,
            got.map(|(ok, data)| Got {
                ok,
                data: [data, &[]],
            }),
        );
        req.sink.recycle();
        let datagram = got.map(|(o, _)| o.datagram);
        self.record(|| Event::Complete {
            handle: req.handle,
            request: req.id,
            status,
            bytes,
            datagram,
        });
        self.announce(req.sock, &req.notify, status, bytes as u32, false);
    }

    /// Queues the completion routine, or sets the event; and queues the port packet.
    fn announce(
        &mut self,
        sock: SockKey,
        n: &Notify,
        status: NtStatus,
        bytes: u32,
        immediate: bool,
    ) {
        if let Some(Routine::Upcall {
            queue_apc,
            thread,
            client,
        }) = n.routine
        {
            let target = match self.handles.get(thread.0) {
                Some(crate::io::handles::Object::Thread(t)) => Some(t),
                _ => n.thread,
            };
            if let Some(t) = target {
                let record = crate::io::upcall::Record {
                    thread: t,
                    sock,
                    routine: client,
                    error: status.to_wsa(self.cfg.cancelled_error),
                    bytes,
                    overlapped: n.overlapped,
                    flags: status.recv_flags(),
                    queued: false,
                };
                self.provider_completion(record, queue_apc, thread);
            }
        } else if let Some(routine) = n.routine {
            let thread = n
                .thread
                .and_then(|t| self.threads.get_mut(&t))
                .filter(|t| t.alive);
            if let Some(t) = thread {
                t.apcs.push_back(Apc::Completion {
                    routine,
                    error: status.to_wsa(self.cfg.cancelled_error),
                    // The routine's dwFlags comes from the status: 0 for datagrams, even when
                    // WSAMSG.dwFlags says MSG_CTRUNC (Wine test_ip_pktinfo, Windows rows);
                    // MSG_PARTIAL for a part of a message.
                    flags: status.recv_flags(),
                    bytes,
                    overlapped: n.overlapped,
                    sock,
                });
            } else if let Routine::Callback(id) = routine {
                // Its thread is gone: the closure will never run.
                self.callbacks.remove(id);
            }
        } else if let Some(ev) = n.event {
            // With a completion routine, hEvent is the caller's to use (Wine test_WSARecv:
            // the event is not signalled); otherwise it is set.
            self.set_event(ev);
        }
        let (port, skip) = match self.sock_by_key(sock) {
            Some(s) => (s.port, s.skip_port_on_success),
            None => (None, false),
        };
        if let Some((port_id, key)) = port {
            // Windows queues a packet for an immediate warning (truncation) even so; Wine 8
            // skips it too (diff/corpus/port_skip_on_success.json, port_packets.json).
            let skips = status.is_success() || (self.cfg.wine8() && !status.is_error());
            let skipped = immediate && skip && skips;
            if n.to_port && !skipped {
                self.post_packet(
                    port_id,
                    Packet {
                        key,
                        bytes,
                        overlapped: n.overlapped,
                        status,
                    },
                );
            }
        }
        self.sched.wake_all();
    }

    /// A datagram arriving at a socket with pending receives completes them in posting order:
    /// a peeking request sees it and leaves it for the next one; so does a request too small
    /// for a whole-message protocol; a request that takes a part passes the rest on. Returns
    /// what is left to queue, if anything.
    /// `payload` is the datagram's payload; what is left of it to queue is the tail of the
    /// slice, `arrived.len` bytes long.
    pub(crate) fn deliver_to_pending(
        &mut self,
        key: SockKey,
        mut arrived: Arrived,
        payload: &[u8],
    ) -> Option<Arrived> {
        let mut rest = payload;
        loop {
            let sock = self.sock_by_key(key)?;
            let Some(&id) = sock.pending.front() else {
                return Some(arrived);
            };
            let args = self.requests[&id].args;
            let ok = recv_one(sock, &arrived, &args);
            let take = take_of(sock.kind, &ok, args.flags & MSG_PEEK != 0);
            let status = status_of(&ok);
            self.complete(id, status, Some((&ok, &rest[..ok.copied])));
            match take {
                Take::All => {
                    self.ledger.delivered += 1;
                    return None;
                }
                Take::Part(n) => {
                    rest = &rest[n..];
                    arrived.len = rest.len() as u32;
                }
                Take::Nothing => {}
            }
        }
    }

    /// An ICMP error reaching a socket with a pending receive completes the first one with
    /// its status (STATUS_PORT_UNREACHABLE / STATUS_HOPLIMIT_EXCEEDED). Returns whether one
    /// took it.
    pub(crate) fn fail_first_pending(&mut self, key: SockKey, kind: IcmpKind) -> bool {
        let Some(&id) = self.sock_by_key(key).and_then(|s| s.pending.front()) else {
            return false;
        };
        let status = match kind {
            IcmpKind::PortUnreachable => NtStatus::PORT_UNREACHABLE,
            IcmpKind::TtlExpired => NtStatus::HOPLIMIT_EXCEEDED,
        };
        self.complete(id, status, None);
        true
    }

    /// Completes every pending request of a socket with `status` (closesocket).
    pub(crate) fn abort_pending(&mut self, key: SockKey, status: NtStatus) {
        let ids: Vec<u64> = self
            .sock_by_key(key)
            .map(|s| s.pending.iter().copied().collect())
            .unwrap_or_default();
        for id in ids {
            self.complete(id, status, None);
        }
    }

    /// CancelIo / CancelIoEx: completes the matching requests with STATUS_CANCELLED and says
    /// how many there were.
    pub fn cancel_io(&mut self, handle: usize, filter: CancelFilter) -> Result<usize> {
        let key = self.key_of(handle)?;
        let ids: Vec<u64> = self
            .sock_by_key(key)
            .map(|s| s.pending.iter().copied().collect())
            .unwrap_or_default();
        let mut n = 0;
        for id in ids {
            let r = &self.requests[&id];
            let thread_ok = filter.thread.is_none_or(|t| r.notify.thread == Some(t));
            let ov_ok = filter.overlapped.is_none_or(|o| r.notify.overlapped == o);
            if thread_ok && ov_ok {
                self.complete(id, NtStatus::CANCELLED, None);
                n += 1;
            }
        }
        Ok(n)
    }

    /// A simulated thread ended: its APCs are gone, and its requests are cancelled unless
    /// they report to a completion port without an event (no completion routine runs for
    /// them: the thread is gone).
    pub fn thread_exit(&mut self, tid: ThreadId) {
        if let Some(t) = self.threads.get_mut(&tid) {
            t.alive = false;
            for apc in std::mem::take(&mut t.apcs) {
                if let Apc::Completion {
                    routine: Routine::Callback(id),
                    ..
                } = apc
                {
                    self.callbacks.remove(id);
                }
            }
        }
        let ids: Vec<u64> = self
            .requests
            .values()
            .filter(|r| r.notify.thread == Some(tid))
            .filter(|r| {
                // Survives only what would reach a port with no event to signal: afd.c's
                // test_async_thread_termination keeps a request with a port, an ApcContext
                // (a clear low bit of hEvent) and no event, and cancels every other.
                let on_port = self.sock_by_key(r.sock).is_some_and(|s| s.port.is_some());
                !(on_port && r.notify.to_port && r.notify.event.is_none())
            })
            .map(|r| r.id)
            .collect();
        for id in ids {
            self.complete(id, NtStatus::CANCELLED, None);
        }
        self.provider_thread_exit(tid);
        self.sched.wake_all();
    }

    /// The pending request with this OVERLAPPED, if any.
    pub fn pending_request(&self, overlapped: usize) -> Option<&Request> {
        self.requests
            .values()
            .find(|r| r.notify.overlapped == overlapped)
    }

    /// The next APC thread `tid` may run now. Completion routines queued ahead of the next
    /// user APC may run in any order (WSARecvMsg page: "The completion routines can be
    /// called in any order"); which one goes first is a recorded choice.
    pub fn take_apc(&mut self, tid: ThreadId) -> Option<Apc> {
        let t = self.threads.get_mut(&tid)?;
        // The usual case, one APC that may run: no choice to make, nothing to count.
        if t.apcs.len() == 1 && t.runnable(&t.apcs[0]) {
            let apc = t.apcs.pop_front()?;
            if let Apc::Completion { sock, .. } = apc {
                t.running_routines.insert(sock);
            }
            return Some(apc);
        }
        let t = &*t;
        let first = t.apcs.iter().position(|a| t.runnable(a))?;
        // Counted, then the picked one found again: the usual single APC needs no list.
        let user = matches!(t.apcs[first], Apc::User { .. });
        let candidates = if user {
            1
        } else {
            completion_candidates(t, first).count()
        };
        let pick = if candidates > 1 {
            let c = self.chooser.choose(candidates);
            let of = candidates;
            self.record(|| Event::Choice {
                what: "completion routine order",
                picked: c,
                of,
            });
            c
        } else {
            0
        };
        let at = if user {
            first
        } else {
            completion_candidates(self.threads.get(&tid)?, first).nth(pick)?
        };
        let apc = self.threads.get_mut(&tid)?.apcs.remove(at)?;
        if let Apc::Completion { sock, .. } = apc {
            self.threads.get_mut(&tid)?.running_routines.insert(sock);
        }
        Some(apc)
    }

    /// A completion routine of `sock` returned on thread `tid`.
    pub fn routine_returned(&mut self, tid: ThreadId, sock: crate::net::ports::SockKey) {
        if let Some(t) = self.threads.get_mut(&tid) {
            t.running_routines.remove(&sock);
        }
        self.repay_owed_apc(tid);
    }

    /// Contract checker: two threads receiving on one socket at once (WSARecvMsg page: "should
    /// not be called on the same socket simultaneously from different threads").
    pub(crate) fn check_concurrent_receive(
        &mut self,
        handle: usize,
        key: SockKey,
        me: Option<ThreadId>,
    ) {
        let other = self
            .threads
            .iter()
            .find(|(t, th)| Some(**t) != me && th.receiving_on == Some(key))
            .map(|(t, _)| *t);
        if let (Some(other), Some(me)) = (other, me) {
            self.diagnose(Diagnostic::ConcurrentReceive {
                handle,
                threads: (other.get(), me.get()),
            });
        }
    }
}

/// Where in thread `t`'s APC queue the completion routines are that may run now, when the
/// first runnable APC, at `first`, is one: the runnable ones up to the next user APC.
fn completion_candidates(t: &SimThread, first: usize) -> impl Iterator<Item = usize> + '_ {
    t.apcs
        .iter()
        .enumerate()
        .skip(first)
        .take_while(|(_, a)| matches!(a, Apc::Completion { .. }))
        .filter(|(_, a)| t.runnable(a))
        .map(|(i, _)| i)
}

/// The status of a delivered datagram: STATUS_BUFFER_OVERFLOW when data or control was cut.
pub(crate) fn status_of(ok: &RecvOk) -> NtStatus {
    if ok.error.is_some() {
        NtStatus::BUFFER_OVERFLOW
    } else if ok.flags & crate::io::status::MSG_PARTIAL != 0 {
        NtStatus::RECEIVE_PARTIAL
    } else {
        NtStatus::SUCCESS
    }
}

fn icmp_error(kind: IcmpKind) -> Errno {
    match kind {
        IcmpKind::PortUnreachable => Errno::ConnReset,
        IcmpKind::TtlExpired => Errno::NetReset,
    }
}
