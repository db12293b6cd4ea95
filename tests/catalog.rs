//! The provider catalogue as WSAEnumProtocols and WSCEnumProtocols report it.

mod common;

use std::mem::zeroed;

use common::*;
use winsock_sim::Sim;

const PFL_HIDDEN: u32 = 4;
const PFL_MATCHES_PROTOCOL_ZERO: u32 = 8;

/// WSAEnumProtocolsW into a buffer of the size it asks for: the entries.
fn enum_w(filter: Option<&[i32]>) -> Vec<WSAPROTOCOL_INFOW> {
    let p = filter.map_or(std::ptr::null(), |f| f.as_ptr());
    let mut len = 0u32;
    assert_eq!(
        unsafe { WSAEnumProtocolsW(p, std::ptr::null_mut(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOBUFS);
    let mut v: Vec<WSAPROTOCOL_INFOW> =
        vec![unsafe { zeroed() }; len as usize / size_of::<WSAPROTOCOL_INFOW>()];
    let n = unsafe { WSAEnumProtocolsW(p, v.as_mut_ptr(), &mut len) };
    assert_eq!(n as usize, v.len(), "the count, in the size it asked for");
    v
}

fn name(e: &WSAPROTOCOL_INFOW) -> String {
    let end = e.szProtocol.iter().position(|&c| c == 0).unwrap_or(256);
    String::from_utf16_lossy(&e.szProtocol[..end])
}

/// Wine test_WSAEnumProtocolsW (Windows rows): a NULL buffer, or one too small, fails with
/// WSAENOBUFS and gives the size needed; then it returns the number of entries, each with a
/// name and none PFL_HIDDEN; TCP and UDP entries of version 2 have the service flags TCP/IP
/// and UDP/IP have on Windows.
#[test]
fn wine_enum_protocols_w() {
    startup();
    let mut len = 0u32;
    let mut one: WSAPROTOCOL_INFOW = unsafe { zeroed() };
    assert_eq!(
        unsafe { WSAEnumProtocolsW(std::ptr::null(), &mut one, &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOBUFS);
    let all = enum_w(None);
    assert_eq!(
        all.len(),
        4,
        "TCP and UDP over IPv4 and IPv6; raw entries are hidden"
    );
    for e in &all {
        assert!(!name(e).is_empty());
        assert_eq!(e.dwProviderFlags & PFL_HIDDEN, 0);
        assert_eq!(e.iVersion, 2);
        assert_eq!(e.ProtocolChain.ChainLen, 1, "base protocols");
        match e.iProtocol {
            6 => assert_eq!(e.dwServiceFlags1, 0x20066),
            17 => assert_eq!(e.dwServiceFlags1, 0x20609),
            p => panic!("unexpected protocol {p}"),
        }
    }
    let names: Vec<String> = all.iter().map(name).collect();
    assert_eq!(
        names,
        [
            "MSAFD Tcpip [TCP/IP]",
            "MSAFD Tcpip [UDP/IP]",
            "MSAFD Tcpip [TCP/IPv6]",
            "MSAFD Tcpip [UDP/IPv6]"
        ]
    );
}

/// Wine test_WSAEnumProtocolsW: with the 0-terminated filter {0xdead, IPPROTO_TCP, 0xcafe,
/// IPPROTO_UDP, 0xbeef, 0}, only TCP and UDP come back.
#[test]
fn wine_enum_protocols_filter() {
    startup();
    let filter = [0xdead, IPPROTO_TCP, 0xcafe, IPPROTO_UDP, 0xbeef, 0];
    let got = enum_w(Some(&filter));
    assert!(got.len() >= 2);
    assert!(got.iter().all(|e| e.iProtocol == 6 || e.iProtocol == 17));
    let udp = [IPPROTO_UDP, 0];
    assert_eq!(enum_w(Some(&udp)).len(), 2);
}

/// WSAEnumProtocolsA lists the same entries as WSAEnumProtocolsW, in WSAPROTOCOL_INFOA's
/// shape; both need WSAStartup.
#[test]
fn doc_enum_protocols_a_and_startup() {
    let mut len = 0u32;
    assert_eq!(
        unsafe { WSAEnumProtocolsA(std::ptr::null(), std::ptr::null_mut(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSANOTINITIALISED);
    startup();
    assert_eq!(
        unsafe { WSAEnumProtocolsA(std::ptr::null(), std::ptr::null_mut(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(len as usize, 4 * size_of::<WSAPROTOCOL_INFOA>());
    let mut v: Vec<WSAPROTOCOL_INFOA> = vec![unsafe { zeroed() }; 4];
    assert_eq!(
        unsafe { WSAEnumProtocolsA(std::ptr::null(), v.as_mut_ptr(), &mut len) },
        4
    );
    let w = enum_w(None);
    for (a, w) in v.iter().zip(&w) {
        assert_eq!(
            (a.dwCatalogEntryId, a.iProtocol, a.dwServiceFlags1),
            (w.dwCatalogEntryId, w.iProtocol, w.dwServiceFlags1)
        );
    }
    assert_eq!(
        unsafe { WSAEnumProtocolsW(std::ptr::null(), std::ptr::null_mut(), std::ptr::null_mut()) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
}

/// Wine test_WSASocket (Windows rows): socket(AF_INET, 0, 0) makes a socket of the type of
/// the first enumerated AF_INET entry with PFL_MATCHES_PROTOCOL_ZERO.
#[test]
fn wine_socket_zero_matches_first_entry() {
    startup();
    let first = enum_w(None)
        .into_iter()
        .find(|e| {
            e.iAddressFamily == AF_INET as i32 && e.dwProviderFlags & PFL_MATCHES_PROTOCOL_ZERO != 0
        })
        .unwrap();
    let s = unsafe { socket(AF_INET as i32, 0, 0) };
    assert_eq!(get_u32(s, SOL_SOCKET, SO_TYPE), first.iSocketType as u32);
}

/// WSCEnumProtocols page: every entry, the PFL_HIDDEN ones (raw sockets, as Wine's
/// test_WSASocket shows on Windows) included; errors through lpErrno; no WSAStartup needed.
/// With the simulator's message protocols, their entries follow the TCP/IP ones.
#[test]
fn doc_wsc_enum_protocols_lists_everything() {
    let sim = Sim::builder().message_protocols(true).build();
    let _g = sim.enter();
    let (mut len, mut errno) = (0u32, 0);
    unsafe { WSASetLastError(0x77) };
    let r =
        unsafe { WSCEnumProtocols(std::ptr::null(), std::ptr::null_mut(), &mut len, &mut errno) };
    assert_eq!((r, errno, last_error()), (SOCKET_ERROR, WSAENOBUFS, 0x77));
    let mut v: Vec<WSAPROTOCOL_INFOW> =
        vec![unsafe { zeroed() }; len as usize / size_of::<WSAPROTOCOL_INFOW>()];
    let n = unsafe { WSCEnumProtocols(std::ptr::null(), v.as_mut_ptr(), &mut len, &mut errno) };
    let ids: Vec<u32> = v[..n as usize].iter().map(|e| e.dwCatalogEntryId).collect();
    assert_eq!(
        ids,
        vec![1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010]
    );
    let raw = &v[2];
    assert_eq!(raw.dwProviderFlags, PFL_MATCHES_PROTOCOL_ZERO | PFL_HIDDEN);
    assert_eq!((raw.iProtocol, raw.iProtocolMaxOffset), (0, 255));
    let rm = &v[6];
    assert_eq!((rm.iSocketType, rm.iProtocol), (SOCK_RDM, 253));
    assert_ne!(rm.dwServiceFlags1 & 0x40000, 0, "XP1_PARTIAL_MESSAGE");
    assert_eq!(
        v[8].dwServiceFlags1 & 0x40000,
        0,
        "the whole-message protocol"
    );
    startup();
    assert_eq!(enum_w(None).len(), 8);
}
