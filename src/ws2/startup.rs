//! WSAStartup, WSACleanup and the last-error slot.

use std::panic::{catch_unwind, AssertUnwindSafe};

use windows_sys::Win32::Networking::WinSock::{SOCKET_ERROR, WSADATA, WSA_ERROR};

use super::face::{self, last_error, set_last_error};
use super::mem::{bad, write};
use crate::error::Errno;
use crate::sim::current;

/// Starts Winsock for the calling thread's simulation. Unlike the other functions it returns
/// its error code directly (and does not touch the last-error slot).
///
/// # Safety
/// `lpwsadata`, if not NULL, must be valid for writes of a WSADATA.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSAStartup(wversionrequested: u16, lpwsadata: *mut WSADATA) -> i32 {
    let _span = tracing::debug_span!("WSAStartup", version = wversionrequested).entered();
    let r = catch_unwind(AssertUnwindSafe(|| {
        if bad(lpwsadata) {
            return Errno::Fault.code();
        }
        let sim = &current().sim;
        match sim.with(|w| w.startup(wversionrequested)) {
            Ok(n) => {
                let mut data = WSADATA {
                    wVersion: n.version,
                    wHighVersion: n.high,
                    // Winsock 2 reports 0 for both (winsock-facts §5.17).
                    iMaxSockets: 0,
                    iMaxUdpDg: 0,
                    lpVendorInfo: core::ptr::null_mut(),
                    szDescription: [0; 257],
                    szSystemStatus: [0; 129],
                };
                for (d, s) in data.szDescription.iter_mut().zip(b"WinSock 2.0") {
                    *d = *s as i8;
                }
                for (d, s) in data.szSystemStatus.iter_mut().zip(b"Running") {
                    *d = *s as i8;
                }
                // SAFETY: `lpwsadata` is non-NULL and valid for a WSADATA (caller contract).
                unsafe { write(lpwsadata, data) };
                0
            }
            Err(e) => e.code(),
        }
    }));
    r.unwrap_or(Errno::SysNotReady.code())
}

/// Ends a use of Winsock; the last one closes every socket of the simulation.
///
/// # Safety
/// Always safe to call; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSACleanup() -> i32 {
    let _span = tracing::debug_span!("WSACleanup").entered();
    face::call(SOCKET_ERROR, |cx| cx.world(|w| w.cleanup()).map(|()| 0))
}

/// The calling thread's last Winsock error.
///
/// # Safety
/// Always safe to call; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSAGetLastError() -> WSA_ERROR {
    last_error()
}

/// Sets the calling thread's last Winsock error.
///
/// # Safety
/// Always safe to call; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSASetLastError(ierror: i32) {
    set_last_error(ierror)
}
