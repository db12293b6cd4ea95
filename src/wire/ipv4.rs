//! The IPv4 header a raw IPv4 socket receives in front of the payload.
//!
//! Windows delivers the IP header on raw IPv4 sockets (Wine's test_icmp, which runs on Windows,
//! reads `v_hl == 0x45`, `tot_len`, `frag_off == 0`, the protocol and both addresses from the
//! received bytes); raw IPv6 sockets receive the payload only.

use std::net::Ipv4Addr;

/// Length of the header built here (no options).
pub const HEADER_LEN: usize = 20;

/// The fields of a received datagram's header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Type of service byte.
    pub tos: u8,
    /// Identification field.
    pub id: u16,
    /// TTL on arrival.
    pub ttl: u8,
    /// IP protocol number.
    pub protocol: u8,
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
}

/// The 20-byte header for a payload of `payload_len` bytes, with a valid checksum.
pub fn build(h: &Header, payload_len: usize) -> [u8; HEADER_LEN] {
    let total = (HEADER_LEN + payload_len).min(usize::from(u16::MAX)) as u16;
    let mut b = [0u8; HEADER_LEN];
    b[0] = 0x45;
    b[1] = h.tos;
    b[2..4].copy_from_slice(&total.to_be_bytes());
    b[4..6].copy_from_slice(&h.id.to_be_bytes());
    // Flags and fragment offset: zero (not fragmented).
    b[8] = h.ttl;
    b[9] = h.protocol;
    b[12..16].copy_from_slice(&h.src.octets());
    b[16..20].copy_from_slice(&h.dst.octets());
    let sum = checksum(&b);
    b[10..12].copy_from_slice(&sum.to_be_bytes());
    b
}

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for chunk in data.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_checksums_to_zero() {
        let h = Header {
            tos: 0,
            id: 7,
            ttl: 128,
            protocol: 1,
            src: Ipv4Addr::LOCALHOST,
            dst: Ipv4Addr::LOCALHOST,
        };
        let b = build(&h, 12);
        assert_eq!(b[0], 0x45);
        assert_eq!(u16::from_be_bytes([b[2], b[3]]), 32);
        assert_eq!(checksum(&b), 0);
    }
}
