//! Event objects and waits on them.
//!
//! A wait takes the lowest signaled index (wait-any) or needs all (wait-all); auto-reset
//! events are reset by the wait they satisfy, waiters served first come first served. An
//! alertable wait checks its objects first, then runs queued APCs and returns
//! WAIT_IO_COMPLETION (the kernel's order: a signaled object wins over a pending APC).

use windows_sys::core::{BOOL, PCWSTR};
use windows_sys::Win32::Foundation::{
    ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, ERROR_POSSIBLE_DEADLOCK,
    HANDLE, WAIT_EVENT, WAIT_FAILED, WAIT_IO_COMPLETION, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;

use super::{deadline, run_apcs};
use crate::sched::time::Instant;
use crate::sim::block::{Wait, Waiting};
use crate::ws2::face::{call_win32, Cx};
use crate::ws2::mem::{bad, read};

/// MAXIMUM_WAIT_OBJECTS.
pub(crate) const MAX_WAIT: usize = 64;

/// How a wait on events ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum EventWait {
    /// The object at this index (wait-any), or all of them (index 0, wait-all).
    Object(usize),
    Timeout,
    /// APCs ran (alertable waits).
    IoCompletion,
    /// The wait failed with this Win32 error (an invalid handle, or a wait that could never
    /// end: ERROR_POSSIBLE_DEADLOCK, with a WouldBlockForever diagnostic).
    Failed(u32),
}

/// Waits on the events behind `handles`.
pub(crate) fn wait_events(
    cx: &Cx,
    call: &'static str,
    handles: &[usize],
    wait_all: bool,
    until: Instant,
    alertable: bool,
) -> EventWait {
    let ids: Option<Vec<u64>> = cx.world(|w| handles.iter().map(|&h| w.event_id(h)).collect());
    let Some(ids) = ids else {
        return EventWait::Failed(ERROR_INVALID_HANDLE);
    };
    let tid = cx.thread();
    let ticket = cx.world(|w| {
        let t = w.new_ticket();
        w.register_event_waits(&ids, t);
        t
    });
    let what = Waiting {
        call,
        handle: 0,
        key: None,
        alertable: alertable.then_some(tid),
    };
    let r = cx
        .sim
        .wait(what, until, |w| w.poll_events(&ids, wait_all, ticket));
    cx.world(|w| w.unregister_event_waits(&ids, ticket));
    match r {
        Wait::Ready(i) => EventWait::Object(i),
        Wait::TimedOut => EventWait::Timeout,
        Wait::Apc => {
            run_apcs(&cx.sim, tid, false);
            EventWait::IoCompletion
        }
        Wait::Deadlock | Wait::Closed => EventWait::Failed(ERROR_POSSIBLE_DEADLOCK),
    }
}

fn wait_result(r: EventWait) -> Result<WAIT_EVENT, u32> {
    match r {
        EventWait::Object(i) => Ok(WAIT_OBJECT_0 + i as u32),
        EventWait::Timeout => Ok(WAIT_TIMEOUT),
        EventWait::IoCompletion => Ok(WAIT_IO_COMPLETION),
        EventWait::Failed(e) => Err(e),
    }
}

/// # Safety
/// `lphandles` must be valid for `n` handles.
unsafe fn handle_list(n: u32, lphandles: *const HANDLE) -> Result<Vec<usize>, u32> {
    if n == 0 || n as usize > MAX_WAIT || bad(lphandles) {
        return Err(ERROR_INVALID_PARAMETER);
    }
    // SAFETY: `lphandles` holds `n` handles (caller contract).
    Ok((0..n as usize)
        .map(|i| unsafe { read(lphandles.add(i)) } as usize)
        .collect())
}

/// Creates an event (unnamed only: a name is ERROR_NOT_SUPPORTED).
///
/// # Safety
/// `lpname` must be NULL or a valid string (it is refused either way when non-NULL).
#[allow(non_snake_case)]
pub unsafe extern "system" fn CreateEventW(
    lpeventattributes: *const SECURITY_ATTRIBUTES,
    bmanualreset: BOOL,
    binitialstate: BOOL,
    lpname: PCWSTR,
) -> HANDLE {
    let _span = tracing::debug_span!("CreateEventW").entered();
    let _ = lpeventattributes;
    call_win32(core::ptr::null_mut(), |cx| {
        if !lpname.is_null() {
            return Err(ERROR_NOT_SUPPORTED);
        }
        Ok(cx.world(|w| w.create_event(bmanualreset != 0, binitialstate != 0)) as HANDLE)
    })
}

/// Signals an event.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn SetEvent(hevent: HANDLE) -> BOOL {
    let _span = tracing::debug_span!("SetEvent", event = hevent as usize).entered();
    call_win32(0, |cx| {
        if cx.world(|w| w.set_event(hevent as usize)) {
            Ok(1)
        } else {
            Err(ERROR_INVALID_HANDLE)
        }
    })
}

/// Resets an event.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn ResetEvent(hevent: HANDLE) -> BOOL {
    let _span = tracing::debug_span!("ResetEvent", event = hevent as usize).entered();
    call_win32(0, |cx| {
        if cx.world(|w| w.reset_event(hevent as usize)) {
            Ok(1)
        } else {
            Err(ERROR_INVALID_HANDLE)
        }
    })
}

/// Waits for an event (other kinds of handle: WAIT_FAILED, ERROR_INVALID_HANDLE).
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WaitForSingleObject(
    hhandle: HANDLE,
    dwmilliseconds: u32,
) -> WAIT_EVENT {
    let _span = tracing::debug_span!(
        "WaitForSingleObject",
        handle = hhandle as usize,
        timeout_ms = dwmilliseconds
    )
    .entered();
    // SAFETY: always safe.
    unsafe { WaitForSingleObjectEx(hhandle, dwmilliseconds, 0) }
}

/// Waits for an event, alertably if asked.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WaitForSingleObjectEx(
    hhandle: HANDLE,
    dwmilliseconds: u32,
    balertable: BOOL,
) -> WAIT_EVENT {
    let _span = tracing::debug_span!(
        "WaitForSingleObjectEx",
        handle = hhandle as usize,
        timeout_ms = dwmilliseconds,
        alertable = balertable
    )
    .entered();
    call_win32(WAIT_FAILED, |cx| {
        wait_result(wait_events(
            cx,
            "WaitForSingleObjectEx",
            &[hhandle as usize],
            false,
            deadline(cx, dwmilliseconds),
            balertable != 0,
        ))
    })
}

/// Waits for events.
///
/// # Safety
/// `lphandles` must be valid for `ncount` handles.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WaitForMultipleObjects(
    ncount: u32,
    lphandles: *const HANDLE,
    bwaitall: BOOL,
    dwmilliseconds: u32,
) -> WAIT_EVENT {
    let _span = tracing::debug_span!(
        "WaitForMultipleObjects",
        count = ncount,
        wait_all = bwaitall,
        timeout_ms = dwmilliseconds
    )
    .entered();
    // SAFETY: forwarded caller contract.
    unsafe { WaitForMultipleObjectsEx(ncount, lphandles, bwaitall, dwmilliseconds, 0) }
}

/// Waits for events, alertably if asked.
///
/// # Safety
/// `lphandles` must be valid for `ncount` handles.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WaitForMultipleObjectsEx(
    ncount: u32,
    lphandles: *const HANDLE,
    bwaitall: BOOL,
    dwmilliseconds: u32,
    balertable: BOOL,
) -> WAIT_EVENT {
    let _span = tracing::debug_span!(
        "WaitForMultipleObjectsEx",
        count = ncount,
        wait_all = bwaitall,
        timeout_ms = dwmilliseconds,
        alertable = balertable
    )
    .entered();
    call_win32(WAIT_FAILED, |cx| {
        // SAFETY: forwarded caller contract.
        let handles = unsafe { handle_list(ncount, lphandles) }?;
        wait_result(wait_events(
            cx,
            "WaitForMultipleObjectsEx",
            &handles,
            bwaitall != 0,
            deadline(cx, dwmilliseconds),
            balertable != 0,
        ))
    })
}
