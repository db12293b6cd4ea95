//! APCs, alertable sleeping, and thread identities.

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{
    ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, HANDLE, PAPCFUNC, WAIT_IO_COMPLETION,
};
use windows_sys::Win32::System::Threading::THREAD_ACCESS_RIGHTS;
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::deadline;
use crate::io::handles::Object;
use crate::sched::thread::{Apc, Routine, ThreadId};
use crate::sched::time::Instant;
use crate::sim::block::{Wait, Waiting};
use crate::sim::{is_participant, Sim};
use crate::ws2::face::call_win32;

/// The pseudo-handle GetCurrentThread returns.
pub(crate) const CURRENT_THREAD: isize = -2;

/// Runs the APCs thread `tid` may run now, in the issuing thread, outside the simulation's
/// lock (a routine may call back into the simulation, for example to post the next receive).
/// `from_blocking`: the APCs interrupt a blocking Winsock call (the contract checker flags a
/// blocking call made inside them). Returns whether any ran.
///
/// Taking and finishing APCs decides no route, so the locks keep cached routes
/// (`Sim::with_data`): completion routines are the receive's data path.
pub(crate) fn run_apcs(sim: &Sim, tid: ThreadId, from_blocking: bool) -> bool {
    run_apcs_from(sim, tid, from_blocking, None)
}

/// `run_apcs`, the first APC (if given) already taken from the thread's queue.
fn run_apcs_from(sim: &Sim, tid: ThreadId, from_blocking: bool, mut first: Option<Apc>) -> bool {
    let mut ran = false;
    while let Some(apc) = first.take().or_else(|| sim.with_data(|w| w.take_apc(tid))) {
        if from_blocking {
            sim.with_data(|w| w.threads.get_mut(&tid).map(|t| t.apc_in_blocking_call += 1));
        }
        match apc {
            Apc::Completion {
                routine: Routine::Raw(routine),
                error,
                bytes,
                overlapped,
                flags,
                sock,
            } => {
                // SAFETY: the routine is the caller's LPWSAOVERLAPPED_COMPLETION_ROUTINE and the
                // OVERLAPPED the one it passed, which must stay valid until its completion is
                // handled (Win32 contract).
                unsafe { routine(error, bytes, overlapped as *mut OVERLAPPED, flags) };
                sim.with_data(|w| w.routine_returned(tid, sock));
            }
            // Provider-run routines reach the thread as user APCs (WPUQueueApc), never as
            // completion APCs; nothing to call.
            Apc::Completion {
                routine: Routine::Upcall { .. },
                sock,
                ..
            } => sim.with_data(|w| w.routine_returned(tid, sock)),
            Apc::Completion {
                routine: Routine::Callback(id),
                sock,
                ..
            } => {
                if let Some(f) = sim.with_data(|w| w.callbacks.remove(id)) {
                    f();
                }
                sim.with_data(|w| w.routine_returned(tid, sock));
            }
            Apc::User {
                func: Some(func),
                data,
            } => {
                // SAFETY: the function is the caller's PAPCFUNC, called with the caller's
                // data, as QueueUserAPC promises.
                unsafe { func(data) };
            }
            Apc::User { func: None, .. } => {}
        }
        if from_blocking {
            sim.with_data(|w| w.threads.get_mut(&tid).map(|t| t.apc_in_blocking_call -= 1));
        }
        ran = true;
    }
    ran
}

/// Sleeps in virtual time; an alertable sleep returns WAIT_IO_COMPLETION as soon as APCs
/// (completion routines, QueueUserAPC) have run, or 0 when the time is up.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn SleepEx(dwmilliseconds: u32, balertable: BOOL) -> u32 {
    let _span = crate::ws2::face::data_span!(
        "SleepEx",
        timeout_ms = dwmilliseconds,
        alertable = balertable
    );
    call_win32(0, |cx| {
        let tid = cx.thread();
        let alertable = balertable != 0;
        if dwmilliseconds == 0 && !alertable {
            return Ok(0);
        }
        // An APC already due ends the wait at its first look (`Sim::wait`), which changes
        // nothing for a thread inside the simulation: take the APC in that one lock.
        if alertable && is_participant(&cx.sim) {
            if let Some(apc) = cx.sim.with_data(|w| w.take_apc(tid)) {
                run_apcs_from(&cx.sim, tid, false, Some(apc));
                return Ok(WAIT_IO_COMPLETION);
            }
        }
        let what = Waiting {
            call: "SleepEx",
            handle: 0,
            key: None,
            alertable: alertable.then_some(tid),
        };
        // A zero timeout never waits: any deadline already reached will do, and the start of
        // time needs no look at the clock (a lock of the world).
        let until = if dwmilliseconds == 0 {
            Instant::ZERO
        } else {
            deadline(cx, dwmilliseconds)
        };
        match cx.sim.wait(what, until, |_| None::<()>) {
            Wait::Apc => {
                run_apcs(&cx.sim, tid, false);
                Ok(WAIT_IO_COMPLETION)
            }
            _ => Ok(0),
        }
    })
}

/// Sleeps for `dwmilliseconds` of virtual time; `Sleep(0)` returns at once.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn Sleep(dwmilliseconds: u32) {
    let _span = tracing::debug_span!("Sleep", timeout_ms = dwmilliseconds).entered();
    // SAFETY: SleepEx is always safe to call.
    unsafe { SleepEx(dwmilliseconds, 0) };
}

/// The thread a handle names: the pseudo-handle of the current thread, or a handle from
/// OpenThread.
fn thread_of(cx: &crate::ws2::face::Cx, h: HANDLE) -> Option<ThreadId> {
    if h as isize == CURRENT_THREAD {
        return Some(cx.thread());
    }
    match cx.world(|w| w.handles.get(h as usize)) {
        Some(Object::Thread(t)) => Some(t),
        _ => None,
    }
}

/// Queues an APC to a thread; it runs at the thread's next alertable wait.
///
/// # Safety
/// `pfnapc` must be safe to call with `dwdata` on the target thread.
#[allow(non_snake_case)]
pub unsafe extern "system" fn QueueUserAPC(
    pfnapc: PAPCFUNC,
    hthread: HANDLE,
    dwdata: usize,
) -> u32 {
    let _span = tracing::debug_span!("QueueUserAPC", thread = hthread as usize).entered();
    call_win32(0, |cx| {
        if pfnapc.is_none() {
            return Err(ERROR_INVALID_PARAMETER);
        }
        let tid = thread_of(cx, hthread).ok_or(ERROR_INVALID_HANDLE)?;
        cx.world(|w| match w.threads.get_mut(&tid).filter(|t| t.alive) {
            Some(t) => {
                t.apcs.push_back(Apc::User {
                    func: pfnapc,
                    data: dwdata,
                });
                w.sched.wake_all();
                Ok(1)
            }
            None => Err(ERROR_INVALID_HANDLE),
        })
    })
}

/// The current thread's pseudo-handle.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn GetCurrentThread() -> HANDLE {
    CURRENT_THREAD as HANDLE
}

/// The calling thread's simulated thread id (deterministic: the order threads joined the
/// simulation, not the OS's numbering).
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn GetCurrentThreadId() -> u32 {
    call_win32(0, |cx| Ok(cx.thread().get()))
}

/// A handle to a simulated thread (for QueueUserAPC); NULL with ERROR_INVALID_PARAMETER for
/// an id that is not one.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn OpenThread(
    dwdesiredaccess: THREAD_ACCESS_RIGHTS,
    binherithandle: BOOL,
    dwthreadid: u32,
) -> HANDLE {
    let _span = tracing::debug_span!("OpenThread").entered();
    let _ = (dwdesiredaccess, binherithandle);
    call_win32(core::ptr::null_mut(), |cx| {
        cx.world(|w| {
            let tid = ThreadId(dwthreadid);
            if w.threads.contains_key(&tid) {
                Ok(w.handles.insert(Object::Thread(tid)) as HANDLE)
            } else {
                Err(ERROR_INVALID_PARAMETER)
            }
        })
    })
}
