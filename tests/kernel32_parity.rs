//! Compile-time parity for the `kernel32` face: each function has exactly the signature
//! windows-sys declares (its type coerces to windows-sys's function-pointer type). The check
//! is in a generic function that is never instantiated, so nothing refers to the real
//! (Windows-only) symbols at link time; the type checker still checks it.

#![allow(unused_assignments, unused_variables, dead_code)]
// The unused type parameter keeps the function from being compiled to code that would link
// against the real kernel32 symbols.
#![allow(clippy::extra_unused_type_parameters)]

use winsock_sim::kernel32 as sim;

fn same_signatures<T>() {
    {
        let mut f = windows_sys::Win32::System::Threading::CreateEventW
            as unsafe extern "system" fn(_, _, _, _) -> _;
        f = sim::CreateEventW;
    }
    {
        let mut f =
            windows_sys::Win32::System::Threading::SetEvent as unsafe extern "system" fn(_) -> _;
        f = sim::SetEvent;
    }
    {
        let mut f =
            windows_sys::Win32::System::Threading::ResetEvent as unsafe extern "system" fn(_) -> _;
        f = sim::ResetEvent;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::WaitForSingleObject
            as unsafe extern "system" fn(_, _) -> _;
        f = sim::WaitForSingleObject;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::WaitForSingleObjectEx
            as unsafe extern "system" fn(_, _, _) -> _;
        f = sim::WaitForSingleObjectEx;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::WaitForMultipleObjects
            as unsafe extern "system" fn(_, _, _, _) -> _;
        f = sim::WaitForMultipleObjects;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::WaitForMultipleObjectsEx
            as unsafe extern "system" fn(_, _, _, _, _) -> _;
        f = sim::WaitForMultipleObjectsEx;
    }
    {
        let mut f =
            windows_sys::Win32::System::Threading::SleepEx as unsafe extern "system" fn(_, _) -> _;
        f = sim::SleepEx;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::Sleep as unsafe extern "system" fn(_);
        f = sim::Sleep;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::QueueUserAPC
            as unsafe extern "system" fn(_, _, _) -> _;
        f = sim::QueueUserAPC;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::GetCurrentThread
            as unsafe extern "system" fn() -> _;
        f = sim::GetCurrentThread;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::GetCurrentThreadId
            as unsafe extern "system" fn() -> _;
        f = sim::GetCurrentThreadId;
    }
    {
        let mut f = windows_sys::Win32::System::Threading::OpenThread
            as unsafe extern "system" fn(_, _, _) -> _;
        f = sim::OpenThread;
    }
    {
        let mut f =
            windows_sys::Win32::Foundation::CloseHandle as unsafe extern "system" fn(_) -> _;
        f = sim::CloseHandle;
    }
    {
        let mut f =
            windows_sys::Win32::Foundation::GetLastError as unsafe extern "system" fn() -> _;
        f = sim::GetLastError;
    }
    {
        let mut f = windows_sys::Win32::Foundation::SetLastError as unsafe extern "system" fn(_);
        f = sim::SetLastError;
    }
    {
        let mut f = windows_sys::Win32::System::IO::CreateIoCompletionPort
            as unsafe extern "system" fn(_, _, _, _) -> _;
        f = sim::CreateIoCompletionPort;
    }
    {
        let mut f = windows_sys::Win32::System::IO::GetQueuedCompletionStatus
            as unsafe extern "system" fn(_, _, _, _, _) -> _;
        f = sim::GetQueuedCompletionStatus;
    }
    {
        let mut f = windows_sys::Win32::System::IO::GetQueuedCompletionStatusEx
            as unsafe extern "system" fn(_, _, _, _, _, _) -> _;
        f = sim::GetQueuedCompletionStatusEx;
    }
    {
        let mut f = windows_sys::Win32::System::IO::PostQueuedCompletionStatus
            as unsafe extern "system" fn(_, _, _, _) -> _;
        f = sim::PostQueuedCompletionStatus;
    }
    {
        let mut f = windows_sys::Win32::System::IO::CancelIo as unsafe extern "system" fn(_) -> _;
        f = sim::CancelIo;
    }
    {
        let mut f =
            windows_sys::Win32::System::IO::CancelIoEx as unsafe extern "system" fn(_, _) -> _;
        f = sim::CancelIoEx;
    }
    {
        let mut f = windows_sys::Win32::System::IO::GetOverlappedResult
            as unsafe extern "system" fn(_, _, _, _) -> _;
        f = sim::GetOverlappedResult;
    }
    {
        let mut f = windows_sys::Win32::Storage::FileSystem::SetFileCompletionNotificationModes
            as unsafe extern "system" fn(_, _) -> _;
        f = sim::SetFileCompletionNotificationModes;
    }
}

/// The functions checked above.
const CHECKED: &[&str] = &[
    "CreateEventW",
    "SetEvent",
    "ResetEvent",
    "WaitForSingleObject",
    "WaitForSingleObjectEx",
    "WaitForMultipleObjects",
    "WaitForMultipleObjectsEx",
    "SleepEx",
    "Sleep",
    "QueueUserAPC",
    "GetCurrentThread",
    "GetCurrentThreadId",
    "OpenThread",
    "CloseHandle",
    "GetLastError",
    "SetLastError",
    "CreateIoCompletionPort",
    "GetQueuedCompletionStatus",
    "GetQueuedCompletionStatusEx",
    "PostQueuedCompletionStatus",
    "CancelIo",
    "CancelIoEx",
    "GetOverlappedResult",
    "SetFileCompletionNotificationModes",
];

/// Every function `kernel32` re-exports from its modules has a row above, so a function added
/// without one is noticed (the rows themselves are checked by the compiler).
#[test]
fn every_kernel32_function_is_checked() {
    let src = include_str!("../src/kernel32/mod.rs");
    let mut exported: Vec<&str> = Vec::new();
    for item in src.split("pub use ").skip(1) {
        let item = &item[..item.find(';').unwrap()];
        if item.starts_with("windows_sys") {
            continue;
        }
        let list = item.split_once("::").unwrap().1;
        exported.extend(
            list.trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty()),
        );
    }
    exported.sort_unstable();
    let mut checked = CHECKED.to_vec();
    checked.sort_unstable();
    assert_eq!(exported, checked);
}
