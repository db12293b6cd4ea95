//! One protocol entry (WSAPROTOCOL_INFOW) and the entries of the built-in providers.
//!
//! Values for the TCP/IP providers: winsock-facts §3d (Wine's `supported_protocols[]`, which
//! mirrors MSAFD), the Windows rows of Wine's test_WSAEnumProtocolsW (service flags of TCP
//! and UDP) and test_WSASocket (raw sockets: iProtocol 0, iProtocolMaxOffset 255,
//! PFL_HIDDEN); the IPv6 entries belong to a provider of their own, as on Windows.

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
/// ProtocolChain.ChainLen of a layered provider's own entry.
pub const LAYERED_PROTOCOL: i32 = 0;
/// ProtocolChain.ChainLen of a base provider's entry.
pub const BASE_PROTOCOL: i32 = 1;
/// MAX_PROTOCOL_CHAIN.
pub const MAX_PROTOCOL_CHAIN: usize = 7;

/// Size of WSAPROTOCOL_INFOW (winsock-facts §4).
pub const PROTOCOL_INFOW_LEN: usize = 628;
/// Size of WSAPROTOCOL_INFOA (szProtocol is 256 CHARs instead of WCHARs).
pub const PROTOCOL_INFOA_LEN: usize = 372;

/// A provider id (a GUID in memory order).
pub type ProviderId = [u8; 16];

/// MSAFD Tcpip, IPv4: {E70F1AA0-AB8B-11CF-8CA3-00805F48A192}.
pub const MSAFD_TCPIP: ProviderId = [
    0xA0, 0x1A, 0x0F, 0xE7, 0x8B, 0xAB, 0xCF, 0x11, 0x8C, 0xA3, 0x00, 0x80, 0x5F, 0x48, 0xA1, 0x92,
];
/// MSAFD Tcpip, IPv6: {F9EAB0C0-26D4-11D0-BBBF-00AA006C34E4}.
pub const MSAFD_TCPIP6: ProviderId = [
    0xC0, 0xB0, 0xEA, 0xF9, 0xD4, 0x26, 0xD0, 0x11, 0xBB, 0xBF, 0x00, 0xAA, 0x00, 0x6C, 0x34, 0xE4,
];
/// The simulator's message protocols: {5E3D5173-0000-4000-8000-57534D534731} (a GUID of the
/// simulator's own; no Windows provider has it).
pub const SIM_MESSAGE: ProviderId = [
    0x73, 0x51, 0x3D, 0x5E, 0x00, 0x00, 0x00, 0x40, 0x80, 0x00, 0x57, 0x53, 0x4D, 0x53, 0x47, 0x31,
];

/// The IP protocol number of the reliable message protocol with partial delivery (253 is
/// reserved for experimentation, RFC 3692).
pub const IPPROTO_SIM_RM: i32 = 253;
/// The IP protocol number of the reliable message protocol without partial delivery.
pub const IPPROTO_SIM_RDM: i32 = 254;
/// SOCK_RDM.
pub const SOCK_RDM: i32 = 4;

/// One protocol entry's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolEntry {
    /// dwServiceFlags1.
    pub service_flags1: u32,
    /// dwProviderFlags.
    pub provider_flags: u32,
    /// ProviderId.
    pub provider_id: ProviderId,
    /// dwCatalogEntryId.
    pub catalog_id: u32,
    /// ProtocolChain.ChainLen: 0 for a layered provider's own entry, 1 for a base provider,
    /// more for a chain.
    pub chain_len: i32,
    /// ProtocolChain.ChainEntries, the catalog ids from the top of the chain to its base.
    pub chain: Vec<u32>,
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
    /// The kind of socket the entry makes (for a chain, its base's).
    pub kind: SockKind,
}

/// The service flags of a UDP or raw IP entry (0x20609).
const UDP_FLAGS: u32 = XP1_IFS_HANDLES
    | XP1_SUPPORT_MULTIPOINT
    | XP1_SUPPORT_BROADCAST
    | XP1_MESSAGE_ORIENTED
    | XP1_CONNECTIONLESS;

/// A base entry: chain length 1.
#[allow(clippy::too_many_arguments)]
fn base(
    id: u32,
    provider: ProviderId,
    (family, kind): (Family, SockKind),
    (service_flags1, provider_flags): (u32, u32),
    (socket_type, protocol, protocol_max_offset): (i32, i32, i32),
    message_size: u32,
    name: String,
) -> ProtocolEntry {
    ProtocolEntry {
        service_flags1,
        provider_flags,
        provider_id: provider,
        catalog_id: id,
        chain_len: BASE_PROTOCOL,
        chain: Vec::new(),
        family: i32::from(family.af()),
        sockaddr_len: family.sockaddr_len() as i32,
        socket_type,
        protocol,
        protocol_max_offset,
        message_size,
        name,
        kind,
    }
}

/// The TCP/IP entries, in Windows' catalog order: TCP/IP, UDP/IP, RAW/IP, then the IPv6
/// ones (Wine's table, which follows the Windows catalog; test_WSASocket relies on the
/// order for socket(AF_INET, 0, 0)).
pub fn tcpip_entries() -> Vec<ProtocolEntry> {
    let mut v = Vec::new();
    for (family, provider, first, fam) in [
        (Family::V4, MSAFD_TCPIP, 1001, "IP"),
        (Family::V6, MSAFD_TCPIP6, 1004, "IPv6"),
    ] {
        let zero = PFL_MATCHES_PROTOCOL_ZERO;
        v.push(base(
            first,
            provider,
            (family, SockKind::Stream),
            (
                XP1_IFS_HANDLES
                    | XP1_EXPEDITED_DATA
                    | XP1_GRACEFUL_CLOSE
                    | XP1_GUARANTEED_ORDER
                    | XP1_GUARANTEED_DELIVERY,
                zero,
            ),
            (1, 6, 0),
            0,
            format!("MSAFD Tcpip [TCP/{fam}]"),
        ));
        v.push(base(
            first + 1,
            provider,
            (family, SockKind::Udp),
            (UDP_FLAGS, zero),
            (2, 17, 0),
            0xFFBB,
            format!("MSAFD Tcpip [UDP/{fam}]"),
        ));
        v.push(base(
            first + 2,
            provider,
            (family, SockKind::Raw(0)),
            (UDP_FLAGS, zero | PFL_HIDDEN),
            (3, 0, 255),
            0x8000,
            format!("MSAFD Tcpip [RAW/{fam}]"),
        ));
    }
    v
}

/// MSAFD nwlnkipx: {11058240-BE47-11CF-95C8-00805F48A192}.
pub const MSAFD_IPX: ProviderId = [
    0x40, 0x82, 0x05, 0x11, 0x47, 0xBE, 0xCF, 0x11, 0x95, 0xC8, 0x00, 0x80, 0x5F, 0x48, 0xA1, 0x92,
];

/// The IPX and SPX entries Wine 8 lists after TCP/IP (Personality::Wine8 only): family,
/// type, protocol and dwServiceFlags1 as its WSAEnumProtocolsW reports them
/// (diff/corpus/catalog_enum.json). No socket of them can be made (AF_IPX is not a family
/// the simulator has), as on a Linux host without IPX.
pub fn ipx_entries(first: u32) -> Vec<ProtocolEntry> {
    const AF_IPX: i32 = 6;
    const SOCK_SEQPACKET: i32 = 5;
    let entry = |id, (ty, proto), flags, name: &str| ProtocolEntry {
        service_flags1: flags,
        provider_flags: 0,
        provider_id: MSAFD_IPX,
        catalog_id: id,
        chain_len: BASE_PROTOCOL,
        chain: Vec::new(),
        family: AF_IPX,
        sockaddr_len: 14,
        socket_type: ty,
        protocol: proto,
        protocol_max_offset: 0,
        message_size: 0,
        name: name.to_string(),
        kind: SockKind::Udp,
    };
    vec![
        entry(first, (2, 1000), 0x40609, "MSAFD nwlnkipx [IPX]"),
        entry(
            first + 1,
            (SOCK_SEQPACKET, 1256),
            0x2001e,
            "MSAFD nwlnkspx [SPX]",
        ),
        entry(
            first + 2,
            (SOCK_SEQPACKET, 1257),
            0x2003e,
            "MSAFD nwlnkspx [SPX II]",
        ),
    ]
}

/// The simulator's two reliable message protocols, over IPv4 and IPv6 (see the README): one
/// that delivers a message larger than the buffers in parts (XP1_PARTIAL_MESSAGE), one that
/// does not (WSAEMSGSIZE, and the message stays queued).
pub fn message_entries(first: u32) -> Vec<ProtocolEntry> {
    let reliable = XP1_IFS_HANDLES
        | XP1_MESSAGE_ORIENTED
        | XP1_GUARANTEED_ORDER
        | XP1_GUARANTEED_DELIVERY
        | XP1_CONNECTIONLESS;
    let mut v = Vec::new();
    let mut id = first;
    for (partial, proto, name) in [
        (true, IPPROTO_SIM_RM, "RM"),
        (false, IPPROTO_SIM_RDM, "RDM"),
    ] {
        for (family, fam) in [(Family::V4, "IP"), (Family::V6, "IPv6")] {
            let flags = if partial {
                reliable | XP1_PARTIAL_MESSAGE
            } else {
                reliable
            };
            v.push(base(
                id,
                SIM_MESSAGE,
                (family, SockKind::Reliable { partial }),
                (flags, 0),
                (SOCK_RDM, proto, 0),
                0xFFBB,
                format!("winsock-sim [{name}/{fam}]"),
            ));
            id += 1;
        }
    }
    v
}

impl ProtocolEntry {
    /// Whether ws2 may create a socket of it for socket()'s arguments (iAddressFamily,
    /// iSocketType, and iProtocol up to iProtocolMaxOffset above it).
    pub fn makes(&self, family: Family, kind: SockKind) -> bool {
        if self.chain_len == LAYERED_PROTOCOL || self.family != i32::from(family.af()) {
            return false;
        }
        match (self.kind, kind) {
            (SockKind::Raw(_), SockKind::Raw(_)) => true,
            (a, b) => a == b,
        }
    }

    /// The WSAPROTOCOL_INFOW (628 bytes) or WSAPROTOCOL_INFOA (372 bytes) image of the entry.
    pub fn to_bytes(&self, wide: bool) -> Vec<u8> {
        let mut b = Vec::with_capacity(PROTOCOL_INFOW_LEN);
        let u = |b: &mut Vec<u8>, v: u32| b.extend_from_slice(&v.to_le_bytes());
        u(&mut b, self.service_flags1);
        u(&mut b, 0);
        u(&mut b, 0);
        u(&mut b, 0);
        u(&mut b, self.provider_flags);
        b.extend_from_slice(&self.provider_id);
        u(&mut b, self.catalog_id);
        u(&mut b, self.chain_len as u32);
        for i in 0..MAX_PROTOCOL_CHAIN {
            u(&mut b, self.chain.get(i).copied().unwrap_or(0));
        }
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
        let entries = tcpip_entries();
        let e = &entries[1];
        assert_eq!((e.catalog_id, e.kind), (1002, SockKind::Udp));
        assert_eq!(e.service_flags1, 0x0002_0609);
        assert_eq!(e.service_flags1 & XP1_PARTIAL_MESSAGE, 0);
        let w = e.to_bytes(true);
        assert_eq!(w.len(), PROTOCOL_INFOW_LEN);
        assert_eq!(e.to_bytes(false).len(), PROTOCOL_INFOA_LEN);
        // iSocketType @88, iProtocol @92, ChainLen @40 (winsock-facts §4).
        assert_eq!(&w[88..92], &2i32.to_le_bytes());
        assert_eq!(&w[92..96], &17i32.to_le_bytes());
        assert_eq!(&w[40..44], &1i32.to_le_bytes());
    }

    /// Wine test_WSAEnumProtocolsW (Windows rows): TCP and UDP service flags.
    #[test]
    fn wine_enum_protocols_service_flags() {
        for e in tcpip_entries() {
            match e.kind {
                SockKind::Stream => assert_eq!(e.service_flags1, 0x20066),
                SockKind::Udp | SockKind::Raw(_) => assert_eq!(e.service_flags1, 0x20609),
                SockKind::Reliable { .. } => unreachable!(),
            }
        }
    }
}
