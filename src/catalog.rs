//! The base provider's protocol entries (WSAPROTOCOL_INFOW), as SO_PROTOCOL_INFO reports them.
//!
//! Values: winsock-facts §3d (Wine's `supported_protocols[]`, which mirrors MSAFD) and the
//! Windows rows of Wine's test_WSASocket for raw sockets (iProtocol 0, iProtocolMaxOffset 255,
//! PFL_HIDDEN).

use crate::socket::SockKind;
use crate::wire::sockaddr::Family;

/// XP1_CONNECTIONLESS.
pub const XP1_CONNECTIONLESS: u32 = 0x1;
/// XP1_GUARANTEED_DELIVERY.
pub const XP1_GUARANTEED_DELIVERY: u32 = 0x2;
/// XP1_GUARANTEED_ORDER.
pub const XP1_GUARANTEED_ORDER: u32 = 0x4;
/// XP1_MESSAGE_ORIENTED.
pub const XP1_MESSAGE_ORIENTED: u32 = 0x8;
/// XP1_GRACEFUL_CLOSE.
pub const XP1_GRACEFUL_CLOSE: u32 = 0x20;
/// XP1_EXPEDITED_DATA.
pub const XP1_EXPEDITED_DATA: u32 = 0x40;
/// XP1_SUPPORT_BROADCAST.
pub const XP1_SUPPORT_BROADCAST: u32 = 0x200;
/// XP1_SUPPORT_MULTIPOINT.
pub const XP1_SUPPORT_MULTIPOINT: u32 = 0x400;
/// XP1_IFS_HANDLES.
pub const XP1_IFS_HANDLES: u32 = 0x20000;
/// XP1_PARTIAL_MESSAGE.
pub const XP1_PARTIAL_MESSAGE: u32 = 0x40000;
/// PFL_HIDDEN.
pub const PFL_HIDDEN: u32 = 0x4;
/// PFL_MATCHES_PROTOCOL_ZERO.
pub const PFL_MATCHES_PROTOCOL_ZERO: u32 = 0x8;

/// Size of WSAPROTOCOL_INFOW (winsock-facts §4).
pub const PROTOCOL_INFOW_LEN: usize = 628;
/// Size of WSAPROTOCOL_INFOA (szProtocol is 256 CHARs instead of WCHARs).
pub const PROTOCOL_INFOA_LEN: usize = 372;

/// The MSAFD Tcpip provider id, {E70F1AA0-AB8B-11CF-8CA3-00805F48A192}, in memory order.
const MSAFD_TCPIP: [u8; 16] = [
    0xA0, 0x1A, 0x0F, 0xE7, 0x8B, 0xAB, 0xCF, 0x11, 0x8C, 0xA3, 0x00, 0x80, 0x5F, 0x48, 0xA1, 0x92,
];

/// One protocol entry's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolEntry {
    /// dwServiceFlags1.
    pub service_flags1: u32,
    /// dwProviderFlags.
    pub provider_flags: u32,
    /// dwCatalogEntryId.
    pub catalog_id: u32,
    /// iAddressFamily.
    pub family: i32,
    /// iMaxSockAddr = iMinSockAddr.
    pub sockaddr_len: i32,
    /// iSocketType.
    pub socket_type: i32,
    /// iProtocol.
    pub protocol: i32,
    /// iProtocolMaxOffset.
    pub protocol_max_offset: i32,
    /// dwMessageSize.
    pub message_size: u32,
    /// szProtocol.
    pub name: String,
}

/// The entry describing a socket of this kind and family.
pub fn entry_for(kind: SockKind, family: Family) -> ProtocolEntry {
    let v6 = family == Family::V6;
    let (af, len, fam_name) = if v6 { (23, 28, "IPv6") } else { (2, 16, "IP") };
    match kind {
        SockKind::Udp => ProtocolEntry {
            service_flags1: XP1_IFS_HANDLES
                | XP1_SUPPORT_MULTIPOINT
                | XP1_SUPPORT_BROADCAST
                | XP1_MESSAGE_ORIENTED
                | XP1_CONNECTIONLESS,
            provider_flags: PFL_MATCHES_PROTOCOL_ZERO,
            catalog_id: if v6 { 1005 } else { 1002 },
            family: af,
            sockaddr_len: len,
            socket_type: 2,
            protocol: 17,
            protocol_max_offset: 0,
            message_size: 0xFFBB,
            name: format!("MSAFD Tcpip [UDP/{fam_name}]"),
        },
        SockKind::Raw(_) => ProtocolEntry {
            service_flags1: XP1_IFS_HANDLES
                | XP1_SUPPORT_MULTIPOINT
                | XP1_SUPPORT_BROADCAST
                | XP1_MESSAGE_ORIENTED
                | XP1_CONNECTIONLESS,
            provider_flags: PFL_MATCHES_PROTOCOL_ZERO | PFL_HIDDEN,
            catalog_id: if v6 { 1006 } else { 1003 },
            family: af,
            sockaddr_len: len,
            socket_type: 3,
            protocol: 0,
            protocol_max_offset: 255,
            message_size: 0x8000,
            name: format!("MSAFD Tcpip [RAW/{fam_name}]"),
        },
        SockKind::Stream => ProtocolEntry {
            service_flags1: XP1_IFS_HANDLES
                | XP1_EXPEDITED_DATA
                | XP1_GRACEFUL_CLOSE
                | XP1_GUARANTEED_ORDER
                | XP1_GUARANTEED_DELIVERY,
            provider_flags: PFL_MATCHES_PROTOCOL_ZERO,
            catalog_id: if v6 { 1004 } else { 1001 },
            family: af,
            sockaddr_len: len,
            socket_type: 1,
            protocol: 6,
            protocol_max_offset: 0,
            message_size: 0,
            name: format!("MSAFD Tcpip [TCP/{fam_name}]"),
        },
    }
}

impl ProtocolEntry {
    /// The WSAPROTOCOL_INFOW (628 bytes) or WSAPROTOCOL_INFOA (372 bytes) image of the entry.
    pub fn to_bytes(&self, wide: bool) -> Vec<u8> {
        let mut b = Vec::with_capacity(628);
        let u = |b: &mut Vec<u8>, v: u32| b.extend_from_slice(&v.to_le_bytes());
        u(&mut b, self.service_flags1);
        u(&mut b, 0);
        u(&mut b, 0);
        u(&mut b, 0);
        u(&mut b, self.provider_flags);
        b.extend_from_slice(&MSAFD_TCPIP);
        u(&mut b, self.catalog_id);
        // WSAPROTOCOLCHAIN: ChainLen 1 (a base provider), ChainEntries[7] zero.
        u(&mut b, 1);
        b.extend_from_slice(&[0u8; 28]);
        for v in [
            2, // iVersion
            self.family,
            self.sockaddr_len,
            self.sockaddr_len,
            self.socket_type,
            self.protocol,
            self.protocol_max_offset,
            0, // iNetworkByteOrder: BIGENDIAN
            0, // iSecurityScheme
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        u(&mut b, self.message_size);
        u(&mut b, 0);
        debug_assert_eq!(b.len(), 116);
        if wide {
            let mut name: Vec<u16> = self.name.encode_utf16().take(255).collect();
            name.resize(256, 0);
            for c in name {
                b.extend_from_slice(&c.to_le_bytes());
            }
        } else {
            let mut name: Vec<u8> = self.name.bytes().take(255).collect();
            name.resize(256, 0);
            b.extend_from_slice(&name);
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_entry_matches_the_fact_sheet() {
        let e = entry_for(SockKind::Udp, Family::V4);
        assert_eq!(e.service_flags1, 0x0002_0609);
        assert_eq!(e.service_flags1 & XP1_PARTIAL_MESSAGE, 0);
        let w = e.to_bytes(true);
        assert_eq!(w.len(), PROTOCOL_INFOW_LEN);
        assert_eq!(e.to_bytes(false).len(), PROTOCOL_INFOA_LEN);
        // iSocketType @88, iProtocol @92 (winsock-facts §4).
        assert_eq!(&w[88..92], &2i32.to_le_bytes());
        assert_eq!(&w[92..96], &17i32.to_le_bytes());
        assert_eq!(&w[40..44], &1i32.to_le_bytes());
    }
}
