//! Which simulation a thread is in.
//!
//! Each thread has a stack of entered simulations; the face uses the top one. A thread that
//! never entered one gets its own default simulation on first use, which lives until the
//! thread ends, so plain `#[test]` functions are isolated from each other.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;

use std::sync::{Arc, Weak};

use super::{Shared, Sim};
use crate::net::topology::HostId;
use crate::sched::thread::ThreadId;
use crate::stack::World;

/// A simulation and host a thread is in. Shared by `Rc`: the face takes it on every call,
/// and counting a thread-local reference is cheaper than counting the `Sim`'s atomic one.
pub(crate) struct Here {
    pub sim: Sim,
    pub host: HostId,
}

thread_local! {
    static ENTERED: RefCell<Vec<Rc<Here>>> = const { RefCell::new(Vec::new()) };
    static DEFAULT: RefCell<Option<DefaultSim>> = const { RefCell::new(None) };
    /// This OS thread's simulated thread in each simulation it has used; ending the OS
    /// thread ends them (their I/O is cancelled as a thread exit cancels it).
    static IDENTITIES: RefCell<Vec<Identity>> = const { RefCell::new(Vec::new()) };
    /// The last answer of `thread_id`: most calls ask again for the same simulation, and
    /// the search above upgrades a Weak per identity. The Weak keeps the simulation's
    /// allocation, so no other simulation can have its address while it is cached; a
    /// thread's id in a simulation never changes.
    static LAST_ID: RefCell<Option<(Weak<Shared>, ThreadId)>> = const { RefCell::new(None) };
}

/// The thread's own default simulation, and its simulated thread there. It ends with the
/// thread: leaving keeps the participant count right for anyone holding a handle to it, and
/// nothing is cancelled (a simulation that ends with its only thread has nobody left to
/// observe a cancellation, and the memory of its pending requests is typically gone).
struct DefaultSim(Rc<Here>, ThreadId);

impl Drop for DefaultSim {
    fn drop(&mut self) {
        leave(&self.0.sim);
    }
}

/// This OS thread as a simulated thread of a simulation it entered. When the OS thread ends,
/// the simulated thread exits: its pending I/O is cancelled as a Windows thread's is, if the
/// simulation still exists.
struct Identity {
    sim: Weak<Shared>,
    id: ThreadId,
}

impl Drop for Identity {
    fn drop(&mut self) {
        if let Some(shared) = self.sim.upgrade() {
            let id = self.id;
            Sim { shared }.with(|w| w.thread_exit(id));
        }
    }
}

/// This OS thread's simulated thread in `sim`, created on first use.
#[inline]
pub(crate) fn thread_id(sim: &Sim) -> ThreadId {
    match cached_thread_id(sim) {
        Some(id) => id,
        None => remember_thread_id(sim),
    }
}

/// `thread_id` when it was not the last answer. Kept out of line: the cached answer is the
/// face's every call.
#[cold]
#[inline(never)]
fn remember_thread_id(sim: &Sim) -> ThreadId {
    let id = find_thread_id(sim);
    LAST_ID.with(|c| *c.borrow_mut() = Some((Arc::downgrade(&sim.shared), id)));
    id
}

/// This OS thread's simulated thread in `sim` if `thread_id` answered it last (cheap, and
/// never creates one).
pub(crate) fn cached_thread_id(sim: &Sim) -> Option<ThreadId> {
    LAST_ID.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(w, _)| core::ptr::eq(w.as_ptr(), Arc::as_ptr(&sim.shared)))
            .map(|&(_, id)| id)
    })
}

fn find_thread_id(sim: &Sim) -> ThreadId {
    let default = DEFAULT.with(|d| {
        d.borrow()
            .as_ref()
            .filter(|d| d.0.sim.same(sim))
            .map(|d| d.1)
    });
    if let Some(id) = default {
        return id;
    }
    let found = IDENTITIES.with(|v| {
        v.borrow()
            .iter()
            .find(|i| {
                i.sim
                    .upgrade()
                    .is_some_and(|s| Arc::ptr_eq(&s, &sim.shared))
            })
            .map(|i| i.id)
    });
    if let Some(id) = found {
        return id;
    }
    let id = sim.with(|w| w.new_thread());
    adopt_identity(sim, id);
    id
}

/// Records that this OS thread is `id` in `sim` (a thread made by `Sim::spawn`).
pub(crate) fn adopt_identity(sim: &Sim, id: ThreadId) {
    IDENTITIES.with(|v| {
        let mut v = v.borrow_mut();
        // Forget the simulations that are gone, so that a long-lived thread running many
        // simulations (a test campaign) keeps a short list.
        v.retain(|i| i.sim.strong_count() > 0);
        v.push(Identity {
            sim: Arc::downgrade(&sim.shared),
            id,
        })
    });
}

fn join(sim: &Sim) {
    sim.with(|w| w.sched.participants += 1);
}

fn leave(sim: &Sim) {
    sim.with(|w| {
        w.sched.participants = w.sched.participants.saturating_sub(1);
        // The threads still inside may all be blocked now.
        w.maybe_advance();
    });
}

/// The simulation and host the face should use on this thread.
#[inline]
pub(crate) fn current() -> Rc<Here> {
    match ENTERED.with(|e| e.borrow().last().cloned()) {
        Some(top) => top,
        None => default_sim(),
    }
}

/// The thread's own default simulation (`current` when none is entered). Out of line, so
/// that the face's usual case stays small.
#[inline(never)]
fn default_sim() -> Rc<Here> {
    DEFAULT.with(|d| {
        let mut d = d.borrow_mut();
        d.get_or_insert_with(|| {
            let sim = Sim::new();
            join(&sim);
            let id = sim.with(|w| w.new_thread());
            let here = Here {
                sim,
                host: HostId(0),
            };
            DefaultSim(Rc::new(here), id)
        })
        .0
        .clone()
    })
}

/// Whether `w` is the world of the simulation `current` gives on this thread (never making a
/// default one).
pub(crate) fn is_current_world(w: &World) -> bool {
    let of = |sim: &Sim| core::ptr::eq(sim.shared.world.data_ptr().cast_const(), w);
    match ENTERED.with(|e| e.borrow().last().map(|h| of(&h.sim))) {
        Some(top) => top,
        None => DEFAULT.with(|d| d.borrow().as_ref().is_some_and(|d| of(&d.0.sim))),
    }
}

/// Whether this thread currently counts as a participant of `sim`.
pub(crate) fn is_participant(sim: &Sim) -> bool {
    ENTERED.with(|e| e.borrow().iter().any(|h| h.sim.same(sim)))
        || DEFAULT.with(|d| d.borrow().as_ref().is_some_and(|d| d.0.sim.same(sim)))
}

fn push(sim: &Sim, host: HostId) {
    let here = Here {
        sim: sim.clone(),
        host,
    };
    ENTERED.with(|e| e.borrow_mut().push(Rc::new(here)));
}

/// Keeps a thread inside a simulation; see [`Sim::enter`].
#[must_use = "the thread leaves the simulation when the guard drops"]
pub struct EnterGuard {
    sim: Sim,
    counted: bool,
    _not_send: PhantomData<*const ()>,
}

impl EnterGuard {
    pub(super) fn new(sim: Sim, host: HostId) -> EnterGuard {
        // A thread counts once however many times it enters the same simulation.
        let counted = !is_participant(&sim);
        if counted {
            join(&sim);
        }
        push(&sim, host);
        EnterGuard {
            sim,
            counted,
            _not_send: PhantomData,
        }
    }

    /// Makes `sim` this thread's current simulation until the guard drops, without counting
    /// the thread as one of its participants: for work done on the simulation's behalf by
    /// whichever thread happens to do it (`Sim::run_deferred`). The host is the first one;
    /// nothing done this way makes sockets.
    pub(crate) fn acting(sim: Sim) -> EnterGuard {
        push(&sim, HostId(0));
        EnterGuard {
            sim,
            counted: false,
            _not_send: PhantomData,
        }
    }

    /// Enters on behalf of a thread already counted by [`Sim::spawn`].
    pub(super) fn adopt(sim: Sim, host: HostId) -> EnterGuard {
        push(&sim, host);
        EnterGuard {
            sim,
            counted: true,
            _not_send: PhantomData,
        }
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        ENTERED.with(|e| {
            let mut e = e.borrow_mut();
            if let Some(i) = e.iter().rposition(|h| h.sim.same(&self.sim)) {
                e.remove(i);
            }
        });
        if self.counted {
            leave(&self.sim);
        }
    }
}

/// While alive, the current thread does not count as a participant of a simulation: use it
/// around waits on things outside the simulation (a channel, a join), so that virtual time
/// can move while this thread waits.
#[must_use = "the thread counts again when the guard drops"]
pub struct Outside {
    sim: Sim,
    was: bool,
}

impl Outside {
    /// Steps out of `sim` until the guard drops.
    pub fn new(sim: &Sim) -> Outside {
        let was = is_participant(sim);
        if was {
            leave(sim);
        }
        Outside {
            sim: sim.clone(),
            was,
        }
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        if self.was {
            join(&self.sim);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread that runs many simulations one after another keeps one identity per live
    /// simulation, not one per simulation it ever entered (a campaign ran 10x slower).
    #[test]
    fn identities_of_dropped_simulations_are_forgotten() {
        for _ in 0..100 {
            let sim = Sim::new();
            let _g = sim.enter();
            let _ = thread_id(&sim);
        }
        let live = Sim::new();
        let _g = live.enter();
        let _ = thread_id(&live);
        assert!(IDENTITIES.with(|v| v.borrow().len()) <= 2);
    }
}
