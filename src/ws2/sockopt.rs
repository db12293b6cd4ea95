//! setsockopt and getsockopt: the length rules live in `socket::options`; this file moves
//! the bytes.

use windows_sys::core::{PCSTR, PSTR};
use windows_sys::Win32::Networking::WinSock::{SOCKET, SOCKET_ERROR};

use super::face;
use super::mem::{bad, bytes, read, write, write_bytes};
use crate::error::Errno;
use crate::socket::options::{lookup, set_read_len};

/// Sets a socket option.
///
/// # Safety
/// `optval` must be valid for reads of `optlen` bytes.
pub unsafe extern "system" fn setsockopt(
    s: SOCKET,
    level: i32,
    optname: i32,
    optval: PCSTR,
    optlen: i32,
) -> i32 {
    let _span = tracing::debug_span!("setsockopt", socket = s, level, optname).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // A NULL optval is WSAEFAULT even with optlen 0 (Wine test_set_getsockopt).
        if bad(optval) {
            return Err(Errno::Fault);
        }
        let spec = lookup(level, optname)?;
        let n = set_read_len(&spec, optlen)?;
        // SAFETY: `optval` is valid for `optlen` bytes (caller contract) and `n` never exceeds
        // a non-negative `optlen`; for optlen -1, which SOL_SOCKET accepts, Windows reads the
        // option's 4 bytes and so does this.
        let data = unsafe { bytes(optval, n) };
        cx.world(|w| w.set_option(s, &spec, data)).map(|()| 0)
    })
}

/// Reads a socket option.
///
/// # Safety
/// `optlen` must be valid for reads and writes; `optval` for writes of `*optlen` bytes.
pub unsafe extern "system" fn getsockopt(
    s: SOCKET,
    level: i32,
    optname: i32,
    optval: PSTR,
    optlen: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("getsockopt", socket = s, level, optname).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        if bad(optval) || bad(optlen) {
            return Err(Errno::Fault);
        }
        let spec = lookup(level, optname)?;
        // SAFETY: `optlen` is non-NULL and valid (caller contract).
        let have = unsafe { read(optlen) };
        let out = cx.world(|w| w.get_option(s, &spec, have))?;
        // The option code never writes more than the caller's `*optlen`; a violation is a
        // bug, and writing less is always safe.
        let limit = usize::try_from(have).unwrap_or(0);
        assert!(
            out.bytes.len() <= limit,
            "getsockopt would overrun the caller's buffer"
        );
        // SAFETY: `optval` holds `*optlen >= out.bytes.len()` bytes (caller contract, checked
        // above); `optlen` is valid (checked above).
        unsafe {
            write_bytes(optval, &out.bytes);
            if let Some(n) = out.optlen {
                write(optlen, n);
            }
        }
        out.result.map(|()| 0)
    })
}
