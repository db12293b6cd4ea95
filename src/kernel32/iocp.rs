//! I/O completion ports.
//!
//! GetQueuedCompletionStatus (Wine test_completion_port and friends, Windows rows): TRUE only
//! for a packet whose status is a success, leaving the last error alone; FALSE with the
//! packet's Win32 error (RtlNtStatusToDosError) and the bytes, key and OVERLAPPED written for
//! a failed one; FALSE, WAIT_TIMEOUT and *lpOverlapped = NULL (bytes and key untouched) on a
//! timeout; ERROR_ABANDONED_WAIT_0 once the port is closed. GetQueuedCompletionStatusEx
//! returns TRUE for any packets (their statuses are in the entries) and can be alertable.

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{
    ERROR_ABANDONED_WAIT_0, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_POSSIBLE_DEADLOCK,
    HANDLE, INVALID_HANDLE_VALUE, WAIT_IO_COMPLETION, WAIT_TIMEOUT,
};
use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_ENTRY};

use super::{deadline, run_apcs};
use crate::io::port::Packet;
use crate::io::wait::PortPoll;
use crate::sched::time::Instant;
use crate::sim::block::{Wait, Waiting};
use crate::ws2::face::{call_win32, Cx};
use crate::ws2::mem::{bad, write};

/// Creates a port (file INVALID_HANDLE_VALUE, no existing port), or associates a socket with
/// a new or existing port under `completionkey`. The concurrency value is accepted and not
/// modelled.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn CreateIoCompletionPort(
    filehandle: HANDLE,
    existingcompletionport: HANDLE,
    completionkey: usize,
    numberofconcurrentthreads: u32,
) -> HANDLE {
    let _span = tracing::debug_span!(
        "CreateIoCompletionPort",
        handle = filehandle as usize,
        port = existingcompletionport as usize,
        key = completionkey
    )
    .entered();
    let _ = numberofconcurrentthreads;
    call_win32(core::ptr::null_mut(), |cx| {
        cx.world(|w| {
            let existing = existingcompletionport as usize;
            if filehandle == INVALID_HANDLE_VALUE {
                if existing != 0 {
                    return Err(ERROR_INVALID_PARAMETER);
                }
                return Ok(w.create_port() as HANDLE);
            }
            let port = if existing == 0 {
                w.create_port()
            } else {
                w.port_id(existing).ok_or(ERROR_INVALID_HANDLE)?;
                existing
            };
            w.associate(filehandle as usize, port, completionkey)?;
            Ok(port as HANDLE)
        })
    })
}

/// Waits for up to `max` packets until `until`; an alertable wait that finds APCs runs them
/// and returns `Wait::Apc`.
pub(crate) fn dequeue(
    cx: &Cx,
    call: &'static str,
    port: HANDLE,
    max: usize,
    until: Instant,
    alertable: bool,
) -> Result<Wait<PortPoll>, u32> {
    let id = cx
        .world(|w| w.port_id(port as usize))
        .ok_or(ERROR_INVALID_HANDLE)?;
    let tid = cx.thread();
    let ticket = cx.world(|w| {
        let t = w.new_ticket();
        w.register_port_wait(id, t);
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
        .wait(what, until, |w| match w.poll_port(id, ticket, max) {
            PortPoll::Nothing => None,
            found => Some(found),
        });
    cx.world(|w| w.unregister_port_wait(id, ticket));
    if r == Wait::Apc {
        run_apcs(&cx.sim, tid, false);
    }
    Ok(r)
}

/// Dequeues one completion packet.
///
/// # Safety
/// The three output pointers must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn GetQueuedCompletionStatus(
    completionport: HANDLE,
    lpnumberofbytestransferred: *mut u32,
    lpcompletionkey: *mut usize,
    lpoverlapped: *mut *mut OVERLAPPED,
    dwmilliseconds: u32,
) -> BOOL {
    let _span = tracing::debug_span!(
        "GetQueuedCompletionStatus",
        port = completionport as usize,
        overlapped = !lpoverlapped.is_null(),
        timeout_ms = dwmilliseconds
    )
    .entered();
    call_win32(0, |cx| {
        if bad(lpnumberofbytestransferred) || bad(lpcompletionkey) || bad(lpoverlapped) {
            return Err(ERROR_INVALID_PARAMETER);
        }
        let r = dequeue(
            cx,
            "GetQueuedCompletionStatus",
            completionport,
            1,
            deadline(cx, dwmilliseconds),
            false,
        )?;
        let packet = match r {
            Wait::Ready(PortPoll::Packets(p)) => p[0],
            other => {
                // SAFETY: checked non-NULL; valid for writes (caller contract).
                unsafe { write(lpoverlapped, core::ptr::null_mut()) };
                return Err(match other {
                    Wait::TimedOut => WAIT_TIMEOUT,
                    Wait::Ready(_) => ERROR_ABANDONED_WAIT_0,
                    _ => ERROR_POSSIBLE_DEADLOCK,
                });
            }
        };
        // SAFETY: checked non-NULL; valid for writes (caller contract).
        unsafe {
            write(lpnumberofbytestransferred, packet.bytes);
            write(lpcompletionkey, packet.key);
            write(lpoverlapped, packet.overlapped as *mut OVERLAPPED);
        }
        if packet.status.is_success() {
            Ok(1)
        } else {
            Err(packet.status.to_win32())
        }
    })
}

/// Dequeues up to `ulcount` packets; TRUE if any were removed.
///
/// # Safety
/// `lpcompletionportentries` must be valid for `ulcount` entries, `ulnumentriesremoved` for a
/// write.
#[allow(non_snake_case)]
pub unsafe extern "system" fn GetQueuedCompletionStatusEx(
    completionport: HANDLE,
    lpcompletionportentries: *mut OVERLAPPED_ENTRY,
    ulcount: u32,
    ulnumentriesremoved: *mut u32,
    dwmilliseconds: u32,
    falertable: BOOL,
) -> BOOL {
    let _span = tracing::debug_span!(
        "GetQueuedCompletionStatusEx",
        port = completionport as usize,
        count = ulcount,
        timeout_ms = dwmilliseconds,
        alertable = falertable
    )
    .entered();
    call_win32(0, |cx| {
        if ulcount == 0 && !bad(ulnumentriesremoved) && cx.world(|w| w.cfg.wine8()) {
            // Wine 8 takes nothing, yet reports one entry removed and success, without
            // touching the array (diff/corpus/port_ex_and_association.json).
            // SAFETY: checked non-NULL; valid for writes (caller contract).
            unsafe { write(ulnumentriesremoved, 1) };
            return Ok(1);
        }
        if ulcount == 0 || bad(lpcompletionportentries) || bad(ulnumentriesremoved) {
            return Err(ERROR_INVALID_PARAMETER);
        }
        let r = dequeue(
            cx,
            "GetQueuedCompletionStatusEx",
            completionport,
            ulcount as usize,
            deadline(cx, dwmilliseconds),
            falertable != 0,
        )?;
        let packets: Vec<Packet> = match r {
            Wait::Ready(PortPoll::Packets(p)) => p,
            other => {
                // SAFETY: checked non-NULL; valid for writes (caller contract).
                unsafe { write(ulnumentriesremoved, 0) };
                return Err(match other {
                    Wait::TimedOut => WAIT_TIMEOUT,
                    Wait::Apc => WAIT_IO_COMPLETION,
                    Wait::Ready(_) => ERROR_ABANDONED_WAIT_0,
                    _ => ERROR_POSSIBLE_DEADLOCK,
                });
            }
        };
        for (i, p) in packets.iter().enumerate() {
            let entry = OVERLAPPED_ENTRY {
                lpCompletionKey: p.key,
                lpOverlapped: p.overlapped as *mut OVERLAPPED,
                Internal: p.status.0 as usize,
                dwNumberOfBytesTransferred: p.bytes,
            };
            // SAFETY: `i < packets.len() <= ulcount` entries (caller contract).
            unsafe { write(lpcompletionportentries.add(i), entry) };
        }
        // SAFETY: checked non-NULL (caller contract).
        unsafe { write(ulnumentriesremoved, packets.len() as u32) };
        Ok(1)
    })
}

/// Queues a packet of the caller's own.
///
/// # Safety
/// Always safe; `lpoverlapped` is only handed back, never read.
#[allow(non_snake_case)]
pub unsafe extern "system" fn PostQueuedCompletionStatus(
    completionport: HANDLE,
    dwnumberofbytestransferred: u32,
    dwcompletionkey: usize,
    lpoverlapped: *const OVERLAPPED,
) -> BOOL {
    let _span = tracing::debug_span!(
        "PostQueuedCompletionStatus",
        port = completionport as usize,
        bytes = dwnumberofbytestransferred,
        key = dwcompletionkey,
        overlapped = !lpoverlapped.is_null()
    )
    .entered();
    call_win32(0, |cx| {
        cx.world(|w| {
            w.post_to_port(
                completionport as usize,
                dwnumberofbytestransferred,
                dwcompletionkey,
                lpoverlapped as usize,
            )
        })
        .map(|()| 1)
        .map_err(|_| ERROR_INVALID_HANDLE)
    })
}
