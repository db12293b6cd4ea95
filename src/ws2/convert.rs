//! Byte-order and address-text helpers. They need no simulation.

use core::ffi::c_void;
use std::net::{Ipv4Addr, Ipv6Addr};

use windows_sys::core::{PCSTR, PSTR};

use super::face::set_last_error;
use super::mem::{bad, write_bytes};
use crate::error::Errno;

/// Host to network byte order.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn htonl(hostlong: u32) -> u32 {
    hostlong.to_be()
}

/// Host to network byte order.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn htons(hostshort: u16) -> u16 {
    hostshort.to_be()
}

/// Network to host byte order.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn ntohl(netlong: u32) -> u32 {
    u32::from_be(netlong)
}

/// Network to host byte order.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn ntohs(netshort: u16) -> u16 {
    u16::from_be(netshort)
}

/// Reads a NUL-terminated string (at most 256 bytes: longer text is no address).
///
/// # Safety
/// `p` must point to a NUL-terminated string.
unsafe fn c_str(p: *const u8) -> Option<String> {
    let mut v = Vec::new();
    for i in 0..256 {
        // SAFETY: the string is NUL-terminated (caller) and we stop at the NUL.
        let b = unsafe { p.add(i).read() };
        if b == 0 {
            return String::from_utf8(v).ok();
        }
        v.push(b);
    }
    None
}

/// The BSD `inet_addr` grammar Windows follows: one to four parts separated by dots, each
/// decimal, octal (leading 0) or hexadecimal (leading 0x); the last part fills the remaining
/// bytes.
fn parse_bsd(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 8 {
            return None;
        }
        let n = if digits.is_empty() {
            0
        } else {
            u32::from_str_radix(digits, radix).ok()?
        };
        nums.push(n);
    }
    let last = *nums.last()?;
    let head = &nums[..nums.len() - 1];
    if head.iter().any(|&n| n > 255) {
        return None;
    }
    let tail_bits = 8 * (4 - head.len() as u32);
    if tail_bits < 32 && last >> tail_bits != 0 {
        return None;
    }
    let mut v = 0u32;
    for (i, &n) in head.iter().enumerate() {
        v |= n << (24 - 8 * i as u32);
    }
    Some(v | last)
}

/// Converts dotted text to an IPv4 address in network order; INADDR_NONE on failure.
///
/// # Safety
/// `cp`, if not NULL, must point to a NUL-terminated string.
pub unsafe extern "system" fn inet_addr(cp: PCSTR) -> u32 {
    if bad(cp) {
        return u32::MAX;
    }
    // SAFETY: forwarded caller contract.
    match unsafe { c_str(cp) }.as_deref().and_then(parse_bsd) {
        Some(v) => v.to_be(),
        None => u32::MAX,
    }
}

/// Converts text to an address: 1 on success, 0 for text that is not an address of the
/// family, -1 with WSAEAFNOSUPPORT for another family or WSAEFAULT for NULL pointers.
///
/// # Safety
/// `pszaddrstring` must be NUL-terminated; `paddrbuf` valid for 4 (AF_INET) or 16 bytes.
pub unsafe extern "system" fn inet_pton(
    family: i32,
    pszaddrstring: PCSTR,
    paddrbuf: *mut c_void,
) -> i32 {
    if family != 2 && family != 23 {
        set_last_error(Errno::AfNoSupport.code());
        return -1;
    }
    if bad(pszaddrstring) || bad(paddrbuf) {
        set_last_error(Errno::Fault.code());
        return -1;
    }
    // SAFETY: forwarded caller contract.
    let Some(text) = (unsafe { c_str(pszaddrstring) }) else {
        return 0;
    };
    let out = paddrbuf as *mut u8;
    match family {
        2 => match text.parse::<Ipv4Addr>() {
            // SAFETY: 4 writable bytes (caller contract for AF_INET).
            Ok(a) => unsafe { write_bytes(out, &a.octets()) },
            Err(_) => return 0,
        },
        _ => match text.parse::<Ipv6Addr>() {
            // SAFETY: 16 writable bytes (caller contract for AF_INET6).
            Ok(a) => unsafe { write_bytes(out, &a.octets()) },
            Err(_) => return 0,
        },
    }
    1
}

/// Converts an address to text; NULL with WSAEAFNOSUPPORT for another family, or WSAEINVAL
/// when the buffer is too small.
///
/// # Safety
/// `paddr` must hold 4 (AF_INET) or 16 bytes; `pstringbuf` must be valid for
/// `stringbufsize` bytes.
pub unsafe extern "system" fn inet_ntop(
    family: i32,
    paddr: *const c_void,
    pstringbuf: PSTR,
    stringbufsize: usize,
) -> PCSTR {
    if family != 2 && family != 23 {
        set_last_error(Errno::AfNoSupport.code());
        return core::ptr::null();
    }
    if bad(paddr) || bad(pstringbuf) {
        set_last_error(Errno::Fault.code());
        return core::ptr::null();
    }
    let p = paddr as *const u8;
    let text = if family == 2 {
        // SAFETY: 4 readable bytes (caller contract).
        Ipv4Addr::from(unsafe { p.cast::<[u8; 4]>().read_unaligned() }).to_string()
    } else {
        // SAFETY: 16 readable bytes (caller contract).
        Ipv6Addr::from(unsafe { p.cast::<[u8; 16]>().read_unaligned() }).to_string()
    };
    if text.len() + 1 > stringbufsize {
        set_last_error(Errno::Inval.code());
        return core::ptr::null();
    }
    // SAFETY: `pstringbuf` holds `stringbufsize > text.len()` bytes (caller contract).
    unsafe {
        write_bytes(pstringbuf, text.as_bytes());
        pstringbuf.add(text.len()).write(0);
    }
    pstringbuf
}

#[cfg(test)]
mod tests {
    use super::parse_bsd;

    #[test]
    fn bsd_forms() {
        assert_eq!(parse_bsd("127.0.0.1"), Some(0x7F00_0001));
        assert_eq!(parse_bsd("127.1"), Some(0x7F00_0001));
        assert_eq!(parse_bsd("0x7f.1"), Some(0x7F00_0001));
        assert_eq!(parse_bsd("0177.0.0.01"), Some(0x7F00_0001));
        assert_eq!(parse_bsd("10.65536"), Some(0x0A01_0000));
        assert_eq!(parse_bsd("256.0.0.1"), None);
        assert_eq!(parse_bsd("1.2.3.4.5"), None);
        assert_eq!(parse_bsd(""), None);
        assert_eq!(parse_bsd("1.2.3.256"), None);
    }
}
