//! A simulation: the shared handle to one world, how it is built, and how threads take part.

pub(crate) mod block;
mod builder;
mod enter;

use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};

pub use builder::{HostSpec, SimBuilder};
pub(crate) use enter::{
    cached_thread_id, current, is_current_world, is_participant, thread_id, Here,
};
pub use enter::{EnterGuard, Outside};

use crate::diag::DiagnosticRecord;
use crate::ledger::Ledger;
use crate::net::fault::FaultRule;
use crate::net::topology::HostId;
use crate::sched::time::Instant;
use crate::stack::World;
use crate::trace::{Event, Trace};

pub(crate) struct Shared {
    pub world: Mutex<World>,
    pub cv: Condvar,
}

/// A simulation: virtual hosts on a virtual network, with its own clock and seed.
///
/// `Sim` is a cheap handle (clone it freely) and may be used from several threads. A thread
/// that calls the `ws2` face uses the simulation it has [entered](Sim::enter), or else a fresh
/// default simulation of its own.
#[derive(Clone)]
pub struct Sim {
    pub(crate) shared: Arc<Shared>,
}

impl core::fmt::Debug for Sim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sim").field("now", &self.now()).finish()
    }
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    /// The default simulation: one host ("localhost", id 0) with 127.0.0.1 and ::1, seed 0.
    pub fn new() -> Sim {
        SimBuilder::new().build()
    }

    /// The simulation the `ws2` face uses on this thread: the one it has entered, or the
    /// thread's own default simulation (created on first use).
    pub fn current() -> Sim {
        current().sim.clone()
    }

    /// A builder for a simulation with more hosts, a seed, latencies and fault rules.
    pub fn builder() -> SimBuilder {
        SimBuilder::new()
    }

    #[inline]
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while the lock was held is a simulator bug; it has been reported where it
        // happened, and the face marks the world broken. The lock does not poison, so that
        // diagnostics can still be read.
        self.shared.world.lock()
    }

    /// Runs `f` with the world locked, then wakes threads blocked in the simulation and makes
    /// the provider upcalls `f` left to do (they must run unlocked).
    ///
    /// Anything may change here, so cached routes are forgotten (see `stack::route_cache`).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        self.with_data(|w| {
            w.invalidate_routes();
            f(w)
        })
    }

    /// `with` for the data path (sends and receives), which keeps cached routes: it changes
    /// nothing they depend on, or forgets them itself where it does.
    ///
    /// Inlined, so that a send's or receive's result stays in registers; what is left to do
    /// after `f` (upcalls, waking waiters) is rare on the data path and stays out of line.
    #[inline]
    pub(crate) fn with_data<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut w = self.lock();
        let r = f(&mut w);
        if w.provider_apcs.deferred.is_empty() && !w.sched.has_waiters() {
            return r;
        }
        self.release(w);
        r
    }

    /// Unlocks the world, then wakes the threads blocked in the simulation (when any wait)
    /// and makes the provider upcalls left deferred (they must run unlocked). Out of line:
    /// on the data path there is rarely anything to do.
    #[inline(never)]
    pub(crate) fn release(&self, mut w: MutexGuard<'_, World>) {
        let deferred = w.provider_apcs.take_deferred();
        let wake = w.sched.has_waiters();
        drop(w);
        if wake {
            self.shared.cv.notify_all();
        }
        if let Some(deferred) = deferred {
            self.run_deferred(deferred);
        }
    }

    /// Makes deferred provider upcalls (see `io::upcall`).
    pub(crate) fn run_deferred(&self, deferred: crate::io::upcall::Upcalls) {
        // The upcalls (ws2's WPUQueueApc, or a layered provider's wrapper of it) act on this
        // simulation, as in a process with one ws2_32, whichever simulation the thread that
        // completed the request is in: a thread outside it may have sent the datagram.
        let _acting = EnterGuard::acting(self.clone());
        for d in deferred.in_order() {
            let ok = crate::spi::queue_deferred_apc(&d);
            // Completion upcalls are the data path's (they decide no route).
            self.with_data(|w| w.provider_apc_queued(d.record, ok));
        }
    }

    /// Whether two handles are the same simulation.
    pub fn same(&self, other: &Sim) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.lock().now()
    }

    /// The id of the host called `name`.
    pub fn host(&self, name: &str) -> Option<HostId> {
        self.lock()
            .hosts
            .iter()
            .position(|h| h.name == name)
            .map(|i| HostId(i as u32))
    }

    /// Moves virtual time forward by `d`, delivering whatever falls due on the way.
    pub fn advance(&self, d: Duration) {
        self.with(|w| {
            let to = w.now() + d;
            w.advance_to(to);
        });
    }

    /// Runs every scheduled arrival, however far in the future, and returns the time reached.
    pub fn run_until_idle(&self) -> Instant {
        self.with(|w| {
            while let Some(t) = w.sched.next_timer() {
                w.advance_to(t);
            }
            w.now()
        })
    }

    /// Adds a fault rule; rules apply in the order they were added.
    pub fn add_fault(&self, rule: FaultRule) {
        self.with(|w| w.faults.push(rule));
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.with(|w| w.faults.clear());
    }

    /// Takes a host's network down (every socket call on it fails with WSAENETDOWN and
    /// datagrams to it are dropped) or brings it back.
    pub fn set_network_down(&self, host: HostId, down: bool) {
        self.with(|w| {
            w.host_mut(host).net_down = down;
            w.record(|| Event::NetworkState { host, down });
            w.sched.wake_all();
        });
    }

    /// A copy of the trace so far.
    pub fn trace(&self) -> Trace {
        self.lock().trace.clone()
    }

    /// The trace as text (see [`Trace::to_text`]).
    pub fn trace_text(&self) -> String {
        self.lock().trace.to_text()
    }

    /// A copy of the datagram ledger (what was sent, delivered, dropped and why).
    pub fn ledger(&self) -> Ledger {
        self.lock().ledger.clone()
    }

    /// Every choice made so far: (option taken, number of options), in order.
    pub fn choices_made(&self) -> Vec<(usize, usize)> {
        self.lock().chooser.made.clone()
    }

    /// The diagnostics raised so far.
    pub fn diagnostics(&self) -> Vec<DiagnosticRecord> {
        self.lock().diagnostics.clone()
    }

    /// Enters the simulation on this thread, on host 0, until the guard drops: the `ws2`
    /// face then uses it, and the thread counts as a participant (virtual time moves only
    /// when every participant is blocked).
    pub fn enter(&self) -> EnterGuard {
        self.enter_host(HostId(0))
    }

    /// Enters the simulation on this thread as `host`.
    pub fn enter_host(&self, host: HostId) -> EnterGuard {
        EnterGuard::new(self.clone(), host)
    }

    /// Spawns an OS thread that enters this simulation as `host` and runs `f`. Joining it
    /// through the returned handle does not hold virtual time back.
    pub fn spawn<F, T>(&self, host: HostId, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let sim = self.clone();
        // Count the new thread, and give it its id, before it starts: time cannot move in
        // between, and ids follow the order of spawn calls, not of OS scheduling.
        let id = sim.with(|w| {
            w.sched.participants += 1;
            w.new_thread()
        });
        let inner = std::thread::spawn(move || {
            enter::adopt_identity(&sim, id);
            let _guard = EnterGuard::adopt(sim, host);
            f()
        });
        JoinHandle {
            sim: self.clone(),
            id,
            inner,
        }
    }
}

/// A thread spawned with [`Sim::spawn`].
pub struct JoinHandle<T> {
    sim: Sim,
    id: crate::sched::thread::ThreadId,
    inner: std::thread::JoinHandle<T>,
}

impl<T> JoinHandle<T> {
    /// The thread's simulated id (what GetCurrentThreadId returns in it; OpenThread takes it).
    pub fn thread_id(&self) -> crate::sched::thread::ThreadId {
        self.id
    }

    /// Waits for the thread. While waiting, the calling thread does not count as a
    /// participant of the simulation.
    pub fn join(self) -> std::thread::Result<T> {
        let _outside = Outside::new(&self.sim);
        self.inner.join()
    }
}
