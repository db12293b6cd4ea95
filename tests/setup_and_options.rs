//! Everything around the receive path that a receive depends on: startup, socket creation,
//! binding, connecting, names, shutdown, sends, options and ioctls. Each test cites the
//! Windows rows of Wine's sock.c (or the page) it reproduces.

mod common;

use std::mem::{size_of, zeroed};

use common::*;
use winsock_sim::{Diagnostic, Sim};

/// Wine test_WithoutWSAStartup: before WSAStartup, WSASocket fails with WSANOTINITIALISED.
#[test]
fn wine_without_wsastartup() {
    let s = unsafe { WSASocketW(0, 0, 0, std::ptr::null(), 0, 0) };
    assert_eq!((s, last_error()), (INVALID_SOCKET, WSANOTINITIALISED));
    assert_eq!(unsafe { WSACleanup() }, SOCKET_ERROR);
    assert_eq!(last_error(), WSANOTINITIALISED);
}

/// Wine test_WithWSAStartup: the last WSACleanup closes every socket (WSAENOTSOCK after a new
/// WSAStartup); one WSACleanup too many is WSANOTINITIALISED. WSAStartup returns its error
/// directly: WSAVERNOTSUPPORTED below 1.1, WSAEFAULT for a NULL WSADATA; versions above 2.2
/// negotiate 2.2 (winsock-facts §5.17).
#[test]
fn wine_with_wsastartup_and_version_negotiation() {
    let mut d: WSADATA = unsafe { zeroed() };
    assert_eq!(unsafe { WSAStartup(0x0001, &mut d) }, WSAVERNOTSUPPORTED);
    assert_eq!(
        unsafe { WSAStartup(0x0202, std::ptr::null_mut()) },
        WSAEFAULT
    );
    assert_eq!(unsafe { WSAStartup(0x0303, &mut d) }, 0);
    assert_eq!(
        (d.wVersion, d.wHighVersion, d.iMaxSockets, d.iMaxUdpDg),
        (0x0202, 0x0202, 0, 0)
    );
    assert_eq!(unsafe { WSAStartup(0x0101, &mut d) }, 0);
    assert_eq!(d.wVersion, 0x0101);
    let s = udp(AF_INET);
    assert_eq!(unsafe { WSACleanup() }, 0);
    assert_eq!(unsafe { WSACleanup() }, 0);
    startup();
    let mut a = addr("0.0.0.0:0");
    let mut len = 16;
    assert_eq!(
        unsafe { getsockname(s, a.mut_ptr(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTSOCK);
    assert_eq!(unsafe { WSACleanup() }, 0);
    assert_eq!(unsafe { WSACleanup() }, SOCKET_ERROR);
    assert_eq!(last_error(), WSANOTINITIALISED);
}

/// Wine test_WSASocket (Windows rows): the argument table through the face, success clearing
/// the last error, SO_TYPE of the result; setsockopt(SO_TYPE) on a datagram socket is
/// WSAEINVAL.
#[test]
fn wine_wsasocket_table() {
    startup();
    let rows = [
        (0xdead, SOCK_STREAM, IPPROTO_TCP, Err(WSAEAFNOSUPPORT)),
        (AF_INET as i32, 0xdead, IPPROTO_TCP, Err(WSAESOCKTNOSUPPORT)),
        (AF_INET as i32, SOCK_STREAM, 0xdead, Err(WSAEPROTONOSUPPORT)),
        (AF_INET as i32, SOCK_DGRAM, 0, Ok(SOCK_DGRAM)),
        (AF_INET as i32, 0, IPPROTO_UDP, Ok(SOCK_DGRAM)),
        (
            AF_INET as i32,
            SOCK_DGRAM,
            IPPROTO_TCP,
            Err(WSAEPROTONOSUPPORT),
        ),
        (AF_UNSPEC as i32, 0, IPPROTO_UDP, Ok(SOCK_DGRAM)),
        (AF_UNSPEC as i32, SOCK_DGRAM, 0, Err(WSAEINVAL)),
        (AF_INET6 as i32, SOCK_DGRAM, IPPROTO_UDP, Ok(SOCK_DGRAM)),
        (AF_INET as i32, SOCK_RAW, 253, Ok(SOCK_RAW)),
        (AF_INET as i32, SOCK_RDM, 0, Err(WSAESOCKTNOSUPPORT)),
    ];
    for (af, ty, proto, want) in rows {
        unsafe { WSASetLastError(0xdead) };
        let s = unsafe { WSASocketW(af, ty, proto, std::ptr::null(), 0, WSA_FLAG_OVERLAPPED) };
        match want {
            Ok(t) => {
                assert_ne!(s, INVALID_SOCKET, "({af}, {ty}, {proto})");
                assert_eq!(last_error(), 0);
                assert_eq!(get_u32(s, SOL_SOCKET, SO_TYPE), t as u32);
            }
            Err(e) => assert_eq!(
                (s, last_error()),
                (INVALID_SOCKET, e),
                "({af}, {ty}, {proto})"
            ),
        }
    }
    let s = udp(AF_INET);
    let v = 1u32;
    assert_eq!(
        unsafe { setsockopt(s, SOL_SOCKET, SO_TYPE, &v as *const u32 as _, 4) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEINVAL);
    // Socket groups are not supported.
    let s = unsafe { WSASocketW(AF_INET as i32, SOCK_DGRAM, 0, std::ptr::null(), 1, 0) };
    assert_eq!((s, last_error()), (INVALID_SOCKET, WSAEINVAL));
}

/// Wine test_WSASocket: with a protocol-info structure, arguments left 0 are taken from it.
#[test]
fn wine_wsasocket_protocol_info() {
    startup();
    let s = udp(AF_INET);
    let mut info: WSAPROTOCOL_INFOW = unsafe { zeroed() };
    let mut len = size_of::<WSAPROTOCOL_INFOW>() as i32;
    assert_eq!(
        unsafe {
            getsockopt(
                s,
                SOL_SOCKET,
                SO_PROTOCOL_INFOW,
                &mut info as *mut _ as _,
                &mut len,
            )
        },
        0
    );
    let t = unsafe { WSASocketW(0, 0, 0, &info, 0, 0) };
    assert_ne!(t, INVALID_SOCKET);
    assert_eq!(get_u32(t, SOL_SOCKET, SO_TYPE), SOCK_DGRAM as u32);
}

/// Wine test_bind (Windows rows): NULL name or short length WSAEFAULT; unknown family
/// WSAEAFNOSUPPORT; a foreign address WSAEADDRNOTAVAIL; success clears the last error; a
/// second bind WSAEINVAL; the same address on another socket WSAEADDRINUSE; IPv6 with the
/// 24-byte SOCKADDR_IN6_OLD length WSAEFAULT, a wrong scope id WSAEADDRNOTAVAIL.
#[test]
fn wine_bind_rules() {
    startup();
    let s = udp(AF_INET);
    let a = addr("127.0.0.1:0");
    assert_eq!(unsafe { bind(s, std::ptr::null(), 0) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(unsafe { bind(s, std::ptr::null(), 16) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(unsafe { bind(s, a.ptr(), 0) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(unsafe { bind(s, a.ptr(), 15) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEFAULT);
    let mut odd = a;
    odd.storage.ss_family = 0xdead;
    assert_eq!(unsafe { bind(s, odd.ptr(), 16) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEAFNOSUPPORT);
    let foreign = addr("192.0.2.0:0");
    assert_eq!(unsafe { bind(s, foreign.ptr(), 16) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEADDRNOTAVAIL);
    unsafe { WSASetLastError(0xdead) };
    assert_eq!(unsafe { bind(s, a.ptr(), 16) }, 0);
    assert_eq!(last_error(), 0);
    assert_eq!(unsafe { bind(s, a.ptr(), 16) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEINVAL);
    let mut mine = a;
    let mut len = 16;
    assert_eq!(unsafe { getsockname(s, mine.mut_ptr(), &mut len) }, 0);
    let t = udp(AF_INET);
    assert_eq!(unsafe { bind(t, mine.ptr(), 16) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEADDRINUSE);
    let s6 = udp(AF_INET6);
    let a6 = addr("[::1]:0");
    assert_eq!(unsafe { bind(s6, a6.ptr(), 24) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEFAULT);
    let mut scoped = a6;
    unsafe {
        (*(scoped.mut_ptr() as *mut SOCKADDR_IN6))
            .Anonymous
            .sin6_scope_id = 0xabacab
    };
    assert_eq!(unsafe { bind(s6, scoped.ptr(), 28) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEADDRNOTAVAIL);
    assert_eq!(unsafe { bind(s6, a6.ptr(), 28) }, 0);
}

/// Port 0 picks a port of Windows' dynamic range (49152-65535), one after the other
/// (Wine test_UDP: getsockname gives a non-zero port).
#[test]
fn sim_ephemeral_ports_from_dynamic_range() {
    startup();
    let (_, a) = bound("127.0.0.1:0");
    let (_, b) = bound("0.0.0.0:0");
    assert_eq!(a.to_std().port(), 49152);
    assert_eq!(b.to_std().port(), 49153);
}

/// Wine test_reuseaddr (Windows rows, through the face): SO_REUSEADDR on both sockets shares
/// an address; on the second only it is WSAEACCES; SO_EXCLUSIVEADDRUSE and SO_REUSEADDR
/// exclude each other (WSAEINVAL); 127.0.0.1 and 0.0.0.0 coexist without options.
#[test]
fn wine_reuseaddr_through_the_face() {
    startup();
    let a = udp(AF_INET);
    let b = udp(AF_INET);
    let c = udp(AF_INET);
    let at = addr("127.0.0.1:7000");
    set_u32(a, SOL_SOCKET, SO_REUSEADDR, 1);
    assert_eq!(unsafe { bind(a, at.ptr(), at.len) }, 0);
    set_u32(b, SOL_SOCKET, SO_REUSEADDR, 1);
    assert_eq!(unsafe { bind(b, at.ptr(), at.len) }, 0);
    let d = udp(AF_INET);
    let at2 = addr("127.0.0.1:7001");
    assert_eq!(unsafe { bind(d, at2.ptr(), at2.len) }, 0);
    set_u32(c, SOL_SOCKET, SO_REUSEADDR, 1);
    assert_eq!(unsafe { bind(c, at2.ptr(), at2.len) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEACCES);
    let e = udp(AF_INET);
    set_u32(e, SOL_SOCKET, SO_REUSEADDR, 1);
    let v = 1u32;
    assert_eq!(
        unsafe { setsockopt(e, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, &v as *const u32 as _, 4) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEINVAL);
    let any = addr("0.0.0.0:7001");
    let f = udp(AF_INET);
    assert_eq!(unsafe { bind(f, any.ptr(), any.len) }, 0);
}

/// Wine test_getsockname (Windows rows): unbound is WSAEINVAL with the buffer untouched (the
/// state is checked before the size, afd.c test_getsockname); a length one short is WSAEFAULT
/// and leaves the length; success writes the address and its size.
#[test]
fn wine_getsockname_rules() {
    startup();
    let s = udp(AF_INET);
    let mut a = addr("1.2.3.4:5");
    let mut len = 1;
    assert_eq!(
        unsafe { getsockname(s, a.mut_ptr(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(
        (last_error(), len, a.to_std().to_string()),
        (WSAEINVAL, 1, "1.2.3.4:5".to_string())
    );
    let at = addr("0.0.0.0:0");
    assert_eq!(unsafe { bind(s, at.ptr(), at.len) }, 0);
    len = 15;
    assert_eq!(
        unsafe { getsockname(s, a.mut_ptr(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!((last_error(), len), (WSAEFAULT, 15));
    len = 16;
    assert_eq!(unsafe { getsockname(s, a.mut_ptr(), &mut len) }, 0);
    let got = from_raw(&a.storage, len);
    assert!(got.ip().is_unspecified() && got.port() != 0);
    let sin = unsafe { *(a.ptr() as *const SOCKADDR_IN) };
    assert_eq!(sin.sin_zero, [0; 8]);
}

/// Wine test_getpeername (Windows rows): WSAENOTSOCK first, then WSAENOTCONN before any pointer
/// check; once connected, NULL pointers and a zero length are WSAEFAULT (length untouched);
/// sendto does not connect.
#[test]
fn wine_getpeername_rules() {
    startup();
    assert_eq!(
        unsafe { getpeername(INVALID_SOCKET, std::ptr::null_mut(), std::ptr::null_mut()) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTSOCK);
    let s = udp(AF_INET);
    assert_eq!(
        unsafe { getpeername(s, std::ptr::null_mut(), std::ptr::null_mut()) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTCONN);
    let peer = addr("127.0.0.1:139");
    must_send(s, b"x", &peer);
    assert_eq!(
        unsafe { getpeername(s, std::ptr::null_mut(), std::ptr::null_mut()) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTCONN);
    assert_eq!(unsafe { connect(s, peer.ptr(), peer.len) }, 0);
    let mut out = addr("0.0.0.0:0");
    let mut len = 0;
    assert_eq!(
        unsafe { getpeername(s, std::ptr::null_mut(), std::ptr::null_mut()) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(
        unsafe { getpeername(s, out.mut_ptr(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!((last_error(), len), (WSAEFAULT, 0));
    len = size_of::<SOCKADDR_STORAGE>() as i32;
    assert_eq!(unsafe { getpeername(s, out.mut_ptr(), &mut len) }, 0);
    assert_eq!((len, from_raw(&out.storage, len)), (16, peer.to_std()));
}

/// Wine test_connect_udp (Windows rows): send on an unconnected UDP socket is WSAENOTCONN;
/// connect binds implicitly and sets the peer; connecting again (even elsewhere) works; a
/// zeroed AF_UNSPEC address disconnects. Connecting to port 0 works (test_connect_events).
#[test]
fn wine_connect_udp() {
    startup();
    let (server, server_addr) = bound("127.0.0.1:0");
    let client = udp(AF_INET);
    assert_eq!(
        unsafe { send(client, b"data".as_ptr(), 4, 0) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTCONN);
    assert_eq!(
        unsafe { connect(client, server_addr.ptr(), server_addr.len) },
        0
    );
    let mut me = addr("0.0.0.0:0");
    let mut len = 16;
    assert_eq!(unsafe { getsockname(client, me.mut_ptr(), &mut len) }, 0);
    assert_eq!(unsafe { send(client, b"data".as_ptr(), 4, 0) }, 4);
    set_nonblocking(server, true);
    let mut buf = [FILL; 5];
    assert_eq!(unsafe { recv(server, buf.as_mut_ptr(), 5, 0) }, 4);
    assert_eq!(&buf[..4], b"data");
    assert_eq!(
        unsafe { recv(server, buf.as_mut_ptr(), 5, 0) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEWOULDBLOCK);
    let elsewhere = server_addr.with_port(0);
    assert_eq!(
        unsafe { connect(client, elsewhere.ptr(), elsewhere.len) },
        0
    );
    assert_eq!(
        unsafe { connect(client, server_addr.ptr(), server_addr.len) },
        0
    );
    let unspec: SOCKADDR_IN = unsafe { zeroed() };
    assert_eq!(unsafe { connect(client, &unspec as *const _ as _, 16) }, 0);
    let mut p = addr("0.0.0.0:0");
    let mut plen = 16;
    assert_eq!(
        unsafe { getpeername(client, p.mut_ptr(), &mut plen) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTCONN);
}

/// A connected UDP socket takes datagrams from its peer only; others are dropped with a
/// recorded reason (connect page: "all datagrams from other addresses are discarded").
#[test]
fn doc_connected_udp_filters_other_senders() {
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (peer, peer_addr) = bound("127.0.0.1:0");
    let (other, _) = bound("127.0.0.1:0");
    assert_eq!(unsafe { connect(rx, peer_addr.ptr(), peer_addr.len) }, 0);
    must_send(other, b"stranger", &rx_addr);
    must_send(peer, b"friend", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.bytes, &out.data()[..6]), (6, &b"friend"[..]));
    let ledger = Sim::current().ledger();
    assert_eq!(
        ledger
            .drops_for(winsock_sim::DropReason::FilteredByConnect)
            .count(),
        1
    );
}

/// Wine test_UDP: sendto from an unbound socket to 127.0.0.1 port 0 (and [::1] port 0)
/// succeeds and binds the socket.
#[test]
fn wine_udp_sendto_port_zero() {
    startup();
    let s = udp(AF_INET);
    must_send(s, &[0u8; 16], &addr("127.0.0.1:0"));
    let s6 = udp(AF_INET6);
    must_send(s6, &[0u8; 16], &addr("[::1]:0"));
    let mut a = addr("[::]:0");
    let mut len = 28;
    assert_eq!(unsafe { getsockname(s6, a.mut_ptr(), &mut len) }, 0);
    assert_ne!(a.to_std().port(), 0);
}

/// Wine test_WSASendTo (Windows rows): INVALID_SOCKET is WSAENOTSOCK; a NULL byte count
/// without an OVERLAPPED is WSAEFAULT; success clears the last error and binds implicitly.
#[test]
fn wine_wsasendto_rules() {
    startup();
    let to = addr("127.0.0.1:139");
    let mut data = *b"hello";
    let buf = WSABUF {
        len: 5,
        buf: data.as_mut_ptr(),
    };
    let mut n = 0u32;
    assert_eq!(
        unsafe {
            WSASendTo(
                INVALID_SOCKET,
                &buf,
                1,
                &mut n,
                0,
                to.ptr(),
                to.len,
                std::ptr::null_mut(),
                None,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTSOCK);
    let s = udp(AF_INET);
    assert_eq!(
        unsafe {
            WSASendTo(
                s,
                &buf,
                1,
                std::ptr::null_mut(),
                0,
                to.ptr(),
                to.len,
                std::ptr::null_mut(),
                None,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    unsafe { WSASetLastError(12345) };
    assert_eq!(
        unsafe {
            WSASendTo(
                s,
                &buf,
                1,
                &mut n,
                0,
                to.ptr(),
                to.len,
                std::ptr::null_mut(),
                None,
            )
        },
        0
    );
    assert_eq!((n, last_error()), (5, 0));
    let mut a = addr("0.0.0.0:0");
    let mut len = 16;
    assert_eq!(unsafe { getsockname(s, a.mut_ptr(), &mut len) }, 0);
    assert_ne!(a.to_std().port(), 0);
}

/// Wine test_WSASendMsg (Windows rows): INVALID_SOCKET WSAENOTSOCK; a NULL message WSAEFAULT
/// without binding; a NULL byte count without an OVERLAPPED WSAEFAULT, but the socket is bound
/// (a todo_wine row: Windows binds); two buffers make one datagram; WSASendMsg is also
/// reachable through WSAID_WSASENDMSG.
#[test]
fn wine_wsasendmsg_rules() {
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let s = udp(AF_INET);
    let mut a = *b"hello world!";
    let mut b = *b"second";
    let mut bufs = [
        WSABUF {
            len: 12,
            buf: a.as_mut_ptr(),
        },
        WSABUF {
            len: 6,
            buf: b.as_mut_ptr(),
        },
    ];
    let mut to = rx_addr;
    let msg = WSAMSG {
        name: to.mut_ptr(),
        namelen: to.len,
        lpBuffers: bufs.as_mut_ptr(),
        dwBufferCount: 2,
        Control: WSABUF {
            len: 0,
            buf: std::ptr::null_mut(),
        },
        dwFlags: 0,
    };
    let mut n = 0u32;
    assert_eq!(
        unsafe { WSASendMsg(INVALID_SOCKET, &msg, 0, &mut n, std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTSOCK);
    assert_eq!(
        unsafe { WSASendMsg(s, std::ptr::null(), 0, &mut n, std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    let mut me = addr("0.0.0.0:0");
    let mut len = 16;
    assert_eq!(
        unsafe { getsockname(s, me.mut_ptr(), &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEINVAL, "a NULL message does not bind");
    assert_eq!(
        unsafe { WSASendMsg(s, &msg, 0, std::ptr::null_mut(), std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(
        unsafe { getsockname(s, me.mut_ptr(), &mut len) },
        0,
        "but this one binds"
    );
    assert_eq!(
        unsafe { WSASendMsg(s, &msg, 0, &mut n, std::ptr::null_mut(), None) },
        0
    );
    assert_eq!((n, last_error()), (18, 0));
    let (r, _, buf, _, _) = recv_from(rx, 32, None);
    assert_eq!((r, &buf[..18]), (18, &b"hello world!second"[..]));
    // Through the extension pointer.
    let guid = WSAID_WSASENDMSG;
    let mut f: LPFN_WSASENDMSG = None;
    let mut got = 0u32;
    let r = unsafe {
        WSAIoctl(
            s,
            SIO_GET_EXTENSION_FUNCTION_POINTER,
            &guid as *const _ as _,
            16,
            &mut f as *mut _ as _,
            8,
            &mut got,
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!((r, got), (0, 8));
    assert_eq!(
        unsafe { f.unwrap()(s, &msg, 0, &mut n, std::ptr::null_mut(), None) },
        0
    );
}

/// WSASendMsg with IP_PKTINFO chooses the source address and IP_TOS the TOS byte, which the
/// receiver sees with IP_RECVTOS (WSASendMsg page: control data on send).
#[test]
fn doc_wsasendmsg_control_messages() {
    let sim = Sim::builder()
        .host("a", &["10.0.0.1/24", "10.0.0.9/24"])
        .build();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = bound("10.0.0.1:0");
    set_u32(rx, IPPROTO_IP, IP_RECVTOS, 1);
    let s = udp(AF_INET);
    let mut control = [0u8; 48];
    control[0..8].copy_from_slice(&24u64.to_le_bytes());
    control[12..16].copy_from_slice(&IP_PKTINFO.to_le_bytes());
    control[16..20].copy_from_slice(&[10, 0, 0, 9]);
    control[24..32].copy_from_slice(&20u64.to_le_bytes());
    control[36..40].copy_from_slice(&IP_TOS.to_le_bytes());
    control[40..44].copy_from_slice(&0x2Ei32.to_le_bytes());
    let mut data = *b"tos";
    let mut buf = WSABUF {
        len: 3,
        buf: data.as_mut_ptr(),
    };
    let mut to = rx_addr;
    let msg = WSAMSG {
        name: to.mut_ptr(),
        namelen: to.len,
        lpBuffers: &mut buf,
        dwBufferCount: 1,
        Control: WSABUF {
            len: 48,
            buf: control.as_mut_ptr(),
        },
        dwFlags: 0,
    };
    let mut n = 0u32;
    assert_eq!(
        unsafe { WSASendMsg(s, &msg, 0, &mut n, std::ptr::null_mut(), None) },
        0,
        "{}",
        last_error()
    );
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!(out.name.unwrap().ip().to_string(), "10.0.0.9");
    let c = cmsgs(&out.control, out.control_len);
    assert_eq!(
        (c[0].2, i32::from_le_bytes(c[0].3[..4].try_into().unwrap())),
        (IP_TOS, 0x2E)
    );
}

/// Wine test_shutdown (Windows rows): an unconnected bound UDP socket accepts SD_RECEIVE;
/// SD_SEND makes later sends WSAESHUTDOWN; an invalid `how` is WSAEINVAL; a TCP socket that is
/// not connected is WSAENOTCONN.
#[test]
fn wine_shutdown_rules() {
    startup();
    let (s, _) = bound("127.0.0.1:0");
    assert_eq!(unsafe { shutdown(s, 0xdeadbeef_u32 as i32) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEINVAL);
    assert_eq!(unsafe { shutdown(s, SD_SEND) }, 0);
    assert_eq!(unsafe { shutdown(s, SD_SEND) }, 0);
    assert_eq!(send_to(s, b"x", &addr("127.0.0.1:9")), SOCKET_ERROR);
    assert_eq!(last_error(), WSAESHUTDOWN);
    let t = unsafe { socket(AF_INET as i32, SOCK_STREAM, IPPROTO_TCP) };
    assert_eq!(unsafe { shutdown(t, SD_RECEIVE) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAENOTCONN);
}

/// Wine test_broadcast (Windows rows): sendto a broadcast address needs SO_BROADCAST
/// (WSAEACCES without); connect() to it works without, and send() on that socket works, while
/// sendto to it still fails; an IPv6 multicast needs no flag.
#[test]
fn wine_broadcast_rules() {
    let sim = Sim::builder()
        .host("a", &["10.0.0.1/24", "fd00::1/64"])
        .build();
    let _g = sim.enter();
    startup();
    let s = udp(AF_INET);
    let bcast = addr("255.255.255.255:12345");
    assert_eq!(send_to(s, b"test", &bcast), SOCKET_ERROR);
    assert_eq!(last_error(), WSAEACCES);
    set_u32(s, SOL_SOCKET, SO_BROADCAST, 1);
    assert_eq!(send_to(s, b"test", &bcast), 4);
    set_u32(s, SOL_SOCKET, SO_BROADCAST, 0);
    assert_eq!(send_to(s, b"test", &bcast), SOCKET_ERROR);
    assert_eq!(unsafe { connect(s, bcast.ptr(), bcast.len) }, 0);
    assert_eq!(get_u32(s, SOL_SOCKET, SO_BROADCAST), 0);
    assert_eq!(send_to(s, b"test", &bcast), SOCKET_ERROR);
    assert_eq!(unsafe { send(s, b"test".as_ptr(), 4, 0) }, 4);
    let s6 = udp(AF_INET6);
    assert_eq!(send_to(s6, b"test", &addr("[ff01::1]:12345")), 4);
}

/// Sends larger than SO_MAX_MSG_SIZE are WSAEMSGSIZE; SO_MAX_MSG_SIZE is 65507 on IPv4 UDP
/// (Wine test_extendedSocketOptions accepts 65507 or 65527); a destination of 0.0.0.0 is
/// WSAEADDRNOTAVAIL (sendto page).
#[test]
fn doc_send_size_and_destination_limits() {
    startup();
    let s = udp(AF_INET);
    assert_eq!(get_u32(s, SOL_SOCKET, SO_MAX_MSG_SIZE), 65507);
    let big = vec![0u8; 65508];
    assert_eq!(send_to(s, &big, &addr("127.0.0.1:9")), SOCKET_ERROR);
    assert_eq!(last_error(), WSAEMSGSIZE);
    assert_eq!(send_to(s, &big[..65507], &addr("127.0.0.1:9")), 65507);
    assert_eq!(send_to(s, b"x", &addr("0.0.0.0:9")), SOCKET_ERROR);
    assert_eq!(last_error(), WSAEADDRNOTAVAIL);
    assert_eq!(
        unsafe { sendto(s, b"x".as_ptr(), 1, 0, std::ptr::null(), 0) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEDESTADDRREQ);
    assert_eq!(
        unsafe { sendto(s, b"x".as_ptr(), 1, MSG_OOB, addr("127.0.0.1:9").ptr(), 16) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEOPNOTSUPP);
}

fn get_raw(s: SOCKET, level: i32, name: i32, len: i32) -> (i32, i32, [u8; 8], i32) {
    let mut v = [0xEFu8, 0xBE, 0xAD, 0xDE, 0xEF, 0xBE, 0xAD, 0xDE];
    let mut l = len;
    let r = unsafe { getsockopt(s, level, name, v.as_mut_ptr(), &mut l) };
    (r, if r == 0 { 0 } else { last_error() }, v, l)
}

fn set_raw(s: SOCKET, level: i32, name: i32, v: u32, len: i32) -> (i32, i32) {
    let r = unsafe { setsockopt(s, level, name, &v as *const u32 as _, len) };
    (r, if r == 0 { 0 } else { last_error() })
}

/// Wine test_set_getsockopt, option-length matrix (Windows rows): how each kind of option
/// treats short, zero and -1 lengths on set and get, and values above a byte.
#[test]
fn wine_set_getsockopt_length_matrix() {
    startup();
    let s = udp(AF_INET);
    let s6 = udp(AF_INET6);
    // SOL_SOCKET flags: any length works; a 1- or 2-byte get reports size 1.
    for opt in [SO_BROADCAST, SO_REUSEADDR] {
        assert_eq!(set_raw(s, SOL_SOCKET, opt, 1, 0), (0, 0));
        assert_eq!(set_raw(s, SOL_SOCKET, opt, 1, -1), (0, 0));
        assert_eq!(set_raw(s, SOL_SOCKET, opt, 0x100, 4), (0, 0));
        assert_eq!(get_u32(s, SOL_SOCKET, opt), 1);
        assert_eq!(set_raw(s, SOL_SOCKET, opt, 1, 1), (0, 0));
        let (r, _, v, l) = get_raw(s, SOL_SOCKET, opt, 1);
        assert_eq!((r, &v[..4], l), (0, &[1, 0xBE, 0xAD, 0xDE][..], 1));
        let (r, _, v, l) = get_raw(s, SOL_SOCKET, opt, 2);
        assert_eq!((r, &v[..4], l), (0, &[1, 0, 0xAD, 0xDE][..], 1));
        assert_eq!(get_raw(s, SOL_SOCKET, opt, 0).1, WSAEFAULT);
        let (r, e, _, l) = get_raw(s, SOL_SOCKET, opt, -1);
        assert_eq!((r, e, l), (SOCKET_ERROR, WSAEFAULT, -1));
        set_raw(s, SOL_SOCKET, opt, 0, 4);
    }
    // SOL_SOCKET integers: 4 bytes, -1 accepted on set; a short get fails, SO_RCVBUF zeroing
    // the bytes it was given, SO_RCVTIMEO leaving them.
    assert_eq!(set_raw(s, SOL_SOCKET, SO_RCVBUF, 0x100, -1), (0, 0));
    assert_eq!(get_u32(s, SOL_SOCKET, SO_RCVBUF), 0x100);
    assert_eq!(
        set_raw(s, SOL_SOCKET, SO_RCVBUF, 1, 2),
        (SOCKET_ERROR, WSAEFAULT)
    );
    assert_eq!(
        set_raw(s, SOL_SOCKET, SO_RCVBUF, 1, 0),
        (SOCKET_ERROR, WSAEFAULT)
    );
    let (r, e, v, l) = get_raw(s, SOL_SOCKET, SO_RCVBUF, 2);
    assert_eq!(
        (r, e, &v[..4], l),
        (SOCKET_ERROR, WSAEFAULT, &[0, 0, 0xAD, 0xDE][..], 2)
    );
    let (r, e, v, l) = get_raw(s, SOL_SOCKET, SO_RCVTIMEO, 1);
    assert_eq!(
        (r, e, &v[..4], l),
        (SOCKET_ERROR, WSAEFAULT, &[0xEF, 0xBE, 0xAD, 0xDE][..], 1)
    );
    assert_eq!(set_raw(s, SOL_SOCKET, SO_RCVTIMEO, 0x100, 4), (0, 0));
    assert_eq!(get_u32(s, SOL_SOCKET, SO_RCVTIMEO), 0x100);
    assert_eq!(set_raw(s, SOL_SOCKET, SO_RCVBUF, 0, 4), (0, 0));
    assert_eq!(
        get_u32(s, SOL_SOCKET, SO_RCVBUF),
        0,
        "SO_RCVBUF 0 reads back 0"
    );
    // IP byte values: 1..4 bytes, values above 255 refused; short gets report size 1.
    assert_eq!(
        set_raw(s, IPPROTO_IP, IP_TTL, 0x100, 4),
        (SOCKET_ERROR, WSAEINVAL)
    );
    assert_eq!(set_raw(s, IPPROTO_IP, IP_MULTICAST_LOOP, 0x100, 4), (0, 0));
    assert_eq!(get_u32(s, IPPROTO_IP, IP_MULTICAST_LOOP), 1);
    assert_eq!(
        set_raw(s, IPPROTO_IP, IP_TTL, 1, -1),
        (SOCKET_ERROR, WSAENOBUFS)
    );
    assert_eq!(
        set_raw(s, IPPROTO_IP, IP_TTL, 1, 0),
        (SOCKET_ERROR, WSAEFAULT)
    );
    assert_eq!(set_raw(s, IPPROTO_IP, IP_TTL, 0xffff_ff40, 1), (0, 0));
    let (r, _, v, l) = get_raw(s, IPPROTO_IP, IP_TTL, 2);
    assert_eq!((r, &v[..2], l), (0, &[0x40, 0xBE][..], 1));
    // IP_MULTICAST_TTL reads only the bytes given (Wine: 0xffffff0a with length 1 is 0x0a).
    assert_eq!(
        set_raw(s, IPPROTO_IP, IP_MULTICAST_TTL, 0xffff_ff0a, 1),
        (0, 0)
    );
    assert_eq!(get_u32(s, IPPROTO_IP, IP_MULTICAST_TTL), 0x0a);
    // IP flags: exactly 4 bytes; a short get fails and sets *optlen to 0.
    assert_eq!(set_raw(s, IPPROTO_IP, IP_PKTINFO, 0x100, 4), (0, 0));
    assert_eq!(get_u32(s, IPPROTO_IP, IP_PKTINFO), 1);
    assert_eq!(
        set_raw(s, IPPROTO_IP, IP_PKTINFO, 1, 2),
        (SOCKET_ERROR, WSAEFAULT)
    );
    let (r, e, v, l) = get_raw(s, IPPROTO_IP, IP_PKTINFO, 2);
    assert_eq!(
        (r, e, &v[..2], l),
        (SOCKET_ERROR, WSAEFAULT, &[0xEF, 0xBE][..], 0)
    );
    // IPV6_V6ONLY: one byte, whatever the length.
    assert_eq!(set_raw(s6, IPPROTO_IPV6, IPV6_V6ONLY, 0x100, 4), (0, 0));
    let (r, _, v, l) = get_raw(s6, IPPROTO_IPV6, IPV6_V6ONLY, 4);
    assert_eq!((r, &v[..2], l), (0, &[0, 0xBE][..], 1));
    // Invalid levels are WSAEINVAL; unknown options WSAENOPROTOOPT; SO_LINGER on UDP too.
    for level in [-1, 0x1234ffff, 0x8000ffff_u32 as i32, 0x8000, 0x800] {
        assert_eq!(
            set_raw(s, level, SO_RCVTIMEO, 1, 4),
            (SOCKET_ERROR, WSAEINVAL),
            "level {level:#x}"
        );
    }
    assert_eq!(get_raw(s, SOL_SOCKET, SO_LINGER, 4).1, WSAENOPROTOOPT);
    assert_eq!(get_raw(s, IPPROTO_IP, -1, 4).1, WSAENOPROTOOPT);
    // NULL or unmapped optval: WSAEFAULT, even with length 0.
    assert_eq!(
        unsafe { setsockopt(s, SOL_SOCKET, SO_BROADCAST, std::ptr::null(), 0) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(
        unsafe {
            setsockopt(
                s,
                SOL_SOCKET,
                SO_DONTROUTE,
                std::ptr::without_provenance(1),
                4,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    // setsockopt(SO_ERROR) stores the value (Windows row, todo_wine).
    assert_eq!(set_raw(s, SOL_SOCKET, SO_ERROR, 1234, 4), (0, 0));
    assert_eq!(get_u32(s, SOL_SOCKET, SO_ERROR), 1234);
    // A closed socket: WSAENOTSOCK, optval untouched.
    close(s);
    let (r, e, v, _) = get_raw(s, SOL_SOCKET, SO_ERROR, 4);
    assert_eq!((r, e, v[0]), (SOCKET_ERROR, WSAENOTSOCK, 0xEF));
}

/// Wine test_ipv6only (Windows rows): IPV6_V6ONLY defaults to 1 on AF_INET6 and also reads 1
/// on AF_INET; it can be cleared before bind and not changed after (on AF_INET).
#[test]
fn wine_ipv6only() {
    startup();
    let s6 = udp(AF_INET6);
    assert_eq!(get_u32(s6, IPPROTO_IPV6, IPV6_V6ONLY) & 0xFF, 1);
    let s4 = udp(AF_INET);
    assert_eq!(get_u32(s4, IPPROTO_IPV6, IPV6_V6ONLY) & 0xFF, 1);
    set_u32(s4, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    assert_eq!(get_u32(s4, IPPROTO_IPV6, IPV6_V6ONLY) & 0xFF, 0);
    let a = addr("0.0.0.0:0");
    assert_eq!(unsafe { bind(s4, a.ptr(), a.len) }, 0);
    assert_eq!(set_raw(s4, IPPROTO_IPV6, IPV6_V6ONLY, 1, 4).0, SOCKET_ERROR);
}

/// Wine test_set_getsockopt (SO_PROTOCOL_INFO rows) and §3d of the fact sheet: NULL pointers
/// are WSAEFAULT; a short buffer learns the size; a large one keeps its length; UDP reports
/// SOCK_DGRAM / IPPROTO_UDP and the UDP service flags (no XP1_PARTIAL_MESSAGE).
#[test]
fn wine_so_protocol_info() {
    startup();
    assert_eq!(
        unsafe {
            getsockopt(
                INVALID_SOCKET,
                SOL_SOCKET,
                SO_PROTOCOL_INFOW,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTSOCK);
    let s = udp(AF_INET6);
    let mut info: [WSAPROTOCOL_INFOW; 2] = unsafe { zeroed() };
    let full = size_of::<WSAPROTOCOL_INFOW>() as i32;
    let mut len = full / 2;
    assert_eq!(
        unsafe {
            getsockopt(
                s,
                SOL_SOCKET,
                SO_PROTOCOL_INFOW,
                info.as_mut_ptr() as _,
                &mut len,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!((last_error(), len), (WSAEFAULT, full));
    len = full * 2;
    assert_eq!(
        unsafe {
            getsockopt(
                s,
                SOL_SOCKET,
                SO_PROTOCOL_INFOW,
                info.as_mut_ptr() as _,
                &mut len,
            )
        },
        0
    );
    assert_eq!(len, full * 2);
    let i = info[0];
    assert_eq!(
        (i.iAddressFamily, i.iSocketType, i.iProtocol),
        (AF_INET6 as i32, SOCK_DGRAM, IPPROTO_UDP)
    );
    assert_eq!(i.dwServiceFlags1, 0x0002_0609);
    assert_eq!((i.iMaxSockAddr, i.ProtocolChain.ChainLen), (28, 1));
}

/// Wine test_sockopt_validity (Windows rows): the datagram-only IP options are WSAEINVAL on a
/// TCP socket; membership options have no get (WSAENOPROTOOPT); IP_HDRINCL is WSAEINVAL on UDP.
#[test]
fn wine_sockopt_validity() {
    startup();
    let t = unsafe { socket(AF_INET as i32, SOCK_STREAM, IPPROTO_TCP) };
    for opt in [IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, IP_MULTICAST_TTL] {
        assert_eq!(get_raw(t, IPPROTO_IP, opt, 4).1, WSAEINVAL, "option {opt}");
    }
    let s = udp(AF_INET);
    assert_eq!(
        get_raw(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, 8).1,
        WSAENOPROTOOPT
    );
    assert_eq!(
        set_raw(s, IPPROTO_IP, IP_HDRINCL, 1, 4),
        (SOCKET_ERROR, WSAEINVAL)
    );
    for opt in [
        IP_PKTINFO,
        IP_RECVTTL,
        IP_RECVTOS,
        IP_ECN,
        IP_TOS,
        IP_TTL,
        IP_DONTFRAGMENT,
        IP_UNICAST_IF,
    ] {
        assert_eq!(get_raw(s, IPPROTO_IP, opt, 4).0, 0, "option {opt}");
    }
}

/// Wine test_fionbio (Windows rows): a pointer Windows never maps is WSAEFAULT; WSAIoctl(FIONBIO)
/// needs 4 input bytes and sets *lpcbBytesReturned to 0; a NULL byte count is WSAEFAULT.
#[test]
fn wine_fionbio() {
    startup();
    let s = udp(AF_INET);
    assert_eq!(
        unsafe { ioctlsocket(s, FIONBIO, std::ptr::without_provenance_mut(1)) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    let one = 1u32.to_le_bytes();
    let mut n = 0xdead_u32;
    let fionbio = FIONBIO as u32;
    assert_eq!(
        ioctl(s, fionbio, Some(&one), None, std::ptr::null_mut()),
        (SOCKET_ERROR, WSAEFAULT)
    );
    assert_eq!(
        ioctl(s, fionbio, Some(&one[..3]), None, &mut n),
        (SOCKET_ERROR, WSAEFAULT)
    );
    assert_eq!(ioctl(s, fionbio, Some(&one), None, &mut n), (0, 0));
    assert_eq!(n, 0);
    let a = addr("127.0.0.1:0");
    assert_eq!(unsafe { bind(s, a.ptr(), a.len) }, 0);
    assert_eq!(recv_msg(s, &MsgIn::default()).err, WSAEWOULDBLOCK);
}

/// Wine test_unsupported_ioctls: an unknown code is WSAEOPNOTSUPP with *size 0;
/// test_base_handle: SIO_BASE_HANDLE gives the socket itself; SIOCATMARK is TRUE on a
/// datagram socket (no urgent data).
#[test]
fn wine_other_ioctls() {
    startup();
    let s = udp(AF_INET);
    let mut n = 0xdead_u32;
    assert_eq!(
        ioctl(s, 0xdeadbeef, None, None, &mut n),
        (SOCKET_ERROR, WSAEOPNOTSUPP)
    );
    assert_eq!(n, 0);
    let mut base = [0u8; 8];
    assert_eq!(
        ioctl(s, SIO_BASE_HANDLE, None, Some(&mut base), &mut n),
        (0, 0)
    );
    assert_eq!((usize::from_le_bytes(base), n), (s, 8));
    let mut mark = 0u32;
    assert_eq!(unsafe { ioctlsocket(s, SIOCATMARK, &mut mark) }, 0);
    assert_eq!(mark, 1);
    assert_eq!(unsafe { ioctlsocket(s, 0x1234, &mut mark) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEINVAL);
}

/// Functions the simulator does not implement fail with WSAEOPNOTSUPP and a diagnostic
/// (README, "Not supported"); they exist with windows-sys's signatures (tests/parity.rs).
#[test]
fn sim_unsupported_functions_fail_clearly() {
    startup();
    let r = unsafe {
        select(
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null(),
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSAEOPNOTSUPP));
    let r = unsafe { WSAEventSelect(udp(AF_INET), 0, FD_READ as i32) };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSAEOPNOTSUPP));
    assert!(Sim::current()
        .diagnostics()
        .iter()
        .any(|d| d.diagnostic == Diagnostic::Unsupported { function: "select" }));
}

/// Byte order and address text (pure functions).
#[test]
fn doc_conversions() {
    unsafe {
        assert_eq!(htons(0x1234), 0x1234u16.to_be());
        assert_eq!(ntohl(htonl(0xAABBCCDD)), 0xAABBCCDD);
        assert_eq!(
            inet_addr(c"127.0.0.1".as_ptr() as _),
            u32::from_ne_bytes([127, 0, 0, 1])
        );
        assert_eq!(inet_addr(c"nonsense".as_ptr() as _), INADDR_NONE);
        let mut six = [0u8; 16];
        assert_eq!(
            inet_pton(
                AF_INET6 as i32,
                c"fe80::1".as_ptr() as _,
                six.as_mut_ptr() as _
            ),
            1
        );
        let mut text = [0u8; 64];
        let p = inet_ntop(AF_INET6 as i32, six.as_ptr() as _, text.as_mut_ptr(), 64);
        assert!(!p.is_null());
        assert_eq!(
            std::ffi::CStr::from_ptr(p as _).to_str().unwrap(),
            "fe80::1"
        );
        assert_eq!(inet_pton(99, c"x".as_ptr() as _, six.as_mut_ptr() as _), -1);
        assert_eq!(WSAGetLastError(), WSAEAFNOSUPPORT);
    }
}

/// getsockname page: "This call is especially useful when a connect call has been made
/// without doing a bind first; the getsockname function provides the only way to determine
/// the local association that has been set by the system": after connect, a socket bound to
/// a wildcard address (implicitly here) reports the local address the route chose; after a
/// disconnect (AF_UNSPEC) the wildcard again.
#[test]
fn doc_getsockname_after_connect_reports_the_chosen_address() {
    startup();
    let (_peer, peer_addr) = bound("127.0.0.1:0");
    let s = udp(AF_INET);
    assert_eq!(unsafe { connect(s, peer_addr.ptr(), peer_addr.len) }, 0);
    let mut me = addr("0.0.0.0:0");
    let mut len = 16;
    assert_eq!(unsafe { getsockname(s, me.mut_ptr(), &mut len) }, 0);
    let local = from_raw(&me.storage, len);
    assert_eq!(local.ip(), std::net::IpAddr::from([127, 0, 0, 1]));
    assert_ne!(local.port(), 0);
    let unspec: SOCKADDR = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { connect(s, &unspec, 16) }, 0);
    let mut len = 16;
    assert_eq!(unsafe { getsockname(s, me.mut_ptr(), &mut len) }, 0);
    assert!(from_raw(&me.storage, len).ip().is_unspecified());
}
