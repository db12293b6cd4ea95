//! Cancellation, GetOverlappedResult, and completion notification modes.

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{
    ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_INCOMPLETE, ERROR_NOT_FOUND, HANDLE,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use crate::error::Errno;
use crate::io::request::CancelFilter;
use crate::ws2::face::call_win32;
use crate::ws2::mem::{bad, write};

/// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS.
const SKIP_PORT: u8 = 1;
/// FILE_SKIP_SET_EVENT_ON_HANDLE.
const SKIP_EVENT: u8 = 2;

/// Cancels the requests the calling thread issued on a socket; TRUE even when there were
/// none (Wine test_send_buffering_thread).
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn CancelIo(hfile: HANDLE) -> BOOL {
    let _span = tracing::debug_span!("CancelIo", handle = hfile as usize).entered();
    call_win32(0, |cx| {
        let filter = CancelFilter {
            thread: Some(cx.thread()),
            overlapped: None,
        };
        cx.world(|w| w.cancel_io(hfile as usize, filter))
            .map(|_| 1)
            .map_err(|_| ERROR_INVALID_HANDLE)
    })
}

/// Cancels one request (by OVERLAPPED) or every request on a socket, whichever thread issued
/// it; FALSE with ERROR_NOT_FOUND when nothing matched (Wine test_send_buffering_thread).
///
/// # Safety
/// Always safe; `lpoverlapped` is only compared, never read.
#[allow(non_snake_case)]
pub unsafe extern "system" fn CancelIoEx(hfile: HANDLE, lpoverlapped: *const OVERLAPPED) -> BOOL {
    let _span = tracing::debug_span!(
        "CancelIoEx",
        handle = hfile as usize,
        overlapped = !lpoverlapped.is_null()
    )
    .entered();
    call_win32(0, |cx| {
        let filter = CancelFilter {
            thread: None,
            overlapped: (!lpoverlapped.is_null()).then_some(lpoverlapped as usize),
        };
        let wine8 = cx.world(|w| w.cfg.wine8());
        match cx.world(|w| w.cancel_io(hfile as usize, filter)) {
            // Wine 8 reports "not found" only for a given OVERLAPPED; with NULL it returns
            // TRUE even when nothing was pending (diff/corpus/overlapped_cancel.json).
            Ok(0) if wine8 && lpoverlapped.is_null() => Ok(1),
            Ok(0) => Err(ERROR_NOT_FOUND),
            Ok(_) => Ok(1),
            Err(_) => Err(ERROR_INVALID_HANDLE),
        }
    })
}

/// The result of an overlapped operation with Win32 errors (ERROR_MORE_DATA for a truncated
/// datagram, ERROR_OPERATION_ABORTED for a cancelled one, ERROR_IO_INCOMPLETE while pending).
/// Like kernel32's, it reads the OVERLAPPED and only needs the handle to wait.
///
/// # Safety
/// The pointers must be valid as the Win32 contract requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn GetOverlappedResult(
    hfile: HANDLE,
    lpoverlapped: *const OVERLAPPED,
    lpnumberofbytestransferred: *mut u32,
    bwait: BOOL,
) -> BOOL {
    let _span = tracing::debug_span!(
        "GetOverlappedResult",
        handle = hfile as usize,
        overlapped = !lpoverlapped.is_null(),
        wait = bwait
    )
    .entered();
    call_win32(0, |cx| {
        // The handle is not looked at unless the call must wait: a request completed by
        // closesocket still reports its status through the closed handle.
        let s = hfile as usize;
        if bad(lpoverlapped) || bad(lpnumberofbytestransferred) {
            return Err(ERROR_INVALID_PARAMETER);
        }
        // SAFETY: forwarded caller contract.
        let (status, bytes) =
            match unsafe { crate::ws2::result_of(cx, s, lpoverlapped, bwait != 0) } {
                Ok(r) => r,
                Err(Errno::IoIncomplete) => return Err(ERROR_IO_INCOMPLETE),
                Err(e) => return Err(e.code() as u32),
            };
        // SAFETY: checked non-NULL; valid (caller contract).
        unsafe { write(lpnumberofbytestransferred, bytes as u32) };
        if status.is_success() {
            Ok(1)
        } else {
            Err(status.to_win32())
        }
    })
}

/// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS and FILE_SKIP_SET_EVENT_ON_HANDLE on a socket. Modes
/// can be added, never removed (SetFileCompletionNotificationModes page).
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn SetFileCompletionNotificationModes(
    filehandle: HANDLE,
    flags: u8,
) -> BOOL {
    let _span = tracing::debug_span!(
        "SetFileCompletionNotificationModes",
        handle = filehandle as usize,
        flags
    )
    .entered();
    call_win32(0, |cx| {
        if flags & !(SKIP_PORT | SKIP_EVENT) != 0 {
            return Err(ERROR_INVALID_PARAMETER);
        }
        cx.world(|w| {
            let s = w
                .sock_mut(filehandle as usize)
                .map_err(|_| ERROR_INVALID_HANDLE)?;
            s.skip_port_on_success |= flags & SKIP_PORT != 0;
            s.skip_set_event |= flags & SKIP_EVENT != 0;
            Ok(1)
        })
    })
}
