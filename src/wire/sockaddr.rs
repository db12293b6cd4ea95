//! SOCKADDR_IN / SOCKADDR_IN6 in their Windows x64 byte layout, read from and written to plain
//! byte slices. The face turns user pointers into slices; everything here is safe.
//!
//! Layouts (winsock-facts §4): SOCKADDR_IN is 16 bytes: family u16 (little-endian) @0, port u16
//! (network order) @2, address @4, 8 zero bytes @8. SOCKADDR_IN6 is 28 bytes: family @0, port @2,
//! flowinfo u32 @4, address @8, scope id u32 @24.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::error::{Errno, Result};

/// `AF_INET` as Windows numbers it.
pub const AF_INET: u16 = 2;
/// `AF_INET6` as Windows numbers it (not Linux's 10).
pub const AF_INET6: u16 = 23;
/// `AF_UNSPEC`.
pub const AF_UNSPEC: u16 = 0;
/// `sizeof(SOCKADDR_IN)`.
pub const SOCKADDR_IN_LEN: usize = 16;
/// `sizeof(SOCKADDR_IN6)`.
pub const SOCKADDR_IN6_LEN: usize = 28;
/// The largest address this module writes.
pub const MAX_SOCKADDR_LEN: usize = SOCKADDR_IN6_LEN;

/// An address family the simulator supports.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family's `AF_*` value.
    pub const fn af(self) -> u16 {
        match self {
            Family::V4 => AF_INET,
            Family::V6 => AF_INET6,
        }
    }

    /// The family for an `AF_*` value.
    pub fn from_af(af: i32) -> Option<Family> {
        match af {
            x if x == i32::from(AF_INET) => Some(Family::V4),
            x if x == i32::from(AF_INET6) => Some(Family::V6),
            _ => None,
        }
    }

    /// The size of this family's socket address structure.
    pub const fn sockaddr_len(self) -> usize {
        match self {
            Family::V4 => SOCKADDR_IN_LEN,
            Family::V6 => SOCKADDR_IN6_LEN,
        }
    }

    /// The family of `addr`.
    pub fn of(addr: &SocketAddr) -> Family {
        match addr {
            SocketAddr::V4(_) => Family::V4,
            SocketAddr::V6(_) => Family::V6,
        }
    }
}

/// A socket address encoded as Windows lays it out.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EncodedSockaddr {
    bytes: [u8; MAX_SOCKADDR_LEN],
    len: usize,
}

impl EncodedSockaddr {
    /// The encoded bytes (16 or 28 of them).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The encoded length.
    #[allow(clippy::len_without_is_empty)] // an encoded address is never empty
    pub fn len(&self) -> usize {
        self.len
    }
}

/// Encodes `addr` as SOCKADDR_IN or SOCKADDR_IN6.
pub fn encode(addr: &SocketAddr) -> EncodedSockaddr {
    let mut bytes = [0u8; MAX_SOCKADDR_LEN];
    let len = match addr {
        SocketAddr::V4(a) => {
            bytes[0..2].copy_from_slice(&AF_INET.to_le_bytes());
            bytes[2..4].copy_from_slice(&a.port().to_be_bytes());
            bytes[4..8].copy_from_slice(&a.ip().octets());
            SOCKADDR_IN_LEN
        }
        SocketAddr::V6(a) => {
            bytes[0..2].copy_from_slice(&AF_INET6.to_le_bytes());
            bytes[2..4].copy_from_slice(&a.port().to_be_bytes());
            // sin6_flowinfo is carried in network order, as the stack stores it.
            bytes[4..8].copy_from_slice(&a.flowinfo().to_be_bytes());
            bytes[8..24].copy_from_slice(&a.ip().octets());
            bytes[24..28].copy_from_slice(&a.scope_id().to_le_bytes());
            SOCKADDR_IN6_LEN
        }
    };
    EncodedSockaddr { bytes, len }
}

/// Reads the family field of an address buffer, if it holds at least two bytes.
pub fn peek_family(bytes: &[u8]) -> Option<u16> {
    Some(u16::from_le_bytes([*bytes.first()?, *bytes.get(1)?]))
}

/// Decodes an address a caller passed in (`bind`, `connect`, `sendto`).
///
/// `bytes` is exactly the caller's `namelen` bytes. Windows rejects a length shorter than the
/// family's structure with WSAEFAULT, and a family it does not know with WSAEAFNOSUPPORT.
pub fn decode(bytes: &[u8]) -> Result<SocketAddr> {
    let family = peek_family(bytes).ok_or(Errno::Fault)?;
    match family {
        AF_INET => {
            if bytes.len() < SOCKADDR_IN_LEN {
                return Err(Errno::Fault);
            }
            let port = u16::from_be_bytes([bytes[2], bytes[3]]);
            let ip = Ipv4Addr::new(bytes[4], bytes[5], bytes[6], bytes[7]);
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        AF_INET6 => {
            if bytes.len() < SOCKADDR_IN6_LEN {
                return Err(Errno::Fault);
            }
            let port = u16::from_be_bytes([bytes[2], bytes[3]]);
            let flow = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&bytes[8..24]);
            let scope = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(octets),
                port,
                flow,
                scope,
            )))
        }
        _ => Err(Errno::AfNoSupport),
    }
}

/// The IPv4-mapped IPv6 form (`::ffff:a.b.c.d`) in which a dual-stack socket sees IPv4 peers.
pub fn v4_mapped(addr: SocketAddrV4) -> SocketAddrV6 {
    SocketAddrV6::new(addr.ip().to_ipv6_mapped(), addr.port(), 0, 0)
}

/// The IPv4 address inside an IPv4-mapped IPv6 address, if it is one.
pub fn unmap(addr: &SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(a) => match a.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::V4(SocketAddrV4::new(v4, a.port())),
            None => *addr,
        },
        SocketAddr::V4(_) => *addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_layout_matches_windows() {
        let a: SocketAddr = "127.0.0.1:4660".parse().unwrap();
        let e = encode(&a);
        assert_eq!(
            e.as_bytes(),
            &[2, 0, 0x12, 0x34, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(decode(e.as_bytes()).unwrap(), a);
    }

    #[test]
    fn v6_layout_matches_windows() {
        let a = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0x1234, 0, 7));
        let e = encode(&a);
        assert_eq!(e.len(), 28);
        assert_eq!(&e.as_bytes()[0..4], &[23, 0, 0x12, 0x34]);
        assert_eq!(e.as_bytes()[23], 1);
        assert_eq!(&e.as_bytes()[24..28], &[7, 0, 0, 0]);
        assert_eq!(decode(e.as_bytes()).unwrap(), a);
    }

    #[test]
    fn short_or_unknown_input_is_rejected() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let e = encode(&a);
        assert_eq!(decode(&e.as_bytes()[..15]), Err(Errno::Fault));
        assert_eq!(decode(&[]), Err(Errno::Fault));
        assert_eq!(decode(&[99, 0, 0, 0]), Err(Errno::AfNoSupport));
    }
}
