//! Virtual time, timers, and the bookkeeping of blocked threads.
//!
//! Time moves only when every thread taking part in a simulation is blocked in it: then the
//! clock jumps to the earliest timer or wait deadline. If there is neither, nothing can ever
//! wake anybody, and every blocked call without a deadline is failed with a diagnostic instead
//! of hanging the test.

pub mod choice;
pub mod rng;
pub mod thread;
pub mod time;

use std::collections::BTreeMap;

use crate::net::packet::{IcmpError, Packet};
use time::Instant;

/// Something scheduled to happen at a virtual time.
#[derive(Debug)]
pub(crate) enum Timer {
    /// A datagram reaches the host it was routed to.
    Arrive {
        packet: Packet,
        host: crate::net::topology::HostId,
        hops: u8,
    },
    /// An ICMP error reaches the sender of a datagram.
    Icmp(IcmpError),
    /// A reliable message circuit's graceful close reaches the other end.
    Disconnect(crate::stack::Disconnect),
}

/// The state of one blocked call.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum WaitState {
    /// Blocked, counting towards "everybody is blocked".
    Waiting,
    /// Something changed; the thread must look again.
    Woken,
    /// Nothing could ever wake it.
    Deadlocked,
}

#[derive(Debug)]
struct Waiter {
    deadline: Instant,
    state: WaitState,
}

/// What the scheduler decided when everybody was blocked.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Advance {
    /// Somebody can still run: nothing to do.
    NotAllBlocked,
    /// Jump to this time.
    To(Instant),
    /// Nothing is scheduled and nobody has a deadline.
    Deadlock,
}

/// Timers and waiters.
#[derive(Debug, Default)]
pub(crate) struct Sched {
    pub now: Instant,
    seq: u64,
    timers: BTreeMap<(Instant, u64), Timer>,
    waiters: BTreeMap<u64, Waiter>,
    next_waiter: u64,
    /// Threads taking part: entered into the simulation, or inside one of its blocking calls.
    pub participants: usize,
}

impl Sched {
    /// Schedules `t` at `at` (never earlier than now). Timers at the same time run in the
    /// order they were scheduled.
    pub fn schedule(&mut self, at: Instant, t: Timer) {
        let at = at.max(self.now);
        self.seq += 1;
        self.timers.insert((at, self.seq), t);
    }

    /// The next timer that is due now, if any.
    #[inline]
    pub fn pop_due(&mut self) -> Option<Timer> {
        if self.timers.is_empty() {
            return None;
        }
        let (&(at, _), _) = self.timers.first_key_value()?;
        if at > self.now {
            return None;
        }
        self.timers.pop_first().map(|(_, t)| t)
    }

    /// When the next timer fires.
    #[inline]
    pub fn next_timer(&self) -> Option<Instant> {
        if self.timers.is_empty() {
            return None;
        }
        self.timers.first_key_value().map(|(&(at, _), _)| at)
    }

    pub fn add_waiter(&mut self, deadline: Instant) -> u64 {
        self.next_waiter += 1;
        let id = self.next_waiter;
        self.waiters.insert(
            id,
            Waiter {
                deadline,
                state: WaitState::Waiting,
            },
        );
        id
    }

    pub fn remove_waiter(&mut self, id: u64) {
        self.waiters.remove(&id);
    }

    pub fn waiter_state(&self, id: u64) -> WaitState {
        self.waiters
            .get(&id)
            .map(|w| w.state)
            .unwrap_or(WaitState::Woken)
    }

    /// Whether any thread is registered as waiting: only then must a change be announced
    /// on the condition variable (a futex wake costs a system call even with no one there).
    #[inline]
    pub fn has_waiters(&self) -> bool {
        !self.waiters.is_empty()
    }

    /// Marks every waiter woken: something they may be waiting for happened.
    #[inline(always)]
    pub fn wake_all(&mut self) {
        if !self.waiters.is_empty() {
            self.wake_waiting();
        }
    }

    #[inline(never)]
    fn wake_waiting(&mut self) {
        for w in self.waiters.values_mut() {
            if w.state == WaitState::Waiting {
                w.state = WaitState::Woken;
            }
        }
    }

    fn blocked(&self) -> usize {
        self.waiters
            .values()
            .filter(|w| w.state == WaitState::Waiting)
            .count()
    }

    /// If every participant is blocked, where time must go.
    pub fn decide(&self) -> Advance {
        if self.participants == 0 || self.blocked() < self.participants {
            return Advance::NotAllBlocked;
        }
        let deadline = self
            .waiters
            .values()
            .filter(|w| w.state == WaitState::Waiting)
            .map(|w| w.deadline)
            .min()
            .unwrap_or(Instant::NEVER);
        let next = self.next_timer().unwrap_or(Instant::NEVER).min(deadline);
        if next == Instant::NEVER {
            Advance::Deadlock
        } else {
            Advance::To(next)
        }
    }

    /// Marks every waiting thread deadlocked.
    pub fn declare_deadlock(&mut self) {
        for w in self.waiters.values_mut() {
            if w.state == WaitState::Waiting {
                w.state = WaitState::Deadlocked;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decides_only_when_everybody_is_blocked() {
        let mut s = Sched {
            participants: 2,
            ..Default::default()
        };
        let a = s.add_waiter(Instant::from_nanos(50));
        assert_eq!(s.decide(), Advance::NotAllBlocked);
        let b = s.add_waiter(Instant::NEVER);
        assert_eq!(s.decide(), Advance::To(Instant::from_nanos(50)));
        s.remove_waiter(a);
        s.participants = 1;
        assert_eq!(s.decide(), Advance::Deadlock);
        s.declare_deadlock();
        assert_eq!(s.waiter_state(b), WaitState::Deadlocked);
    }
}
