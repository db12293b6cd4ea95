//! The protocol catalogue: WSAEnumProtocolsW / A (what applications see) and
//! WSCEnumProtocols (every entry, for layered providers).

use windows_sys::Win32::Networking::WinSock::{SOCKET_ERROR, WSAPROTOCOL_INFOA, WSAPROTOCOL_INFOW};

use super::face::{self, call_spi, Cx};
use super::mem::{bad, read, write, write_bytes};
use crate::error::Errno;

/// Longest lpiProtocols list read before its terminating 0 (a safety bound on caller memory).
const MAX_FILTER: usize = 1024;

/// Fills the caller's buffer with the entries `everything` selects (see `Catalog::enumerate`)
/// and returns their number, or WSAENOBUFS with the size needed in `*len`.
///
/// # Safety
/// As for WSAEnumProtocolsW (`wide`) or WSAEnumProtocolsA.
unsafe fn enumerate(
    cx: &Cx,
    protocols: *const i32,
    buffer: *mut u8,
    len: *mut u32,
    wide: bool,
    everything: bool,
) -> Result<i32, Errno> {
    if bad(len) {
        return Err(Errno::Fault);
    }
    let filter = if protocols.is_null() {
        None
    } else if bad(protocols) {
        return Err(Errno::Fault);
    } else {
        let mut v = Vec::new();
        for i in 0..MAX_FILTER {
            // SAFETY: a NULL-terminated array (caller contract); read up to its 0.
            let p = unsafe { read(protocols.add(i)) };
            if p == 0 {
                break;
            }
            v.push(p);
        }
        Some(v)
    };
    let images: Vec<Vec<u8>> = cx.world(|w| {
        w.catalog
            .enumerate(filter.as_deref(), everything)
            .iter()
            .map(|e| e.to_bytes(wide))
            .collect()
    });
    let size = if wide {
        core::mem::size_of::<WSAPROTOCOL_INFOW>()
    } else {
        core::mem::size_of::<WSAPROTOCOL_INFOA>()
    };
    let needed = (images.len() * size) as u32;
    // SAFETY: `len` is non-NULL and valid (caller contract).
    let have = unsafe { read(len) };
    if bad(buffer) || have < needed {
        // SAFETY: as above.
        unsafe { write(len, needed) };
        return Err(Errno::NoBufs);
    }
    for (i, image) in images.iter().enumerate() {
        debug_assert_eq!(image.len(), size);
        // SAFETY: the buffer holds `have >= needed` bytes (caller contract).
        unsafe { write_bytes(buffer.add(i * size), image) };
    }
    Ok(images.len() as i32)
}

/// The protocols available to applications: base protocols and protocol chains without
/// PFL_HIDDEN, in catalogue order, optionally only those whose iProtocol is in the
/// 0-terminated `lpiprotocols` (WSAEnumProtocols page; Wine test_WSAEnumProtocolsW, Windows
/// rows). WSAENOBUFS with the size needed when the buffer is NULL or too small.
///
/// # Safety
/// `lpiprotocols` must be NULL or 0-terminated; `lpprotocolbuffer` valid for
/// `*lpdwbufferlength` bytes; `lpdwbufferlength` valid.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSAEnumProtocolsW(
    lpiprotocols: *const i32,
    lpprotocolbuffer: *mut WSAPROTOCOL_INFOW,
    lpdwbufferlength: *mut u32,
) -> i32 {
    let _span = tracing::debug_span!("WSAEnumProtocolsW").entered();
    face::call(SOCKET_ERROR, |cx| {
        // Wine 8 enumerates without WSAStartup (diff/corpus/catalog_enum.json).
        cx.init_unless_wine8()?;
        // SAFETY: forwarded caller contract.
        unsafe {
            enumerate(
                cx,
                lpiprotocols,
                lpprotocolbuffer as *mut u8,
                lpdwbufferlength,
                true,
                false,
            )
        }
    })
}

/// The ANSI form of [`WSAEnumProtocolsW`].
///
/// # Safety
/// As for WSAEnumProtocolsW.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSAEnumProtocolsA(
    lpiprotocols: *const i32,
    lpprotocolbuffer: *mut WSAPROTOCOL_INFOA,
    lpdwbufferlength: *mut u32,
) -> i32 {
    let _span = tracing::debug_span!("WSAEnumProtocolsA").entered();
    face::call(SOCKET_ERROR, |cx| {
        // Wine 8 enumerates without WSAStartup (diff/corpus/catalog_enum.json).
        cx.init_unless_wine8()?;
        // SAFETY: forwarded caller contract.
        unsafe {
            enumerate(
                cx,
                lpiprotocols,
                lpprotocolbuffer as *mut u8,
                lpdwbufferlength,
                false,
                false,
            )
        }
    })
}

/// Every catalogue entry, hidden and layered ones included (WSCEnumProtocols page); errors
/// through `lperrno`. Needs no WSAStartup.
///
/// # Safety
/// As for WSAEnumProtocolsW; `lperrno` valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSCEnumProtocols(
    lpiprotocols: *const i32,
    lpprotocolbuffer: *mut WSAPROTOCOL_INFOW,
    lpdwbufferlength: *mut u32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSCEnumProtocols").entered();
    call_spi(SOCKET_ERROR, lperrno, |cx| {
        // SAFETY: forwarded caller contract.
        unsafe {
            enumerate(
                cx,
                lpiprotocols,
                lpprotocolbuffer as *mut u8,
                lpdwbufferlength,
                true,
                true,
            )
        }
        .map_err(|e| e.code())
    })
}
