//! Completion routines a provider delivers itself, through the WPUQueueApc upcall (the
//! LPWSPRECVFROM page): "Since the completion routine must be executed in the context of the
//! same thread that initiated the overlapped operation, it cannot be invoked directly from
//! the service provider ... The service provider must instead supply a pointer to its own
//! APC function that uses the supplied context value to access the needed result
//! information for the overlapped operation, and then invokes the client
//! specified-completion routine."
//!
//! A completion is recorded here and the upcall is deferred: the world's lock is held when a
//! request completes, and the upcall (ws2's WPUQueueApc, or a layered provider's wrapper of
//! it) must run without it. Whoever releases the lock runs the deferred upcalls; when the
//! upcall is ws2's own WPUQueueApc for the thread's own simulation, which only queues an
//! APC on the world, and no other provider's upcall is deferred before it, `spi::upcall`
//! makes it as the request completes (the same steps in the same order; on Windows too the
//! provider queues the APC as it completes, so no other thread can see a completed request
//! whose APC is not yet queued). The
//! provider's APC function then takes a completion of its thread from here: the same rules
//! as the core's completion routines apply (a seeded, recorded choice among the due ones;
//! never two routines of one socket nested).

use std::collections::BTreeMap;

use super::idmap::IdMap;

use crate::net::ports::SockKey;
use crate::sched::thread::{Running, ThreadId};
use crate::stack::World;
use crate::trace::Event;

/// WPUQueueApc's type (LPWPUQUEUEAPC without the Option).
pub(crate) type QueueApcFn = unsafe extern "system" fn(
    *const windows_sys::Win32::Networking::WinSock::WSATHREADID,
    windows_sys::Win32::Networking::WinSock::LPWSAUSERAPC,
    usize,
    *mut i32,
) -> i32;

/// LPWPUQUEUEAPC.
pub(crate) type QueueApcOpt = Option<QueueApcFn>;

/// A client completion routine (LPWSAOVERLAPPED_COMPLETION_ROUTINE without the Option).
pub(crate) type ClientRoutine =
    unsafe extern "system" fn(u32, u32, *mut windows_sys::Win32::System::IO::OVERLAPPED, u32);

/// A provider's APC function (LPWSAUSERAPC without the Option).
pub(crate) type ApcFn = unsafe extern "system" fn(usize);

/// An upcall to make once the world is unlocked.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Deferred {
    pub queue_apc: QueueApcFn,
    /// The WSATHREADID the provider captured when the request was posted.
    pub thread_handle: usize,
    pub thread_reserved: usize,
    /// The completion record the provider's APC function will look for.
    pub record: u64,
}

/// Upcalls taken out of the world, to make once it is unlocked.
pub(crate) enum Upcalls {
    /// The data path's usual case: taking one leaves the world's list its memory, so the
    /// next completion does not allocate it again.
    One(Deferred),
    Many(Vec<Deferred>),
}

impl Upcalls {
    /// The upcalls, in the order they were deferred.
    pub fn in_order(self) -> impl Iterator<Item = Deferred> {
        let (one, many) = match self {
            Upcalls::One(d) => (Some(d), Vec::new()),
            Upcalls::Many(v) => (None, v),
        };
        one.into_iter().chain(many)
    }
}

/// One completed request whose routine a provider will run.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Record {
    pub thread: ThreadId,
    pub sock: SockKey,
    pub routine: ClientRoutine,
    pub error: u32,
    pub bytes: u32,
    pub overlapped: usize,
    pub flags: u32,
    /// Its APC was queued (WPUQueueApc succeeded): it is due in the thread's next alertable
    /// wait.
    pub queued: bool,
}

impl Record {
    /// Whether its routine may run now on `tid`, which runs the routines of `running`:
    /// queued, for that thread, and of a socket with no routine running there.
    fn due_on(&self, tid: ThreadId, running: Option<&Running>) -> bool {
        self.thread == tid && self.queued && !running.is_some_and(|s| s.contains(&self.sock))
    }
}

/// The records, and the upcalls not made yet.
#[derive(Debug, Default)]
pub(crate) struct ProviderApcs {
    pub records: IdMap<Record>,
    pub deferred: Vec<Deferred>,
    /// Per thread: calls of the provider's APC function that found nothing they could run (a
    /// routine of the same socket was running), and that function; when a routine returns,
    /// one such call is queued again.
    pub owed: BTreeMap<ThreadId, (usize, ApcFn)>,
    next: u64,
}

impl ProviderApcs {
    /// Takes the upcalls not made yet, if any.
    pub(crate) fn take_deferred(&mut self) -> Option<Upcalls> {
        match self.deferred.len() {
            0 => None,
            1 => self.deferred.pop().map(Upcalls::One),
            _ => Some(Upcalls::Many(std::mem::take(&mut self.deferred))),
        }
    }
}

impl World {
    /// Records a completion and defers the upcall that queues the provider's APC (or makes it
    /// now, when that cannot be told apart: `spi::make_own_upcall_now`).
    pub(crate) fn provider_completion(
        &mut self,
        record: Record,
        queue_apc: QueueApcFn,
        (thread_handle, thread_reserved): (usize, usize),
    ) {
        let p = &mut self.provider_apcs;
        p.next += 1;
        let id = p.next;
        p.records.insert(id, record);
        let d = Deferred {
            queue_apc,
            thread_handle,
            thread_reserved,
            record: id,
        };
        if let Some(d) = crate::spi::make_own_upcall_now(self, d) {
            self.provider_apcs.deferred.push(d);
        }
    }

    /// The upcall for `record` returned: whether it queued the APC. A record whose APC could
    /// not be queued (its thread is gone) is dropped.
    pub(crate) fn provider_apc_queued(&mut self, record: u64, ok: bool) {
        if ok {
            if let Some(r) = self.provider_apcs.records.get_mut(&record) {
                r.queued = true;
            }
        } else {
            self.provider_apcs.records.remove(&record);
        }
        self.sched.wake_all();
    }

    /// The provider's APC function `apc` runs on `tid`: the completion it should run now,
    /// chosen among the thread's due ones whose socket has no routine running (a recorded
    /// choice when there are several); marks its socket as running a routine. `None` when
    /// none can run now: `apc` is queued again when the running routine returns.
    pub(crate) fn take_provider_completion(&mut self, tid: ThreadId, apc: ApcFn) -> Option<Record> {
        // The usual case, one completion and it is due: no choice to make, nothing to count.
        if let Some(t) = self.threads.get_mut(&tid) {
            if let Some(r) = self.provider_apcs.records.only_mut() {
                if r.due_on(tid, Some(&t.running_routines)) {
                    let r = *r;
                    self.provider_apcs.records.clear();
                    t.running_routines.insert(r.sock);
                    return Some(r);
                }
            }
        }
        // The due ones are counted, then the picked one found again: the data path's usual
        // single completion needs no list.
        let due = self.due_provider_completions(tid).count();
        if due == 0 {
            self.provider_apcs.owed.entry(tid).or_insert((0, apc)).0 += 1;
            return None;
        }
        let pick = if due > 1 {
            let c = self.chooser.choose(due);
            let of = due;
            self.record(|| Event::Choice {
                what: "completion routine order",
                picked: c,
                of,
            });
            c
        } else {
            0
        };
        let id = self.due_provider_completions(tid).nth(pick)?;
        let r = self.provider_apcs.records.remove(&id)?;
        if let Some(t) = self.threads.get_mut(&tid) {
            t.running_routines.insert(r.sock);
        }
        Some(r)
    }

    /// The ids of thread `tid`'s completions that may run now, oldest first: queued, and of a
    /// socket with no routine running on the thread.
    fn due_provider_completions(&self, tid: ThreadId) -> impl Iterator<Item = u64> + '_ {
        let running = self.threads.get(&tid).map(|t| &t.running_routines);
        self.provider_apcs
            .records
            .iter()
            .filter(move |(_, r)| r.due_on(tid, running))
            .map(|(&id, _)| id)
    }

    /// A routine returned on `tid`: an APC call it kept waiting is queued again.
    pub(crate) fn repay_owed_apc(&mut self, tid: ThreadId) {
        let Some((n, apc)) = self.provider_apcs.owed.get_mut(&tid) else {
            return;
        };
        if *n == 0 {
            return;
        }
        *n -= 1;
        let apc = *apc;
        if let Some(t) = self.threads.get_mut(&tid) {
            t.apcs.push_back(crate::sched::thread::Apc::User {
                func: Some(apc),
                data: 0,
            });
        }
    }

    /// A thread ended: its completions will never run.
    pub(crate) fn provider_thread_exit(&mut self, tid: ThreadId) {
        self.provider_apcs.records.retain(|_, r| r.thread != tid);
        self.provider_apcs.owed.remove(&tid);
    }
}
