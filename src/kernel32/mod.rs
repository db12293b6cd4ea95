//! The kernel32 functions the overlapped receive path needs, with windows-sys's names and
//! signatures (`Win32::Foundation`, `Win32::System::Threading`, `Win32::System::IO`,
//! `Win32::Storage::FileSystem`): events and waits, APCs and alertable waits, completion
//! ports, cancellation, the last-error slot. Waits are in virtual time.
//!
//! Like `ws2`, this is part of the raw ABI layer: it writes caller memory and calls the
//! caller's completion routines and APC functions; every `unsafe` block says why it is sound.

mod apc;
mod error;
mod event;
mod io;
mod iocp;

pub use apc::{GetCurrentThread, GetCurrentThreadId, OpenThread, QueueUserAPC, Sleep, SleepEx};
pub use error::{CloseHandle, GetLastError, SetLastError};
pub use event::{
    CreateEventW, ResetEvent, SetEvent, WaitForMultipleObjects, WaitForMultipleObjectsEx,
    WaitForSingleObject, WaitForSingleObjectEx,
};
pub use io::{CancelIo, CancelIoEx, GetOverlappedResult, SetFileCompletionNotificationModes};
pub use iocp::{
    CreateIoCompletionPort, GetQueuedCompletionStatus, GetQueuedCompletionStatusEx,
    PostQueuedCompletionStatus,
};

// The types and constants that go with these functions, so that `use winsock_sim::kernel32::*`
// is enough to call them.
pub use windows_sys::Win32::Foundation::{
    ERROR_ABANDONED_WAIT_0, ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_INCOMPLETE,
    ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_NOT_FOUND, ERROR_OPERATION_ABORTED,
    ERROR_PORT_UNREACHABLE, ERROR_POSSIBLE_DEADLOCK, HANDLE, INVALID_HANDLE_VALUE, PAPCFUNC,
    WAIT_EVENT, WAIT_FAILED, WAIT_IO_COMPLETION, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
pub use windows_sys::Win32::System::Threading::INFINITE;
pub use windows_sys::Win32::System::WindowsProgramming::{
    FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, FILE_SKIP_SET_EVENT_ON_HANDLE,
};
pub use windows_sys::Win32::System::IO::{OVERLAPPED, OVERLAPPED_ENTRY};

pub(crate) use apc::run_apcs;
pub(crate) use event::{wait_events, EventWait};
pub(crate) use iocp::dequeue;

use crate::sched::time::Instant;
use crate::ws2::face::Cx;

/// The deadline of a wait of `ms` milliseconds from now.
pub(crate) fn deadline(cx: &Cx, ms: u32) -> Instant {
    if ms == INFINITE {
        Instant::NEVER
    } else {
        cx.sim.now() + std::time::Duration::from_millis(u64::from(ms))
    }
}
