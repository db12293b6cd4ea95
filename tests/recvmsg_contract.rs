//! The synchronous clauses of the LPFN_WSARECVMSG page (shared/seeds/000_...), one test each,
//! plus the facts Wine's conformance tests assert on real Windows for WSARecvMsg. Each test
//! names its source; CONTRACT.md lists them row by row.

mod common;

use std::mem::size_of;
use std::time::Duration;

use common::*;
use winsock_sim::{Diagnostic, Fault, FaultRule, PathProps, Sim};

fn pair() -> (SOCKET, Addr, SOCKET, Addr) {
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, tx_addr) = bound("127.0.0.1:0");
    (rx, rx_addr, tx, tx_addr)
}

/// Page: "The function pointer ... must be obtained at run time by making a call to the
/// WSAIoctl function with the SIO_GET_EXTENSION_FUNCTION_POINTER opcode"; Wine
/// test_ip_pktinfo obtains it on an unbound socket; *lpcbBytesReturned is the pointer size
/// (Wine test_get_extension_func).
#[test]
fn clause_pointer_from_wsaioctl() {
    startup();
    let s = udp(AF_INET);
    let f = recvmsg_fn(s);
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"via pointer", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 11));
    let _ = f;
}

/// Wine test_get_extension_func (Windows rows): an unknown GUID is WSAEINVAL and leaves the
/// byte count alone; a NULL byte count is WSAEFAULT; an output buffer too small for a
/// pointer is WSAEFAULT (winsock-facts, wine8-observations: Wine differs here).
#[test]
fn wine_get_extension_func_errors() {
    startup();
    let s = udp(AF_INET);
    let mut f: LPFN_WSARECVMSG = None;
    let mut n = 0xDEAD_u32;
    let bad_guid = windows_sys::core::GUID::from_u128(0x1234);
    let call = |g: &windows_sys::core::GUID, out: u32, n: *mut u32, f: &mut LPFN_WSARECVMSG| unsafe {
        WSAIoctl(
            s,
            SIO_GET_EXTENSION_FUNCTION_POINTER,
            g as *const _ as _,
            16,
            f as *mut _ as _,
            out,
            n,
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!(call(&bad_guid, 8, &mut n, &mut f), SOCKET_ERROR);
    assert_eq!((last_error(), n), (WSAEINVAL, 0xDEAD));
    assert_eq!(
        call(&WSAID_WSARECVMSG, 8, std::ptr::null_mut(), &mut f),
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(call(&WSAID_WSARECVMSG, 4, &mut n, &mut f), SOCKET_ERROR);
    assert_eq!(last_error(), WSAEFAULT);
    assert!(f.is_none());
    // The simulator does not implement AcceptEx & co: WSAEOPNOTSUPP, not "unknown".
    assert_eq!(call(&WSAID_ACCEPTEX, 8, &mut n, &mut f), SOCKET_ERROR);
    assert_eq!(last_error(), WSAEOPNOTSUPP);
}

/// Page, return value: "If no error occurs and the receive operation has completed
/// immediately, WSARecvMsg returns zero"; lpdwNumberOfBytesRecvd holds the bytes received.
/// Windows 7+ also clears the last error on success (Wine sock.c, throughout).
#[test]
fn clause_success_returns_zero_and_bytes() {
    let (rx, rx_addr, tx, tx_addr) = pair();
    must_send(tx, b"hello", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!(out.ret, 0);
    assert_eq!(out.err, 0);
    assert_eq!(out.bytes, 5);
    assert_eq!(&out.data()[..5], b"hello");
    assert_eq!(out.name, Some(tx_addr.to_std()));
    assert_eq!(out.namelen, 16);
    assert_eq!(out.flags, 0);
}

/// Page: "The buffers are filled in the order in which they appear ... and the buffers are
/// packed so that no holes are created." Zero-length WSABUFs take nothing
/// (wine8-observations, scatter 4,4,100).
#[test]
fn clause_scatter_in_order_packed() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"ABCDEFGHIJKLMNOPQRST", &rx_addr);
    let out = recv_msg(
        rx,
        &MsgIn {
            bufs: vec![4, 0, 4, 100],
            ..Default::default()
        },
    );
    assert_eq!((out.ret, out.bytes), (0, 20));
    assert_eq!(out.bufs[0], b"ABCD");
    assert!(out.bufs[1].is_empty());
    assert_eq!(out.bufs[2], b"EFGH");
    assert_eq!(&out.bufs[3][..12], b"IJKLMNOPQRST");
    assert!(
        out.bufs[3][12..].iter().all(|&b| b == FILL),
        "nothing written past the datagram"
    );
}

/// Page: "If the message is larger than the buffers, the buffers are filled with the first
/// part of the message and the excess data is lost, and WSARecvMsg generates the error
/// WSAEMSGSIZE." WSAMSG page: MSG_TRUNC tells data truncation apart. afd.c test_recv
/// (Windows): the byte count is the bytes copied (STATUS_BUFFER_OVERFLOW, Information = the
/// buffer capacity), and the rest of the datagram is gone.
#[test]
fn clause_msgsize_truncation_discards_rest() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, &[7u8; 100], &rx_addr);
    must_send(tx, b"next", &rx_addr);
    let out = recv_msg(
        rx,
        &MsgIn {
            bufs: vec![6, 4],
            ..Default::default()
        },
    );
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAEMSGSIZE));
    assert_eq!(out.bytes, 10);
    assert_eq!(out.data(), vec![7u8; 10]);
    assert_eq!(out.flags & MSG_TRUNC, MSG_TRUNC);
    // The excess is lost: the next receive gets the next datagram.
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 4));
    assert_eq!(&out.data()[..4], b"next");
    assert_eq!(out.flags & MSG_TRUNC, 0);
}

/// Page: MSG_PEEK "Peek at the incoming data. The data is copied into the buffer, but is not
/// removed from the input queue" (wine8-observations: the same datagram three times; a
/// truncated peek is WSAEMSGSIZE and the datagram stays).
#[test]
fn clause_peek_leaves_datagram() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"peekaboo", &rx_addr);
    let peek = MsgIn {
        flags: MSG_PEEK as u32,
        ..Default::default()
    };
    for _ in 0..2 {
        let out = recv_msg(rx, &peek);
        assert_eq!((out.ret, out.bytes), (0, 8));
        assert_eq!(&out.data()[..8], b"peekaboo");
    }
    let short_peek = MsgIn {
        bufs: vec![3],
        flags: MSG_PEEK as u32,
        ..Default::default()
    };
    let out = recv_msg(rx, &short_peek);
    assert_eq!(
        (out.ret, out.err, out.bytes),
        (SOCKET_ERROR, WSAEMSGSIZE, 3)
    );
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 8));
    set_nonblocking(rx, true);
    assert_eq!(recv_msg(rx, &MsgIn::default()).err, WSAEWOULDBLOCK);
}

/// Page: "The only possible input value for the dwFlags member ... is MSG_PEEK." MSG_OOB on a
/// datagram socket is WSAEOPNOTSUPP (LPWSPRECVFROM page). Output-only bits left over from a
/// previous call are ignored and reported as a diagnostic (the page does not say what
/// Windows does with them).
#[test]
fn clause_only_msg_peek_is_an_input_flag() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"x", &rx_addr);
    for bad in [MSG_OOB as u32, MSG_WAITALL as u32, MSG_PARTIAL] {
        let out = recv_msg(
            rx,
            &MsgIn {
                flags: bad,
                ..Default::default()
            },
        );
        assert_eq!(
            (out.ret, out.err),
            (SOCKET_ERROR, WSAEOPNOTSUPP),
            "flag {bad:#x}"
        );
    }
    let out = recv_msg(
        rx,
        &MsgIn {
            flags: MSG_TRUNC | MSG_CTRUNC,
            ..Default::default()
        },
    );
    assert_eq!((out.ret, out.bytes), (0, 1));
    assert!(Sim::current()
        .diagnostics()
        .iter()
        .any(|d| matches!(d.diagnostic, Diagnostic::OutputFlagsOnInput { flags, .. } if flags == MSG_TRUNC | MSG_CTRUNC)));
}

/// Page, WSAEFAULT: "returned if a name member of the WSAMSG structure ... was a NULL pointer
/// and the namelen member ... was not set to zero."
#[test]
fn clause_fault_null_name_nonzero_namelen() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"kept", &rx_addr);
    let f = recvmsg_fn(rx);
    let mut buf = [0u8; 8];
    let mut b = wsabuf(&mut buf);
    let mut msg = msg_with(&mut b);
    msg.namelen = 16;
    let mut n = 0;
    assert_eq!(
        unsafe { f(rx, &mut msg, &mut n, std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    // Nothing was consumed.
    assert_eq!(recv_msg(rx, &MsgIn::default()).bytes, 4);
}

/// Page, WSAEFAULT: "also returned if a Control.buf member ... was a NULL pointer and the
/// Control.len member ... was not set to zero."
#[test]
fn clause_fault_null_control_nonzero_len() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"kept", &rx_addr);
    let f = recvmsg_fn(rx);
    let mut buf = [0u8; 8];
    let mut b = wsabuf(&mut buf);
    let mut msg = msg_with(&mut b);
    msg.Control.len = 64;
    let mut n = 0;
    assert_eq!(
        unsafe { f(rx, &mut msg, &mut n, std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(recv_msg(rx, &MsgIn::default()).bytes, 4);
}

/// Wine test_ip_pktinfo (Windows): WSARecvMsg(s, NULL, NULL, NULL, NULL) on an empty socket
/// fails with WSAEFAULT at once instead of blocking. Page: lpdwNumberOfBytesRecvd "can be
/// NULL only if the lpOverlapped parameter is not NULL". Pointers into the first 64 KiB are
/// never valid on Windows and fault the same way.
#[test]
fn clause_fault_null_msg_and_byte_count() {
    let (rx, rx_addr, tx, _) = pair();
    let f = recvmsg_fn(rx);
    assert_eq!(
        unsafe {
            f(
                rx,
                std::ptr::null_mut(),
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
            f(
                rx,
                std::ptr::without_provenance_mut::<WSAMSG>(8),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                None,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    must_send(tx, b"kept", &rx_addr);
    let mut buf = [0u8; 8];
    let mut b = wsabuf(&mut buf);
    let mut msg = msg_with(&mut b);
    assert_eq!(
        unsafe {
            f(
                rx,
                &mut msg,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                None,
            )
        },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    // A WSABUF with a NULL buffer and a non-zero length faults too.
    unsafe { (*msg.lpBuffers).buf = std::ptr::null_mut() };
    let mut n = 0;
    assert_eq!(
        unsafe { f(rx, &mut msg, &mut n, std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAEFAULT);
    assert_eq!(recv_msg(rx, &MsgIn::default()).bytes, 4);
}

/// Page, WSAEFAULT: "the lpFrom buffer was too small to accommodate the peer address" (for
/// WSARecvMsg: namelen). Wine test_UDP (Windows rows, recvfrom): the call fails, nothing is
/// written to the name, and the datagram stays queued.
#[test]
fn clause_fault_short_namelen_keeps_datagram() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"stay", &rx_addr);
    for namelen in [1, 4, 15] {
        let out = recv_msg(
            rx,
            &MsgIn {
                namelen: Some(namelen),
                ..Default::default()
            },
        );
        assert_eq!(
            (out.ret, out.err),
            (SOCKET_ERROR, WSAEFAULT),
            "namelen {namelen}"
        );
        assert_eq!(out.name, None);
        assert_eq!(out.namelen, namelen);
        assert!(out.data().iter().all(|&b| b == FILL));
    }
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 4));
}

/// Page: WSARecvMsg receives "from connected and unconnected sockets"; name and namelen work
/// as recvmsg's: the sender's address is written and namelen becomes its size. No name
/// buffer (NULL, 0) is fine (Wine test_ipv4_cmsg).
#[test]
fn clause_name_and_namelen_written() {
    let (rx, rx_addr, tx, tx_addr) = pair();
    must_send(tx, b"a", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!(out.name, Some(tx_addr.to_std()));
    assert_eq!(out.namelen, size_of::<SOCKADDR_IN>() as i32);
    must_send(tx, b"b", &rx_addr);
    let out = recv_msg(
        rx,
        &MsgIn {
            namelen: None,
            ..Default::default()
        },
    );
    assert_eq!((out.ret, out.bytes, out.name), (0, 1, None));
}

/// Page, WSAEINVAL: "The socket has not been bound (with bind, for example)." Wine
/// test_connect_udp and test_WSADuplicateSocket (Windows rows): the error comes at once; afd.c
/// test_recv: STATUS_INVALID_PARAMETER. (Wine itself blocks: wine8-observations.)
#[test]
fn clause_inval_unbound() {
    startup();
    let s = udp(AF_INET);
    let out = recv_msg(s, &MsgIn::default());
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAEINVAL));
    assert_eq!(out.bytes, 0xDEAD_BEEF, "byte count untouched on failure");
}

/// Page, WSAEWOULDBLOCK: "Non-overlapped sockets: The socket is marked as nonblocking and the
/// receive operation cannot be completed immediately." (FIONBIO.)
#[test]
fn clause_wouldblock_nonblocking() {
    let (rx, _, _, _) = pair();
    set_nonblocking(rx, true);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAEWOULDBLOCK));
    assert_eq!(
        Sim::current().now(),
        winsock_sim::Instant::ZERO,
        "no time passed"
    );
}

/// Page, WSAETIMEDOUT: "returned if the socket had a wait timeout specified using the
/// SO_RCVTIMEO socket option and the timeout was exceeded." The wait is in virtual time: the
/// clock moves by exactly the timeout. Wine test_timeout: the byte count is left untouched.
#[test]
fn clause_timedout_so_rcvtimeo_virtual_time() {
    let (rx, _, _, _) = pair();
    set_u32(rx, SOL_SOCKET, SO_RCVTIMEO, 250);
    let sim = Sim::current();
    let before = sim.now();
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!(
        (out.ret, out.err, out.bytes),
        (SOCKET_ERROR, WSAETIMEDOUT, 0xDEAD_BEEF)
    );
    assert_eq!(sim.now() - before, Duration::from_millis(250));
}

/// Page: "The SO_RCVTIMEO socket option applies only to blocking sockets."
#[test]
fn clause_rcvtimeo_ignored_when_nonblocking() {
    let (rx, _, _, _) = pair();
    set_u32(rx, SOL_SOCKET, SO_RCVTIMEO, 250);
    set_nonblocking(rx, true);
    assert_eq!(recv_msg(rx, &MsgIn::default()).err, WSAEWOULDBLOCK);
    assert_eq!(Sim::current().now(), winsock_sim::Instant::ZERO);
}

/// Page: "In the case of a blocking socket with no data currently having been received and
/// buffered by the transport, the call will block until data is received." A datagram that
/// is 5 ms away arrives; the clock moves to its arrival.
#[test]
fn clause_blocking_waits_for_delayed_datagram() {
    let sim = Sim::builder()
        .fault(FaultRule::global(Fault::Delay {
            min: Duration::from_millis(5),
            max: Duration::from_millis(5),
        }))
        .build();
    let _g = sim.enter();
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"later", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 5));
    assert_eq!(sim.now(), winsock_sim::Instant::from_nanos(5_000_000));
}

/// A blocking call with nothing that could ever arrive and no timeout does not hang: it fails
/// with WSAEINTR and a WouldBlockForever diagnostic (README, "Blocking calls").
#[test]
fn sim_blocking_call_that_could_never_complete_fails_clearly() {
    let (rx, _, _, _) = pair();
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAEINTR));
    assert!(Sim::current().diagnostics().iter().any(|d| matches!(
        d.diagnostic,
        Diagnostic::WouldBlockForever {
            call: "WSARecvMsg",
            ..
        }
    )));
}

/// Page, WSAECONNRESET: "For a UDP datagram socket, this error would indicate that a previous
/// send operation resulted in an ICMP 'Port Unreachable' message." On by default
/// (winsock-facts §6.1; KB263823); the error is reported once.
#[test]
fn clause_connreset_after_port_unreachable() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(rx, b"to nobody", &rx_addr.with_port(9));
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAECONNRESET));
    must_send(tx, b"then data", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 9));
}

/// SIO_UDP_CONNRESET set to FALSE switches the report off (MSWSock.h; winsock-facts §6.1).
#[test]
fn clause_sio_udp_connreset_off_suppresses() {
    let (rx, rx_addr, _, _) = pair();
    let mut n = 0u32;
    assert_eq!(
        ioctl(
            rx,
            SIO_UDP_CONNRESET,
            Some(&0u32.to_le_bytes()),
            None,
            &mut n
        ),
        (0, 0)
    );
    must_send(rx, b"to nobody", &rx_addr.with_port(9));
    set_nonblocking(rx, true);
    assert_eq!(recv_msg(rx, &MsgIn::default()).err, WSAEWOULDBLOCK);
}

/// Page, WSAENETRESET: "For a datagram socket, this error indicates that the time to live
/// has expired." A path with 3 routers and IP_TTL 2: the datagram expires, an ICMP time
/// exceeded comes back, the next receive fails; SIO_UDP_NETRESET FALSE switches it off.
#[test]
fn clause_netreset_after_ttl_expiry() {
    let sim = Sim::builder()
        .host("a", &["10.0.0.1/24"])
        .host("b", &["10.0.0.2/24"])
        .path(
            "a",
            "b",
            PathProps {
                latency: Duration::from_millis(1),
                hops: 3,
            },
        )
        .build();
    let _g = sim.enter();
    startup();
    let (s, _) = bound("10.0.0.1:0");
    set_u32(s, IPPROTO_IP, IP_TTL, 2);
    must_send(s, b"far", &addr("10.0.0.2:7"));
    let out = recv_msg(s, &MsgIn::default());
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAENETRESET));
    let mut n = 0u32;
    assert_eq!(
        ioctl(s, SIO_UDP_NETRESET, Some(&0u32.to_le_bytes()), None, &mut n),
        (0, 0)
    );
    must_send(s, b"far", &addr("10.0.0.2:7"));
    set_u32(s, SOL_SOCKET, SO_RCVTIMEO, 100);
    assert_eq!(recv_msg(s, &MsgIn::default()).err, WSAETIMEDOUT);
}

/// Page, WSAENETDOWN: "The network subsystem has failed."
#[test]
fn clause_netdown() {
    let (rx, _, _, _) = pair();
    let sim = Sim::current();
    sim.set_network_down(winsock_sim::HostId::default(), true);
    assert_eq!(recv_msg(rx, &MsgIn::default()).err, WSAENETDOWN);
    sim.set_network_down(winsock_sim::HostId::default(), false);
    set_nonblocking(rx, true);
    assert_eq!(recv_msg(rx, &MsgIn::default()).err, WSAEWOULDBLOCK);
}

/// Page, WSAENOTCONN: "The socket is not connected (connection-oriented sockets only)." A
/// stream socket (which never connects in the simulator) reports it; the page's remarks
/// restrict WSARecvMsg to SOCK_DGRAM and SOCK_RAW.
#[test]
fn clause_notconn_stream_socket() {
    startup();
    let s = unsafe { socket(AF_INET as i32, SOCK_STREAM, IPPROTO_TCP) };
    let a = addr("127.0.0.1:0");
    assert_eq!(unsafe { bind(s, a.ptr(), a.len) }, 0);
    let out = recv_msg(s, &MsgIn::default());
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAENOTCONN));
}

/// Page, WSAEOPNOTSUPP: "returned if the dwFlags member ... includes the MSG_PEEK control flag
/// on a non-datagram socket."
#[test]
fn clause_opnotsupp_peek_on_stream() {
    startup();
    let s = unsafe { socket(AF_INET as i32, SOCK_STREAM, IPPROTO_TCP) };
    let out = recv_msg(
        s,
        &MsgIn {
            flags: MSG_PEEK as u32,
            ..Default::default()
        },
    );
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAEOPNOTSUPP));
}

/// Page, WSANOTINITIALISED: "A successful WSAStartup call must occur before using this
/// function." The last WSACleanup also closes every socket (Wine test_WithWSAStartup), and
/// WSANOTINITIALISED is checked before the handle.
#[test]
fn clause_notinitialised_without_startup() {
    let (rx, _, _, _) = pair();
    let f = recvmsg_fn(rx);
    assert_eq!(unsafe { WSACleanup() }, 0);
    let mut msg: WSAMSG = unsafe { std::mem::zeroed() };
    let mut n = 0;
    assert_eq!(
        unsafe { f(rx, &mut msg, &mut n, std::ptr::null_mut(), None) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSANOTINITIALISED);
}

/// Page, WSAEINTR. Winsock 2.2 has no WSACancelBlockingCall semantics left (winsock-facts
/// §5.17); a blocking receive is cancelled when another thread closes the socket, and fails
/// with WSAEINTR (closesocket page).
#[test]
fn clause_intr_blocking_recv_closed_by_other_thread() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (rx, _) = bound("127.0.0.1:0");
    let closer = sim.spawn(winsock_sim::HostId::default(), move || {
        // The virtual Sleep ends only once the receiver is blocked too (time moves when
        // every participant is blocked), so the close always comes while it waits.
        unsafe { winsock_sim::kernel32::Sleep(10) };
        assert_eq!(unsafe { closesocket(rx) }, 0);
    });
    let out = recv_msg_blocking_raw(rx);
    assert_eq!((out.0, out.1), (SOCKET_ERROR, WSAEINTR));
    closer.join().unwrap();
}

fn recv_msg_blocking_raw(s: SOCKET) -> (i32, i32) {
    // recvmsg_fn would itself fail once the socket is gone; fetch it first.
    let f = recvmsg_fn(s);
    let mut buf = [0u8; 8];
    let mut b = wsabuf(&mut buf);
    let mut msg = msg_with(&mut b);
    let mut n = 0;
    let r = unsafe { f(s, &mut msg, &mut n, std::ptr::null_mut(), None) };
    (r, last_error())
}

/// Page: "For non-overlapped sockets ... the lpOverlapped and lpCompletionRoutine parameters
/// are ignored." Wine test_nonblocking_async_recv (Windows): on a socket made without
/// WSA_FLAG_OVERLAPPED an OVERLAPPED call completes synchronously; its Internal and
/// InternalHigh hold the status and byte count.
#[test]
fn clause_non_overlapped_socket_ignores_overlapped() {
    startup();
    let s = unsafe {
        WSASocketW(
            AF_INET as i32,
            SOCK_DGRAM,
            IPPROTO_UDP,
            std::ptr::null(),
            0,
            0,
        )
    };
    let a = addr("127.0.0.1:0");
    assert_eq!(unsafe { bind(s, a.ptr(), a.len) }, 0);
    let mut me = a;
    let mut len = 28;
    assert_eq!(unsafe { getsockname(s, me.mut_ptr(), &mut len) }, 0);
    me.len = len;
    must_send(s, b"sync", &me);
    let f = recvmsg_fn(s);
    let mut buf = [0u8; 8];
    let mut b = wsabuf(&mut buf);
    let mut msg = msg_with(&mut b);
    let mut ov: windows_sys::Win32::System::IO::OVERLAPPED = unsafe { std::mem::zeroed() };
    ov.Internal = 0x103;
    let mut n = 0;
    assert_eq!(unsafe { f(s, &mut msg, &mut n, &mut ov, None) }, 0);
    assert_eq!((n, &buf[..4]), (4, &b"sync"[..]));
    assert_eq!((ov.Internal, ov.InternalHigh), (0, 4));
}

/// Page: "When the IP_PKTINFO socket option is enabled on an IPv4 socket ... an in_pktinfo
/// structure". The page says ipi_addr is the address the packet was "received from"; Windows
/// puts the destination there (Wine test_ip_pktinfo asserts 127.0.0.1 on a socket bound to
/// INADDR_ANY; winsock-facts §6.2). Control.len becomes the space used: 16 +
/// WSA_CMSG_ALIGN(8) = 24; cmsg_len 24 (test_ipv4_cmsg).
#[test]
fn clause_ip_pktinfo_reports_destination_not_source() {
    startup();
    let (rx, rx_addr) = bound("0.0.0.0:0");
    let (tx, _) = bound("127.0.0.1:0");
    set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
    let dst = addr("127.0.0.1:0").with_port(rx_addr.to_std().port());
    must_send(tx, b"HELLO\0", &dst);
    let out = recv_msg(
        rx,
        &MsgIn {
            control: Some(512),
            ..Default::default()
        },
    );
    assert_eq!((out.ret, out.bytes), (0, 6));
    assert_eq!(out.control_len, 24);
    let c = cmsgs(&out.control, out.control_len);
    assert_eq!(c.len(), 1);
    let (clen, level, ty, data) = &c[0];
    assert_eq!((*clen, *level, *ty), (24, IPPROTO_IP, IP_PKTINFO));
    assert_eq!(&data[..4], &[127, 0, 0, 1], "ipi_addr is the destination");
    assert_eq!(
        u32::from_le_bytes(data[4..8].try_into().unwrap()),
        1,
        "loopback ifindex"
    );
}

/// Page: IPV6_PKTINFO gives an in6_pktinfo (level IPPROTO_IPV6, type IPV6_PKTINFO). Wine
/// test_ipv6_cmsg: cmsg_len = 16 + sizeof(IN6_PKTINFO) = 36, ipi6_addr ::1; Control.len is
/// 16 + align8(20) = 40.
#[test]
fn clause_ipv6_pktinfo() {
    startup();
    let (rx, rx_addr) = bound("[::1]:0");
    let (tx, _) = bound("[::1]:0");
    set_u32(rx, IPPROTO_IPV6, IPV6_PKTINFO, 1);
    must_send(tx, b"HELLO\0", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes, out.control_len), (0, 6, 40));
    let c = cmsgs(&out.control, out.control_len);
    assert_eq!((c[0].0, c[0].1, c[0].2), (36, IPPROTO_IPV6, IPV6_PKTINFO));
    assert_eq!(&c[0].3[..16], &std::net::Ipv6Addr::LOCALHOST.octets());
    assert_eq!(out.namelen, 28);
}

/// Page: "For a dual-stack datagram socket, if an application requires the WSARecvMsg
/// function to return packet information ... for datagrams received over IPv4, then
/// IP_PKTINFO socket option must be set ... If only the IPV6_PKTINFO option is set ...
/// packet information ... may not be provided" (the simulator provides none). The IPv4
/// sender appears as a v4-mapped IPv6 address.
#[test]
fn clause_dual_stack_pktinfo_rule() {
    startup();
    let rx = udp(AF_INET6);
    set_u32(rx, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    let a = addr("[::]:0");
    assert_eq!(unsafe { bind(rx, a.ptr(), a.len) }, 0);
    let mut me = a;
    let mut len = 28;
    assert_eq!(unsafe { getsockname(rx, me.mut_ptr(), &mut len) }, 0);
    let port = me.to_std().port();
    let (tx, tx_addr) = bound("127.0.0.1:0");
    set_u32(rx, IPPROTO_IPV6, IPV6_PKTINFO, 1);
    must_send(tx, b"v4", &addr(&format!("127.0.0.1:{port}")));
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes, out.control_len), (0, 2, 0));
    assert_eq!(
        out.name,
        Some(
            format!("[::ffff:127.0.0.1]:{}", tx_addr.to_std().port())
                .parse()
                .unwrap()
        )
    );
    set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
    must_send(tx, b"v4", &addr(&format!("127.0.0.1:{port}")));
    let out = recv_msg(rx, &MsgIn::default());
    let c = cmsgs(&out.control, out.control_len);
    assert_eq!((c.len(), c[0].1, c[0].2), (1, IPPROTO_IP, IP_PKTINFO));
}

/// Page, MSG_CTRUNC: "The control (ancillary) data was truncated." WSAMSG page and Wine
/// test_ip_pktinfo (Windows): with IP_PKTINFO on and Control.len 1 the call fails with
/// WSAEMSGSIZE, dwFlags == MSG_CTRUNC exactly, the byte count is 6 (a todo_wine row), and
/// the datagram is consumed. wine8-observations: 8, 16 and 23 bytes behave the same.
#[test]
fn clause_msg_ctrunc_control_too_small() {
    let (rx, rx_addr, tx, _) = pair();
    set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
    for cap in [1u32, 8, 16, 23] {
        must_send(tx, b"HELLO\0", &rx_addr);
        let out = recv_msg(
            rx,
            &MsgIn {
                control: Some(cap),
                ..Default::default()
            },
        );
        assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAEMSGSIZE), "cap {cap}");
        assert_eq!(out.flags, MSG_CTRUNC);
        assert_eq!(out.bytes, 6);
        assert_eq!(&out.data()[..6], b"HELLO\0");
        assert_eq!(out.control_len, 0);
    }
    set_nonblocking(rx, true);
    assert_eq!(
        recv_msg(rx, &MsgIn::default()).err,
        WSAEWOULDBLOCK,
        "consumed"
    );
}

/// Wine test_ip_pktinfo: with no option enabled, a NULL/0 control buffer is fine.
#[test]
fn wine_ip_pktinfo_no_control_wanted() {
    let (rx, rx_addr, tx, _) = pair();
    must_send(tx, b"HELLO\0", &rx_addr);
    let out = recv_msg(
        rx,
        &MsgIn {
            control: None,
            ..Default::default()
        },
    );
    assert_eq!((out.ret, out.bytes, out.control_len), (0, 6, 0));
}

/// Wine test_ipv4_cmsg (Windows 10 1703+): IP_RECVTTL delivers type IP_TTL with an INT
/// (cmsg_len 20) of at least 32; IP_RECVTOS delivers IP_TOS with INT 0; each option reads
/// back 1 after being set.
#[test]
fn wine_ipv4_cmsg_ttl_and_tos() {
    let (rx, rx_addr, tx, _) = pair();
    for (opt, ty, check) in [
        (IP_RECVTTL, IP_TTL, (|v: i32| v >= 32) as fn(i32) -> bool),
        (IP_RECVTOS, IP_TOS, |v: i32| v == 0),
    ] {
        set_u32(rx, IPPROTO_IP, opt, 1);
        assert_eq!(get_u32(rx, IPPROTO_IP, opt), 1);
        must_send(tx, b"HELLO\0", &rx_addr);
        let out = recv_msg(rx, &MsgIn::default());
        assert_eq!(out.ret, 0);
        let c = cmsgs(&out.control, out.control_len);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].0, c[0].1, c[0].2), (20, IPPROTO_IP, ty));
        assert!(check(i32::from_le_bytes(c[0].3[..4].try_into().unwrap())));
        set_u32(rx, IPPROTO_IP, opt, 0);
    }
}

/// Wine test_ipv6_cmsg: IPV6_HOPLIMIT delivers IPV6_HOPLIMIT (INT >= 32), IPV6_RECVTCLASS
/// delivers IPV6_TCLASS (INT 0), both with cmsg_len 20.
#[test]
fn wine_ipv6_cmsg_hoplimit_and_tclass() {
    startup();
    let (rx, rx_addr) = bound("[::1]:0");
    let (tx, _) = bound("[::1]:0");
    for (opt, ty) in [
        (IPV6_HOPLIMIT, IPV6_HOPLIMIT),
        (IPV6_RECVTCLASS, IPV6_TCLASS),
    ] {
        set_u32(rx, IPPROTO_IPV6, opt, 1);
        must_send(tx, b"HELLO\0", &rx_addr);
        let out = recv_msg(rx, &MsgIn::default());
        let c = cmsgs(&out.control, out.control_len);
        assert_eq!((c[0].0, c[0].1, c[0].2), (20, IPPROTO_IPV6, ty));
        let v = i32::from_le_bytes(c[0].3[..4].try_into().unwrap());
        assert!(if ty == IPV6_TCLASS { v == 0 } else { v >= 32 });
        set_u32(rx, IPPROTO_IPV6, opt, 0);
    }
}

/// Several control messages are laid out one after another, each taking 16 + align8(n);
/// a buffer with room for the first only keeps the first, sets MSG_CTRUNC, and fails with
/// WSAEMSGSIZE (the data is still delivered).
#[test]
fn sim_several_control_messages_and_partial_fit() {
    let (rx, rx_addr, tx, _) = pair();
    set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
    set_u32(rx, IPPROTO_IP, IP_RECVTTL, 1);
    must_send(tx, b"two", &rx_addr);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.control_len), (0, 48));
    let c = cmsgs(&out.control, out.control_len);
    assert_eq!(
        c.iter().map(|m| m.2).collect::<Vec<_>>(),
        vec![IP_PKTINFO, IP_TTL]
    );
    must_send(tx, b"two", &rx_addr);
    let out = recv_msg(
        rx,
        &MsgIn {
            control: Some(40),
            ..Default::default()
        },
    );
    assert_eq!(
        (out.ret, out.err, out.flags, out.control_len),
        (SOCKET_ERROR, WSAEMSGSIZE, MSG_CTRUNC, 24)
    );
}

/// Page, output flags: MSG_BCAST "The datagram was received as a link-layer broadcast or with
/// a destination IP address that is a broadcast address."
#[test]
fn clause_msg_bcast() {
    let sim = Sim::builder()
        .host("a", &["10.0.0.1/24"])
        .host("b", &["10.0.0.2/24"])
        .build();
    let _g = sim.enter_host(sim.host("b").unwrap());
    startup();
    let (rx, _) = bound("0.0.0.0:5000");
    drop(_g);
    let _g = sim.enter_host(sim.host("a").unwrap());
    let (tx, _) = bound("10.0.0.1:0");
    set_u32(tx, SOL_SOCKET, SO_BROADCAST, 1);
    must_send(tx, b"all", &addr("10.0.0.255:5000"));
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes, out.flags), (0, 3, MSG_BCAST));
}

/// Page, output flags: MSG_MCAST "The datagram was received with a destination IP address
/// that is a multicast address."
#[test]
fn clause_msg_mcast() {
    let sim = Sim::builder()
        .host("a", &["10.0.0.1/24"])
        .host("b", &["10.0.0.2/24"])
        .build();
    let _gb = sim.enter_host(sim.host("b").unwrap());
    startup();
    let (rx, _) = bound("0.0.0.0:5353");
    let mreq = [239u8, 1, 2, 3, 0, 0, 0, 0];
    assert_eq!(
        unsafe { setsockopt(rx, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq.as_ptr(), 8) },
        0
    );
    let _ga = sim.enter_host(sim.host("a").unwrap());
    let (tx, _) = bound("10.0.0.1:0");
    must_send(tx, b"group", &addr("239.1.2.3:5353"));
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes, out.flags), (0, 5, MSG_MCAST));
}

/// Page: "The WSARecvMsg function can only be used with datagrams and raw sockets." A raw
/// IPv4 socket receives the IPv4 header in front of the payload (Wine test_icmp, Windows:
/// v_hl 0x45, tot_len, protocol, addresses); truncation discards the rest (same test).
#[test]
fn clause_raw_socket_recvmsg() {
    startup();
    let rx = unsafe { socket(AF_INET as i32, SOCK_RAW, 253) };
    let tx = unsafe { socket(AF_INET as i32, SOCK_RAW, 253) };
    assert_ne!(rx, INVALID_SOCKET);
    let a = addr("127.0.0.1:0");
    assert_eq!(unsafe { bind(rx, a.ptr(), a.len) }, 0);
    must_send(tx, b"raw!", &a);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 24));
    let d = out.data();
    assert_eq!(d[0], 0x45);
    assert_eq!(u16::from_be_bytes([d[2], d[3]]), 24);
    assert_eq!(
        (d[9], &d[12..16], &d[16..20]),
        (253, &[127u8, 0, 0, 1][..], &[127u8, 0, 0, 1][..])
    );
    assert_eq!(&d[20..24], b"raw!");
    must_send(tx, b"raw!", &a);
    must_send(tx, b"two!", &a);
    let out = recv_msg(
        rx,
        &MsgIn {
            bufs: vec![23],
            ..Default::default()
        },
    );
    assert_eq!(out.err, WSAEMSGSIZE);
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!(&out.data()[20..24], b"two!");
}
