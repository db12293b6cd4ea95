//! Memory and address helpers: socket addresses in raw form, what a call wrote, hex.

use std::net::{IpAddr, SocketAddr};

use crate::platform::api;

/// Fill byte for buffers (payload bytes are never 0xCC, so what a call wrote is visible).
pub(super) const FILL: u8 = 0xCC;

/// A raw socket address and its length.
pub(super) fn raw(a: SocketAddr) -> ([u8; 28], i32) {
    let mut b = [0u8; 28];
    match a {
        SocketAddr::V4(v4) => {
            b[0..2].copy_from_slice(&api::AF_INET.to_le_bytes());
            b[2..4].copy_from_slice(&v4.port().to_be_bytes());
            b[4..8].copy_from_slice(&v4.ip().octets());
            (b, 16)
        }
        SocketAddr::V6(v6) => {
            b[0..2].copy_from_slice(&api::AF_INET6.to_le_bytes());
            b[2..4].copy_from_slice(&v6.port().to_be_bytes());
            b[8..24].copy_from_slice(&v6.ip().octets());
            b[24..28].copy_from_slice(&v6.scope_id().to_le_bytes());
            (b, 28)
        }
    }
}

/// The address in a name buffer, if it holds one.
pub(super) fn parse(b: &[u8], len: i32) -> Option<SocketAddr> {
    let family = u16::from_le_bytes([b[0], b[1]]);
    let port = u16::from_be_bytes([b[2], b[3]]);
    if family == api::AF_INET && len >= 16 {
        let ip: [u8; 4] = b[4..8].try_into().ok()?;
        Some(SocketAddr::new(IpAddr::from(ip), port))
    } else if family == api::AF_INET6 && len >= 28 {
        let ip: [u8; 16] = b[8..24].try_into().ok()?;
        Some(SocketAddr::new(IpAddr::from(ip), port))
    } else {
        None
    }
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes from hex ("e7010203"); bad digits are a scenario error.
pub(super) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("bad hex {s:?}")))
        .collect()
}

/// The prefix of `b` up to its last byte that is not FILL: what a call wrote.
pub(super) fn written(b: &[u8]) -> &[u8] {
    let n = b.iter().rposition(|&x| x != FILL).map_or(0, |i| i + 1);
    &b[..n]
}

/// A call's return value, and its error read at once: the last-error slot must be read
/// before anything else runs (a thread-local access, say, may clear it: TlsGetValue does).
pub(super) fn ws<T: Into<i64>>(v: T) -> (i64, i32) {
    let v = v.into();
    (v, if v == -1 { last_error() } else { 0 })
}

pub(super) fn last_error() -> i32 {
    // SAFETY: always safe.
    unsafe { api::WSAGetLastError() }
}
