//! Blocking calls in virtual time.

use std::net::SocketAddr;

use super::{enter, Sim};
use crate::diag::Diagnostic;
use crate::error::{Errno, Result};
use crate::net::ports::SockKey;
use crate::sched::thread::ThreadId;
use crate::sched::time::Instant;
use crate::sched::WaitState;
use crate::stack::{NameReq, Out, Plain, RecvArgs, RecvOk, RecvPoll, SendArgs, World};
use crate::trace::Event;

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wait<T> {
    /// What it waited for.
    Ready(T),
    /// The deadline passed.
    TimedOut,
    /// The socket it waited on was closed (closesocket from another thread, WSACleanup).
    Closed,
    /// Every participant is blocked and nothing is scheduled: it could never end. A
    /// WouldBlockForever diagnostic has been recorded.
    Deadlock,
    /// An alertable wait found an APC to run (the caller runs it).
    Apc,
}

/// How a receive's first look ended.
pub(crate) enum First {
    /// It got a datagram (or a truncation to report with one).
    Done(RecvOk),
    /// Nothing queued on a blocking socket: wait (key, deadline, nonblocking).
    Wait((SockKey, Instant, bool)),
}

/// What a wait is, for its diagnostics.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Waiting {
    pub call: &'static str,
    /// The socket waited on (0 for none).
    pub handle: usize,
    /// The socket's key: the wait ends with `Closed` if the socket goes away.
    pub key: Option<SockKey>,
    /// For an alertable wait, the thread whose APCs end it.
    pub alertable: Option<ThreadId>,
}

impl Sim {
    /// Waits until `poll` gives a result, the deadline passes, the socket closes, an APC is
    /// due (alertable waits), or nothing could ever happen. The caller's checks come first:
    /// a poll that succeeds at once returns without waiting and without running APCs (Wine
    /// test_WSARecv: a receive that completes at once leaves queued APCs alone).
    pub(crate) fn wait<T>(
        &self,
        what: Waiting,
        deadline: Instant,
        mut poll: impl FnMut(&mut World) -> Option<T>,
    ) -> Wait<T> {
        // A thread that blocks without having entered the simulation takes part for the
        // duration of the call, so that a lone caller still sees time move.
        let temporary = !enter::is_participant(self);
        let mut w = self.lock();
        if temporary {
            w.sched.participants += 1;
        }
        let apc_due = |w: &World| {
            what.alertable
                .and_then(|t| w.threads.get(&t))
                .is_some_and(|t| t.has_runnable_apc())
        };
        let result = loop {
            if what.key.is_some_and(|k| w.sock_by_key(k).is_none()) {
                break Wait::Closed;
            }
            if let Some(r) = poll(&mut w) {
                break Wait::Ready(r);
            }
            if apc_due(&w) {
                break Wait::Apc;
            }
            if w.now() >= deadline {
                break Wait::TimedOut;
            }
            let id = w.sched.add_waiter(deadline);
            if w.maybe_advance() {
                self.shared.cv.notify_all();
            }
            if let Some(deferred) = w.provider_apcs.take_deferred() {
                // Time moved and a provider has upcalls to make: make them unlocked, then
                // look again (one of them may be an APC for this very thread).
                w.sched.remove_waiter(id);
                drop(w);
                self.shared.cv.notify_all();
                self.run_deferred(deferred);
                w = self.lock();
                continue;
            }
            let state = loop {
                match w.sched.waiter_state(id) {
                    WaitState::Waiting => self.shared.cv.wait(&mut w),
                    s => break s,
                }
            };
            w.sched.remove_waiter(id);
            if state == WaitState::Deadlocked {
                if let Some(r) = poll(&mut w) {
                    break Wait::Ready(r);
                }
                w.diagnose(Diagnostic::WouldBlockForever {
                    call: what.call,
                    handle: what.handle,
                });
                break Wait::Deadlock;
            }
        };
        if temporary {
            w.sched.participants -= 1;
            w.maybe_advance();
        }
        self.release(w);
        result
    }

    /// A synchronous receive's start, under one lock: the checks, the deadline, and a first
    /// look at the queue. Most receives end here; `First::Wait` hands the rest to
    /// `recv_round`. With `thread` (the face's receives), a blocking receive inside an APC
    /// that interrupted one is refused, and a concurrent receive on the socket is reported,
    /// before the queue is looked at.
    pub(crate) fn recv_first(
        &self,
        handle: usize,
        args: &RecvArgs,
        thread: Option<ThreadId>,
        out: Out<'_>,
    ) -> Result<First> {
        self.with_data(|w| -> Result<First> {
            w.recv_start(handle, args)?;
            let s = w.sock(handle)?;
            let (key, nonblocking) = (s.key, s.nonblocking);
            // SO_RCVTIMEO is in milliseconds; 0 waits forever.
            let deadline = match s.opts.rcvtimeo {
                0 => Instant::NEVER,
                ms => w.now() + std::time::Duration::from_millis(u64::from(ms)),
            };
            if let Some(tid) = thread {
                let in_apc = w
                    .threads
                    .get(&tid)
                    .is_some_and(|t| t.apc_in_blocking_call > 0);
                if !nonblocking && in_apc {
                    w.diagnose(Diagnostic::BlockingCallInApc { call: args.call });
                    return Err(Errno::InProgress);
                }
                w.check_concurrent_receive(handle, key, Some(tid));
            }
            match w.recv_poll(handle, args, out) {
                RecvPoll::Ready(r) => r.map(First::Done),
                RecvPoll::Empty if nonblocking => {
                    w.record(|| Event::Recv {
                        handle,
                        call: args.call,
                        datagram: None,
                        bytes: 0,
                        flags: 0,
                        error: Some(Errno::WouldBlock),
                    });
                    Err(Errno::WouldBlock)
                }
                RecvPoll::Empty => Ok(First::Wait((key, deadline, nonblocking))),
            }
        })
    }

    /// One round of a synchronous receive after `recv_first`: the queue, then (on a blocking
    /// socket) a wait until `deadline`. `Wait::Apc` asks the caller to run the thread's
    /// APCs and call again (a blocking Winsock call waits alertably and goes on waiting).
    pub(crate) fn recv_round(
        &self,
        handle: usize,
        args: &RecvArgs,
        (key, deadline, nonblocking): (SockKey, Instant, bool),
        alertable: Option<ThreadId>,
        out: Out<'_>,
    ) -> Wait<Result<RecvOk>> {
        let mut poll = |w: &mut World| match w.recv_poll(handle, args, &mut *out) {
            RecvPoll::Ready(r) => Some(r),
            RecvPoll::Empty => None,
        };
        if nonblocking {
            return Wait::Ready(self.with_data(|w| poll(w).unwrap_or(Err(Errno::WouldBlock))));
        }
        let what = Waiting {
            call: args.call,
            handle,
            key: Some(key),
            alertable,
        };
        self.with_data(|w| {
            if let Some(t) = alertable.and_then(|t| w.threads.get_mut(&t)) {
                t.receiving_on = Some(key);
            }
        });
        let r = self.wait(what, deadline, poll);
        self.with_data(|w| {
            if let Some(t) = alertable.and_then(|t| w.threads.get_mut(&t)) {
                t.receiving_on = None;
            }
        });
        r
    }

    /// The error a synchronous receive ends with when it did not get a datagram, recorded in
    /// the trace.
    pub(crate) fn recv_failed(&self, handle: usize, call: &'static str, e: Errno) -> Errno {
        self.with_data(|w| {
            w.record(|| Event::Recv {
                handle,
                call,
                datagram: None,
                bytes: 0,
                flags: 0,
                error: Some(e),
            })
        });
        e
    }

    /// A send (the safe API's): along the socket's cached route when it has one, else the
    /// full path.
    ///
    /// The cached route answers only whether it sent; the result is built here, after the
    /// world is released. A `Result` built under the lock reached the caller through memory,
    /// written in pieces and read whole, and that load waited for the stores to retire (a
    /// perf profile put an eighth of the pair there).
    #[inline]
    pub(crate) fn send(&self, handle: usize, args: &SendArgs) -> Result<usize> {
        if self.with_data(|w| w.send_cached(handle, args)) {
            return Ok(args.payload.len());
        }
        self.send_full(handle, args)
    }

    /// `send` past the cached route: the full path, under a lock of its own (it is the
    /// reference, whatever changed in between, and caches the route for the next send).
    #[inline(never)]
    fn send_full(&self, handle: usize, args: &SendArgs) -> Result<usize> {
        self.with_data(|w| w.send_uncached(handle, args))
    }

    /// The safe API's recv / recvfrom: the plain receive when it applies (see
    /// `stack::recv_plain`), else `recv`. The bytes received and the sender, or the error
    /// (WSAEMSGSIZE for a datagram cut short).
    ///
    /// The plain lane's result takes the API's shape while the world is still locked: a
    /// perf profile showed it rebuilt field by field on the way out (Option<Plain> into
    /// Result<Plain> into the API's Result), each copy stalling on the one before.
    #[inline]
    pub(crate) fn recv_from(
        &self,
        handle: usize,
        args: &RecvArgs,
        buf: &mut [u8],
    ) -> Result<(usize, SocketAddr)> {
        debug_assert_eq!(args.cap, buf.len());
        if args.flags == 0 && !args.msg && args.control.is_none() && args.name == NameReq::None {
            let plain = self.with_data(|w| w.recv_plain(handle, args.call, buf).map(Plain::api));
            if let Some(r) = plain {
                return r;
            }
        }
        self.recv_from_full(handle, args, buf)
    }

    #[inline(never)]
    fn recv_from_full(
        &self,
        handle: usize,
        args: &RecvArgs,
        buf: &mut [u8],
    ) -> Result<(usize, SocketAddr)> {
        let mut at = 0;
        let ok = self.recv(handle, args, &mut |piece: &[u8]| {
            buf[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        })?;
        let plain = Plain {
            copied: ok.copied,
            from: ok.from,
            error: ok.error,
        };
        plain.api()
    }

    /// A synchronous, non-alertable receive (the safe API); the bytes go to `out`.
    pub(crate) fn recv(&self, handle: usize, args: &RecvArgs, out: Out<'_>) -> Result<RecvOk> {
        let begun = match self.recv_first(handle, args, None, &mut *out)? {
            First::Done(ok) => return Ok(ok),
            First::Wait(begun) => begun,
        };
        match self.recv_round(handle, args, begun, None, out) {
            Wait::Ready(Ok(ok)) => Ok(ok),
            Wait::Ready(Err(e)) => {
                if e == Errno::WouldBlock {
                    self.recv_failed(handle, args.call, e);
                }
                Err(e)
            }
            Wait::TimedOut => Err(self.recv_failed(handle, args.call, Errno::TimedOut)),
            Wait::Closed | Wait::Deadlock | Wait::Apc => {
                Err(self.recv_failed(handle, args.call, Errno::Intr))
            }
        }
    }
}

impl Sim {
    /// Sleeps for `d` of virtual time (Sleep). The sleeper counts as blocked, so time moves
    /// once every other participant is blocked too. `None` sleeps forever, which ends with a
    /// [`Diagnostic::WouldBlockForever`] once nothing else can happen.
    pub fn sleep(&self, d: Option<std::time::Duration>) {
        if d == Some(std::time::Duration::ZERO) {
            return;
        }
        let deadline = match d {
            Some(d) => self.now() + d,
            None => Instant::NEVER,
        };
        let what = Waiting {
            call: "Sleep",
            handle: 0,
            key: None,
            alertable: None,
        };
        let _: Wait<()> = self.wait(what, deadline, |_| None);
    }
}
