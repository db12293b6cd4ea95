//! The last-error slot and CloseHandle.

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{ERROR_INVALID_HANDLE, HANDLE, WIN32_ERROR};

use crate::io::handles::Object;
use crate::ws2::face::{call_win32, last_error, set_last_error};

/// The calling thread's last error: the same slot WSAGetLastError reads.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn GetLastError() -> WIN32_ERROR {
    last_error() as u32
}

/// Sets the calling thread's last error.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn SetLastError(dwerrcode: WIN32_ERROR) {
    set_last_error(dwerrcode as i32)
}

/// Closes a handle: an event, a completion port (threads waiting on it fail with
/// ERROR_ABANDONED_WAIT_0), a thread handle, or a socket (as closesocket: Wine's
/// iocp_async_read_closesocket closes sockets with CloseHandle too).
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn CloseHandle(hobject: HANDLE) -> BOOL {
    let _span = tracing::debug_span!("CloseHandle", handle = hobject as usize).entered();
    let h = hobject as usize;
    call_win32(0, |cx| {
        cx.world(|w| match w.handles.get(h) {
            Some(Object::Socket(_)) => w.close(h).map(|()| 1).map_err(|_| ERROR_INVALID_HANDLE),
            Some(_) => {
                w.close_object(h);
                Ok(1)
            }
            None => Err(ERROR_INVALID_HANDLE),
        })
    })
}
