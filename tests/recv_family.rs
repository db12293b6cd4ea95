//! The rules recv, recvfrom, WSARecv and WSARecvFrom share with WSARecvMsg ("The same rules for
//! recv, recvfrom, WSARecv and WSARecvFrom where their pages share them"), checked for every
//! function; then each function's own argument rules.

mod common;

use std::mem::zeroed;
use std::time::Duration;

use common::*;
use winsock_sim::Sim;

#[derive(Copy, Clone, Debug, PartialEq)]
enum Api {
    Recv,
    RecvFrom,
    WsaRecv,
    WsaRecvFrom,
    WsaRecvMsg,
}

const ALL: [Api; 5] = [
    Api::Recv,
    Api::RecvFrom,
    Api::WsaRecv,
    Api::WsaRecvFrom,
    Api::WsaRecvMsg,
];

/// What a call returned: (return value, last error, bytes reported, data written).
/// "Bytes reported" is the return value for recv/recvfrom and the byte count for the others
/// (0xDEADBEEF if untouched).
#[derive(Debug)]
struct Out {
    ret: i32,
    err: i32,
    bytes: u32,
    data: Vec<u8>,
}

fn call(api: Api, s: SOCKET, len: usize, flags: u32) -> Out {
    let mut buf = vec![FILL; len];
    let mut from: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut fromlen = std::mem::size_of::<SOCKADDR_STORAGE>() as i32;
    let mut wsabuf = WSABUF {
        len: len as u32,
        buf: buf.as_mut_ptr(),
    };
    let mut bytes = 0xDEAD_BEEF_u32;
    let mut fl = flags;
    unsafe { WSASetLastError(0x1234) };
    let ret = unsafe {
        match api {
            Api::Recv => recv(s, buf.as_mut_ptr(), len as i32, flags as i32),
            Api::RecvFrom => recvfrom(
                s,
                buf.as_mut_ptr(),
                len as i32,
                flags as i32,
                &mut from as *mut _ as _,
                &mut fromlen,
            ),
            Api::WsaRecv => WSARecv(
                s,
                &wsabuf,
                1,
                &mut bytes,
                &mut fl,
                std::ptr::null_mut(),
                None,
            ),
            Api::WsaRecvFrom => WSARecvFrom(
                s,
                &wsabuf,
                1,
                &mut bytes,
                &mut fl,
                &mut from as *mut _ as _,
                &mut fromlen,
                std::ptr::null_mut(),
                None,
            ),
            Api::WsaRecvMsg => {
                let f = recvmsg_fn(s);
                let mut msg = WSAMSG {
                    name: &mut from as *mut _ as _,
                    namelen: fromlen,
                    lpBuffers: &mut wsabuf,
                    dwBufferCount: 1,
                    Control: WSABUF {
                        len: 0,
                        buf: std::ptr::null_mut(),
                    },
                    dwFlags: flags,
                };
                f(s, &mut msg, &mut bytes, std::ptr::null_mut(), None)
            }
        }
    };
    let err = last_error();
    let bytes = match api {
        Api::Recv | Api::RecvFrom if ret >= 0 => ret as u32,
        Api::Recv | Api::RecvFrom => 0xDEAD_BEEF,
        _ => bytes,
    };
    Out {
        ret,
        err,
        bytes,
        data: buf,
    }
}

fn pair() -> (SOCKET, Addr, SOCKET) {
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, _) = bound("127.0.0.1:0");
    (rx, rx_addr, tx)
}

/// WSARecvMsg, recv, recvfrom, WSARecv, WSARecvFrom pages: a datagram is delivered whole, one
/// per call (Wine test_connect_udp, test_UDP).
#[test]
fn shared_one_datagram_per_call() {
    for api in ALL {
        let (rx, rx_addr, tx) = pair();
        must_send(tx, b"one", &rx_addr);
        must_send(tx, b"two!", &rx_addr);
        let a = call(api, rx, 16, 0);
        assert_eq!(
            (a.ret >= 0, a.bytes, &a.data[..3]),
            (true, 3, &b"one"[..]),
            "{api:?}"
        );
        let b = call(api, rx, 16, 0);
        assert_eq!((b.bytes, &b.data[..4]), (4, &b"two!"[..]), "{api:?}");
    }
}

/// Unbound socket: WSAEINVAL at once, for every receive function (recv, recvfrom, WSARecv,
/// WSARecvFrom pages; Wine test_connect_udp and test_WSADuplicateSocket on Windows).
#[test]
fn shared_unbound_is_inval() {
    for api in ALL {
        startup();
        let s = udp(AF_INET);
        let o = call(api, s, 16, 0);
        assert_eq!(
            (o.ret, o.err, o.bytes),
            (SOCKET_ERROR, WSAEINVAL, 0xDEAD_BEEF),
            "{api:?}"
        );
    }
}

/// Truncation: the buffers get the first part, the call fails with WSAEMSGSIZE, the rest is
/// discarded (recv / recvfrom / WSARecv / WSARecvFrom pages, "for unreliable protocols").
/// WSARecv and WSARecvFrom still report the bytes copied (afd.c test_recv: the IO status
/// block is written for STATUS_BUFFER_OVERFLOW).
#[test]
fn shared_truncation_msgsize_and_discard() {
    for api in ALL {
        let (rx, rx_addr, tx) = pair();
        must_send(tx, b"0123456789", &rx_addr);
        must_send(tx, b"next", &rx_addr);
        let o = call(api, rx, 4, 0);
        assert_eq!((o.ret, o.err), (SOCKET_ERROR, WSAEMSGSIZE), "{api:?}");
        assert_eq!(&o.data, b"0123", "{api:?}");
        if matches!(api, Api::WsaRecv | Api::WsaRecvFrom | Api::WsaRecvMsg) {
            assert_eq!(o.bytes, 4, "{api:?}");
        }
        let o = call(api, rx, 16, 0);
        assert_eq!((o.bytes, &o.data[..4]), (4, &b"next"[..]), "{api:?}");
    }
}

/// MSG_PEEK copies without consuming (every receive page).
#[test]
fn shared_peek() {
    for api in ALL {
        let (rx, rx_addr, tx) = pair();
        must_send(tx, b"peek", &rx_addr);
        assert_eq!(call(api, rx, 16, MSG_PEEK as u32).bytes, 4, "{api:?}");
        assert_eq!(call(api, rx, 16, 0).bytes, 4, "{api:?}");
        set_nonblocking(rx, true);
        assert_eq!(call(api, rx, 16, 0).err, WSAEWOULDBLOCK, "{api:?}");
    }
}

/// MSG_OOB and MSG_WAITALL on a datagram socket are WSAEOPNOTSUPP (LPWSPRECVFROM page: MSG_OOB
/// on a socket that is not stream-style; WSARecv page: MSG_WAITALL is for stream sockets).
/// Wine accepts MSG_OOB (wine8-observations), Windows does not.
#[test]
fn shared_oob_and_waitall_refused() {
    for api in ALL {
        let (rx, rx_addr, tx) = pair();
        must_send(tx, b"x", &rx_addr);
        for flag in [MSG_OOB as u32, MSG_WAITALL as u32] {
            let o = call(api, rx, 16, flag);
            assert_eq!(
                (o.ret, o.err),
                (SOCKET_ERROR, WSAEOPNOTSUPP),
                "{api:?} {flag:#x}"
            );
        }
    }
}

/// Non-blocking with nothing queued: WSAEWOULDBLOCK (every receive page; Wine
/// test_connect_udp, wine8-observations).
#[test]
fn shared_wouldblock() {
    for api in ALL {
        let (rx, _, _) = pair();
        set_nonblocking(rx, true);
        let o = call(api, rx, 16, 0);
        assert_eq!(
            (o.ret, o.err, o.bytes),
            (SOCKET_ERROR, WSAEWOULDBLOCK, 0xDEAD_BEEF),
            "{api:?}"
        );
    }
}

/// SO_RCVTIMEO: WSAETIMEDOUT after exactly the timeout of virtual time, counts untouched
/// (Wine test_timeout, Windows rows; the default is 0 and reads back as set).
#[test]
fn shared_rcvtimeo() {
    for api in ALL {
        let (rx, _, _) = pair();
        assert_eq!(get_u32(rx, SOL_SOCKET, SO_RCVTIMEO), 0);
        set_u32(rx, SOL_SOCKET, SO_RCVTIMEO, 100);
        assert_eq!(get_u32(rx, SOL_SOCKET, SO_RCVTIMEO), 100);
        let t0 = Sim::current().now();
        let o = call(api, rx, 16, 0);
        assert_eq!(
            (o.ret, o.err, o.bytes),
            (SOCKET_ERROR, WSAETIMEDOUT, 0xDEAD_BEEF),
            "{api:?}"
        );
        assert_eq!(Sim::current().now() - t0, Duration::from_millis(100));
    }
}

/// An ICMP port unreachable for an earlier send fails the next receive of every kind with
/// WSAECONNRESET (recvfrom, WSARecvFrom and WSARecvMsg pages; CPython issue 127057 sees it
/// synchronously from WSARecvFrom).
#[test]
fn shared_connreset() {
    for api in ALL {
        let (rx, rx_addr, _) = pair();
        must_send(rx, b"x", &rx_addr.with_port(1));
        let o = call(api, rx, 16, 0);
        assert_eq!((o.ret, o.err), (SOCKET_ERROR, WSAECONNRESET), "{api:?}");
    }
}

/// After shutdown(SD_RECEIVE) every receive fails with WSAESHUTDOWN, also for datagrams that
/// keep arriving (Wine test_shutdown, UDP rows; shutdown page: "For UDP sockets, incoming
/// datagrams are accepted and queued. In no case will an ICMP error packet be generated.")
#[test]
fn shared_shutdown_receive() {
    for api in ALL {
        let (rx, rx_addr, tx) = pair();
        assert_eq!(unsafe { shutdown(rx, SD_RECEIVE) }, 0);
        must_send(tx, b"late", &rx_addr);
        let o = call(api, rx, 16, 0);
        assert_eq!((o.ret, o.err), (SOCKET_ERROR, WSAESHUTDOWN), "{api:?}");
        // The datagram was queued, not refused: no ICMP reached the sender.
        set_nonblocking(tx, true);
        assert_eq!(call(api, tx, 16, 0).err, WSAEWOULDBLOCK, "{api:?}");
        let ledger = Sim::current().ledger();
        assert!(ledger.queued >= 1);
    }
}

/// WSAENOTSOCK for a handle that is not a socket, and for one that was closed.
#[test]
fn shared_notsock() {
    for api in [Api::Recv, Api::RecvFrom, Api::WsaRecv, Api::WsaRecvFrom] {
        startup();
        assert_eq!(call(api, 0x1234, 16, 0).err, WSAENOTSOCK, "{api:?}");
        let (s, _) = bound("127.0.0.1:0");
        close(s);
        assert_eq!(call(api, s, 16, 0).err, WSAENOTSOCK, "{api:?}");
    }
}

/// WSANOTINITIALISED before WSAStartup (every page).
#[test]
fn shared_notinitialised() {
    for api in [Api::Recv, Api::RecvFrom, Api::WsaRecv, Api::WsaRecvFrom] {
        std::thread::spawn(move || {
            // A fresh thread has a fresh default simulation: nothing started.
            assert_eq!(call(api, 0x100, 16, 0).err, WSANOTINITIALISED, "{api:?}");
        })
        .join()
        .unwrap();
    }
}

/// recv(s, buf, -1, 0) is WSAEFAULT (Wine test_read_events, Windows 7 and later); so is a
/// NULL buffer with a non-zero length.
#[test]
fn recv_fault_on_negative_len_or_null_buffer() {
    let (rx, _, _) = pair();
    let mut b = [0u8; 4];
    assert_eq!(unsafe { recv(rx, b.as_mut_ptr(), -1, 0) }, SOCKET_ERROR);
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(
        unsafe { recv(rx, std::ptr::null_mut(), 4, 0) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
}

/// recvfrom with a from-length too small for the address: the call fails, nothing is written
/// and the datagram stays (Wine test_UDP, Windows rows; Wine itself succeeds). A large
/// from-length gets only the 16-byte address, and fromlen becomes 16.
#[test]
fn wine_udp_recvfrom_fromlen_rules() {
    let (rx, rx_addr, tx) = pair();
    must_send(tx, &[9u8; 16], &rx_addr);
    let (r, err, buf, name, flen) = recv_from(rx, 16, Some(1));
    assert_eq!((r, err, name, flen), (SOCKET_ERROR, WSAEFAULT, None, 1));
    assert!(buf.iter().all(|&b| b == FILL));
    let (r, err, _, name, flen) = recv_from(rx, 16, Some(1024));
    assert_eq!((r, err, flen), (16, 0, 16));
    assert!(name.is_some());
    // from given, fromlen NULL: WSAEFAULT.
    let mut from: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut b = [0u8; 4];
    assert_eq!(
        unsafe {
            recvfrom(
                rx,
                b.as_mut_ptr(),
                4,
                0,
                &mut from as *mut _ as _,
                std::ptr::null_mut(),
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
}

/// WSARecv with no buffers (NULL, or a count of 0) is WSAEINVAL (Wine test_empty_recv, Windows
/// rows); a NULL lpFlags or, without an OVERLAPPED, a NULL byte count is WSAEFAULT.
#[test]
fn wine_empty_recv_and_wsarecv_pointer_rules() {
    let (rx, _, _) = pair();
    let mut flags = 0u32;
    let mut n = 0u32;
    let mut b = [0u8; 4];
    let buf = WSABUF {
        len: 4,
        buf: b.as_mut_ptr(),
    };
    assert_eq!(
        unsafe {
            WSARecv(
                rx,
                std::ptr::null(),
                0,
                &mut n,
                &mut flags,
                std::ptr::null_mut(),
                None,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEINVAL);
    assert_eq!(
        unsafe { WSARecv(rx, &buf, 0, &mut n, &mut flags, std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEINVAL);
    assert_eq!(
        unsafe {
            WSARecv(
                rx,
                &buf,
                1,
                &mut n,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                None,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(
        unsafe {
            WSARecv(
                rx,
                &buf,
                1,
                std::ptr::null_mut(),
                &mut flags,
                std::ptr::null_mut(),
                None,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
}

/// WSARecvFrom: lpFromlen shorter than the address fails with WSAEFAULT and keeps the
/// datagram (LPWSPRECVFROM page, WSAEFAULT: "the lpFrom buffer was too small"); a dual-stack
/// IPv6 socket reports an IPv4 sender v4-mapped in a 28-byte address.
#[test]
fn wsarecvfrom_fromlen_and_dual_stack_name() {
    startup();
    let rx = udp(AF_INET6);
    set_u32(rx, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    let any = addr("[::]:6000");
    assert_eq!(unsafe { bind(rx, any.ptr(), any.len) }, 0);
    let (tx, tx_addr) = bound("127.0.0.1:0");
    must_send(tx, b"dual", &addr("127.0.0.1:6000"));
    let mut b = [0u8; 8];
    let buf = WSABUF {
        len: 8,
        buf: b.as_mut_ptr(),
    };
    let mut from: SOCKADDR_STORAGE = unsafe { zeroed() };
    let (mut n, mut flags) = (0u32, 0u32);
    let mut flen = 16;
    let r = unsafe {
        WSARecvFrom(
            rx,
            &buf,
            1,
            &mut n,
            &mut flags,
            &mut from as *mut _ as _,
            &mut flen,
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!((r, last_error(), flen), (SOCKET_ERROR, WSAEFAULT, 16));
    flen = 28;
    let r = unsafe {
        WSARecvFrom(
            rx,
            &buf,
            1,
            &mut n,
            &mut flags,
            &mut from as *mut _ as _,
            &mut flen,
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!((r, n, flen, flags), (0, 4, 28, 0));
    let want: std::net::SocketAddr = format!("[::ffff:127.0.0.1]:{}", tx_addr.to_std().port())
        .parse()
        .unwrap();
    assert_eq!(from_raw(&from, flen), want);
}

/// FIONREAD on a datagram socket reports the total bytes queued. The current Winsock IOCTL
/// page says so; the Winsock 1.1 text said the first datagram's size, and Wine returns that
/// (wine8-observations); users report the total on Windows (pure-data issue 2594, sdrangel
/// PR 976). ioctlsocket with a pointer Windows never maps is WSAEFAULT (Wine
/// test_fionread_siocatmark); WSAIoctl reports 4 bytes returned.
#[test]
fn doc_fionread_total_bytes() {
    let (rx, rx_addr, tx) = pair();
    let mut v = 0xFFFF_u32;
    assert_eq!(unsafe { ioctlsocket(rx, FIONREAD, &mut v) }, 0);
    assert_eq!(v, 0);
    must_send(tx, &[1u8; 100], &rx_addr);
    must_send(tx, &[2u8; 23], &rx_addr);
    assert_eq!(unsafe { ioctlsocket(rx, FIONREAD, &mut v) }, 0);
    assert_eq!(v, 123);
    let mut out = 0u32;
    let mut n = 0u32;
    let r = unsafe {
        WSAIoctl(
            rx,
            FIONREAD as u32,
            std::ptr::null(),
            0,
            &mut out as *mut u32 as _,
            4,
            &mut n,
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!((r, out, n), (0, 123, 4));
    assert_eq!(
        unsafe { ioctlsocket(rx, FIONREAD, std::ptr::without_provenance_mut(1)) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    let r = unsafe {
        WSAIoctl(
            rx,
            FIONREAD as u32,
            std::ptr::null(),
            0,
            &mut out as *mut u32 as _,
            3,
            &mut n,
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSAEFAULT));
}
