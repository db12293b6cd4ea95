//! Blocking calls in virtual time.

use super::{enter, Sim};
use crate::diag::Diagnostic;
use crate::error::{Errno, Result};
use crate::net::ports::SockKey;
use crate::sched::time::Instant;
use crate::sched::WaitState;
use crate::stack::{RecvArgs, RecvOk, RecvPoll, World};
use crate::trace::Event;

impl Sim {
    /// Waits until `poll` gives a result. Fails with WSAETIMEDOUT at `deadline`, with WSAEINTR
    /// if the socket is closed meanwhile (closesocket from another thread, or the last
    /// WSACleanup), and with WSAEINTR plus a [`Diagnostic::WouldBlockForever`] when every
    /// participating thread is blocked and nothing is scheduled that could wake anyone.
    pub(crate) fn block<T>(
        &self,
        handle: usize,
        key: Option<SockKey>,
        call: &'static str,
        deadline: Instant,
        mut poll: impl FnMut(&mut World) -> Option<Result<T>>,
    ) -> Result<T> {
        // A thread that blocks without having entered the simulation takes part for the
        // duration of the call, so that a lone caller still sees time move.
        let temporary = !enter::is_participant(self);
        let mut w = self.lock();
        if temporary {
            w.sched.participants += 1;
        }
        let result = loop {
            if key.is_some_and(|k| w.sock_by_key(k).is_none()) {
                break Err(Errno::Intr);
            }
            if let Some(r) = poll(&mut w) {
                break r;
            }
            if w.now() >= deadline {
                break Err(Errno::TimedOut);
            }
            let id = w.sched.add_waiter(deadline);
            if w.maybe_advance() {
                self.shared.cv.notify_all();
            }
            let state = loop {
                match w.sched.waiter_state(id) {
                    WaitState::Waiting => {
                        w = self
                            .shared
                            .cv
                            .wait(w)
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                    }
                    s => break s,
                }
            };
            w.sched.remove_waiter(id);
            if state == WaitState::Deadlocked {
                if let Some(r) = poll(&mut w) {
                    break r;
                }
                w.diagnose(Diagnostic::WouldBlockForever { call, handle });
                break Err(Errno::Intr);
            }
        };
        if temporary {
            w.sched.participants -= 1;
            w.maybe_advance();
        }
        drop(w);
        self.shared.cv.notify_all();
        result
    }

    /// A synchronous receive: the start checks, then the queue, then (on a blocking socket)
    /// a wait bounded by SO_RCVTIMEO.
    pub(crate) fn recv(&self, handle: usize, args: &RecvArgs) -> Result<RecvOk> {
        let (key, deadline, nonblocking) = self.with(|w| -> Result<_> {
            w.recv_start(handle, args)?;
            let s = w.sock(handle)?;
            // SO_RCVTIMEO is in milliseconds; 0 waits forever.
            let deadline = match s.opts.rcvtimeo {
                0 => Instant::NEVER,
                ms => w.now() + std::time::Duration::from_millis(u64::from(ms)),
            };
            Ok((s.key, deadline, s.nonblocking))
        })?;
        let poll = |w: &mut World| match w.recv_poll(handle, args) {
            RecvPoll::Ready(r) => Some(r),
            RecvPoll::Empty => None,
        };
        let r = if nonblocking {
            self.with(|w| poll(w).unwrap_or(Err(Errno::WouldBlock)))
        } else {
            self.block(handle, Some(key), args.call, deadline, poll)
        };
        if let Err(e @ (Errno::WouldBlock | Errno::TimedOut | Errno::Intr)) = r {
            self.with(|w| {
                w.record(|| Event::Recv {
                    handle,
                    call: args.call,
                    datagram: None,
                    bytes: 0,
                    flags: 0,
                    error: Some(e),
                })
            });
        }
        r
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
        let r: Result<()> = self.block(0, None, "Sleep", deadline, |_| None);
        debug_assert!(matches!(r, Err(Errno::TimedOut | Errno::Intr)));
    }
}
