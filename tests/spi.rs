//! The service-provider face: WSPStartup, and one test per clause of the LPWSPRECVFROM page
//! (`../shared/seeds/003_9073631f286a10dd.txt`), each calling the base provider's
//! WSPRecvFrom through the procedure table its WSPStartup filled, as ws2 and a layered
//! provider call it: errors through lpErrno, the last-error slot untouched.

mod common;

use std::cell::RefCell;
use std::mem::zeroed;
use std::time::Duration;

use common::*;
use kernel32::{SleepEx, WAIT_IO_COMPLETION};
use windows_sys::Win32::Networking::WinSock::{
    WSAEDISCON, WSAEISCONN, WSAENETRESET, WSATHREADID, WSPDATA, WSPPROC_TABLE,
};
use winsock_sim::{spi, HostId, PathProps, Sim};

/// The WSAPROTOCOL_INFOW of catalogue entry `id` (WSCEnumProtocols lists every entry).
fn entry(id: u32) -> WSAPROTOCOL_INFOW {
    let mut len = 0u32;
    let mut errno = 0;
    unsafe { WSCEnumProtocols(std::ptr::null(), std::ptr::null_mut(), &mut len, &mut errno) };
    assert_eq!(errno, WSAENOBUFS);
    let mut v: Vec<WSAPROTOCOL_INFOW> =
        vec![unsafe { zeroed() }; len as usize / size_of::<WSAPROTOCOL_INFOW>()];
    let n = unsafe { WSCEnumProtocols(std::ptr::null(), v.as_mut_ptr(), &mut len, &mut errno) };
    assert!(n > 0);
    *v.iter()
        .find(|e| e.dwCatalogEntryId == id)
        .expect("catalogue entry")
}

/// The base provider's procedure table, as WSPStartup fills it for UDP/IP.
fn base() -> WSPPROC_TABLE {
    let mut data: WSPDATA = unsafe { zeroed() };
    let mut table: WSPPROC_TABLE = unsafe { zeroed() };
    let info = entry(1002);
    let r = unsafe {
        spi::WSPStartup(
            0x0202,
            (&raw mut data).cast_const(),
            &info,
            spi::upcall_table(),
            &mut table,
        )
    };
    assert_eq!(r, 0);
    table
}

/// This thread's WSATHREADID (WPUOpenCurrentThread).
fn thread_id() -> WSATHREADID {
    let mut id: WSATHREADID = unsafe { zeroed() };
    let mut errno = 0;
    let open = spi::upcall_table().lpWPUOpenCurrentThread.unwrap();
    assert_eq!(unsafe { open(&mut id, &mut errno) }, 0);
    id
}

/// What one WSPRecvFrom call did.
#[derive(Debug)]
struct Out {
    ret: i32,
    errno: i32,
    bytes: u32,
    flags: u32,
    data: Vec<u8>,
    from: Option<std::net::SocketAddr>,
    fromlen: i32,
}

/// A synchronous WSPRecvFrom with a `len`-byte buffer and a name buffer of `fromlen` bytes
/// (None: NULL), `flags` in. Checks that the last-error slot is left alone.
fn wsp_recvfrom(t: &WSPPROC_TABLE, s: SOCKET, len: usize, fromlen: Option<i32>, flags: u32) -> Out {
    let mut data = vec![FILL; len];
    let b = wsabuf(&mut data);
    let mut from: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut flen = fromlen.unwrap_or(0);
    let (fp, lp) = if fromlen.is_some() {
        (&mut from as *mut _ as *mut SOCKADDR, &mut flen as *mut i32)
    } else {
        (std::ptr::null_mut(), std::ptr::null_mut())
    };
    let (mut bytes, mut fl, mut errno) = (0xDEAD_u32, flags, 0x5A5A);
    let id = thread_id();
    unsafe { WSASetLastError(0x1234) };
    let f = t.lpWSPRecvFrom.unwrap();
    let ret = unsafe {
        f(
            s,
            &b,
            1,
            &mut bytes,
            &mut fl,
            fp,
            lp,
            std::ptr::null_mut(),
            None,
            &id,
            &mut errno,
        )
    };
    assert_eq!(
        unsafe { WSAGetLastError() },
        0x1234,
        "the provider leaves the last error alone"
    );
    Out {
        ret,
        errno: if ret == 0 { 0 } else { errno },
        bytes,
        flags: fl,
        data,
        from: (from.ss_family != 0).then(|| from_raw(&from, flen)),
        fromlen: flen,
    }
}

/// WSPStartup page: it fills WSPDATA (version 2.2) and every entry of the procedure table;
/// a version below 2.0 is WSAVERNOTSUPPORTED; NULL pointers are WSAEFAULT. The result is the
/// error itself (no lpErrno).
#[test]
fn doc_wspstartup_fills_table() {
    startup();
    let info = entry(1002);
    let mut data: WSPDATA = unsafe { zeroed() };
    let mut table: WSPPROC_TABLE = unsafe { zeroed() };
    assert_eq!(
        unsafe {
            spi::WSPStartup(
                0x0101,
                (&raw mut data).cast_const(),
                &info,
                spi::upcall_table(),
                &mut table,
            )
        },
        WSAVERNOTSUPPORTED
    );
    assert_eq!(
        unsafe {
            spi::WSPStartup(
                0x0202,
                (&raw mut data).cast_const(),
                &info,
                spi::upcall_table(),
                std::ptr::null_mut(),
            )
        },
        WSAEFAULT
    );
    assert_eq!(
        unsafe {
            spi::WSPStartup(
                0x0202,
                (&raw mut data).cast_const(),
                &info,
                spi::upcall_table(),
                &mut table,
            )
        },
        0
    );
    assert_eq!((data.wVersion, data.wHighVersion), (0x0202, 0x0202));
    let t = table;
    let all = [
        t.lpWSPAccept.is_some(),
        t.lpWSPAddressToString.is_some(),
        t.lpWSPAsyncSelect.is_some(),
        t.lpWSPBind.is_some(),
        t.lpWSPCancelBlockingCall.is_some(),
        t.lpWSPCleanup.is_some(),
        t.lpWSPCloseSocket.is_some(),
        t.lpWSPConnect.is_some(),
        t.lpWSPDuplicateSocket.is_some(),
        t.lpWSPEnumNetworkEvents.is_some(),
        t.lpWSPEventSelect.is_some(),
        t.lpWSPGetOverlappedResult.is_some(),
        t.lpWSPGetPeerName.is_some(),
        t.lpWSPGetSockName.is_some(),
        t.lpWSPGetSockOpt.is_some(),
        t.lpWSPGetQOSByName.is_some(),
        t.lpWSPIoctl.is_some(),
        t.lpWSPJoinLeaf.is_some(),
        t.lpWSPListen.is_some(),
        t.lpWSPRecv.is_some(),
        t.lpWSPRecvDisconnect.is_some(),
        t.lpWSPRecvFrom.is_some(),
        t.lpWSPSelect.is_some(),
        t.lpWSPSend.is_some(),
        t.lpWSPSendDisconnect.is_some(),
        t.lpWSPSendTo.is_some(),
        t.lpWSPSetSockOpt.is_some(),
        t.lpWSPShutdown.is_some(),
        t.lpWSPSocket.is_some(),
        t.lpWSPStringToAddress.is_some(),
    ];
    assert!(all.iter().all(|&x| x));
    // An entry the simulator does not implement fails through lpErrno.
    let mut errno = 0;
    let r = unsafe { (t.lpWSPListen.unwrap())(1, 5, &mut errno) };
    assert_eq!((r, errno), (SOCKET_ERROR, WSAEOPNOTSUPP));
}

/// Page, return value: 0 when the receive completes at once, with the bytes, the flags and
/// the source address in lpFrom / lpFromlen ("modified on completion to indicate the actual
/// size of the address"); the buffers are filled in order and packed.
#[test]
fn clause_wsprecvfrom_success() {
    startup();
    let t = base();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, tx_addr) = bound("127.0.0.1:0");
    must_send(tx, b"hello", &rx_addr);
    let o = wsp_recvfrom(&t, rx, 8, Some(128), 0);
    assert_eq!((o.ret, o.bytes, o.flags, o.fromlen), (0, 5, 0, 16));
    assert_eq!(&o.data[..5], b"hello");
    assert_eq!(o.from, Some(tx_addr.to_std()));
}

/// Page, WSAEISCONN: "This function is not permitted with a connected socket, whether the
/// socket is connection-oriented or connectionless." The WSARecvFrom page allows a
/// "(possibly connected)" socket: ws2's WSARecvFrom then receives with WSPRecv and gives the
/// peer as the sender (facts §6.9).
#[test]
fn clause_wsprecvfrom_isconn_and_what_ws2_does() {
    startup();
    let t = base();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, tx_addr) = bound("127.0.0.1:0");
    assert_eq!(unsafe { connect(rx, tx_addr.ptr(), tx_addr.len) }, 0);
    must_send(tx, b"peer", &rx_addr);
    let o = wsp_recvfrom(&t, rx, 8, Some(128), 0);
    assert_eq!((o.ret, o.errno), (SOCKET_ERROR, WSAEISCONN));
    let (r, err, buf, from, _) = recv_from(rx, 8, Some(128));
    assert_eq!((r, err, &buf[..4]), (4, 0, &b"peer"[..]));
    assert_eq!(from, Some(tx_addr.to_std()));
}

/// Page, WSAEINVAL: the socket "has not been bound", or "is not created with the overlapped
/// flag" (for an overlapped call; ws2 calls synchronously there, Wine
/// test_nonblocking_async_recv).
#[test]
fn clause_wsprecvfrom_inval() {
    startup();
    let t = base();
    let s = udp(AF_INET);
    assert_eq!(wsp_recvfrom(&t, s, 8, None, 0).errno, WSAEINVAL);
    let plain = unsafe { WSASocketW(AF_INET as i32, SOCK_DGRAM, 0, std::ptr::null(), 0, 0) };
    let mut a = addr("127.0.0.1:0");
    assert_eq!(unsafe { bind(plain, a.ptr(), a.len) }, 0);
    let mut buf = [0u8; 8];
    let b = wsabuf(&mut buf);
    let mut ov: Box<OVERLAPPED> = Box::new(unsafe { zeroed() });
    let (mut flags, mut errno) = (0u32, 0);
    let id = thread_id();
    let f = t.lpWSPRecvFrom.unwrap();
    let r = unsafe {
        f(
            plain,
            &b,
            1,
            std::ptr::null_mut(),
            &mut flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut *ov,
            None,
            &id,
            &mut errno,
        )
    };
    assert_eq!((r, errno), (SOCKET_ERROR, WSAEINVAL));
    let _ = a.mut_ptr();
}

/// Page, WSAESHUTDOWN: after shutdown with SD_RECEIVE or SD_BOTH (Wine test_shutdown, UDP
/// and SD_RECEIVE, Windows rows).
#[test]
fn clause_wsprecvfrom_shutdown() {
    startup();
    let t = base();
    for how in [SD_RECEIVE, SD_BOTH] {
        let (s, _) = bound("127.0.0.1:0");
        assert_eq!(unsafe { shutdown(s, how) }, 0);
        assert_eq!(wsp_recvfrom(&t, s, 8, None, 0).errno, WSAESHUTDOWN);
    }
}

/// Page, WSAENOTSOCK: "The descriptor is not a socket."
#[test]
fn clause_wsprecvfrom_notsock() {
    startup();
    let t = base();
    assert_eq!(wsp_recvfrom(&t, 0x1234, 8, None, 0).errno, WSAENOTSOCK);
    let ev = event();
    assert_eq!(
        wsp_recvfrom(&t, ev as SOCKET, 8, None, 0).errno,
        WSAENOTSOCK
    );
}

/// Page, WSAEOPNOTSUPP: "MSG_OOB was specified, but the socket is not stream-style".
#[test]
fn clause_wsprecvfrom_oob_opnotsupp() {
    startup();
    let t = base();
    let (s, _) = bound("127.0.0.1:0");
    assert_eq!(
        wsp_recvfrom(&t, s, 8, None, MSG_OOB as u32).errno,
        WSAEOPNOTSUPP
    );
}

/// Page, WSAEFAULT: "the lpFrom buffer was too small to accommodate the peer address" (the
/// datagram is kept, Wine test_UDP, Windows rows) "or lpbuffers is not totally contained
/// within a valid part of the user address space".
#[test]
fn clause_wsprecvfrom_fault() {
    startup();
    let t = base();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, _) = bound("127.0.0.1:0");
    must_send(tx, b"kept", &rx_addr);
    let o = wsp_recvfrom(&t, rx, 8, Some(8), 0);
    assert_eq!((o.errno, o.fromlen, o.from), (WSAEFAULT, 8, None));
    let id = thread_id();
    let (mut n, mut flags, mut errno) = (0u32, 0u32, 0);
    let bad = WSABUF {
        len: 8,
        buf: 16 as *mut u8,
    };
    let f = t.lpWSPRecvFrom.unwrap();
    let r = unsafe {
        f(
            rx,
            &bad,
            1,
            &mut n,
            &mut flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            None,
            &id,
            &mut errno,
        )
    };
    assert_eq!((r, errno), (SOCKET_ERROR, WSAEFAULT));
    assert_eq!(
        wsp_recvfrom(&t, rx, 8, Some(16), 0).bytes,
        4,
        "the datagram was kept"
    );
}

/// Page, WSAECONNRESET: "On a UDP datagram socket this error would indicate that a previous
/// send operation resulted in an ICMP Port Unreachable message."
#[test]
fn clause_wsprecvfrom_connreset() {
    startup();
    let t = base();
    let (s, _) = bound("127.0.0.1:0");
    let nobody = bound("127.0.0.1:0");
    close(nobody.0);
    must_send(s, b"anyone", &nobody.1);
    assert_eq!(wsp_recvfrom(&t, s, 8, None, 0).errno, WSAECONNRESET);
}

/// Page, WSAENETRESET: the page describes a keep-alive failure on a connection; for a UDP
/// socket the error reports an expired TTL (WSARecvFrom and WSARecvMsg pages; facts §6.1),
/// which is what the simulator gives.
#[test]
fn clause_wsprecvfrom_netreset() {
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
    let t = base();
    let (s, _) = bound("10.0.0.1:0");
    set_u32(s, IPPROTO_IP, IP_TTL, 2);
    must_send(s, b"far", &addr("10.0.0.2:9"));
    assert_eq!(wsp_recvfrom(&t, s, 8, None, 0).errno, WSAENETRESET);
}

/// Page, WSAEMSGSIZE: "the excess data is lost" on an unreliable protocol without
/// MSG_PARTIAL (UDP): the buffers hold the first part, the next receive gets the next
/// datagram.
#[test]
fn clause_wsprecvfrom_msgsize_udp_discards() {
    startup();
    let t = base();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, _) = bound("127.0.0.1:0");
    must_send(tx, b"0123456789", &rx_addr);
    must_send(tx, b"next", &rx_addr);
    let o = wsp_recvfrom(&t, rx, 4, None, 0);
    assert_eq!(
        (o.errno, o.bytes, &o.data[..]),
        (WSAEMSGSIZE, 4, &b"0123"[..])
    );
    let o = wsp_recvfrom(&t, rx, 8, None, 0);
    assert_eq!((o.ret, &o.data[..4]), (0, &b"next"[..]));
}

/// Page, WSAEWOULDBLOCK: "Nonoverlapped sockets: The socket is marked as nonblocking and the
/// receive operation cannot be completed immediately"; and "Overlapped sockets: There are too
/// many outstanding overlapped I/O requests."
#[test]
fn clause_wsprecvfrom_wouldblock() {
    let sim = Sim::builder().max_outstanding(1).build();
    let _g = sim.enter();
    startup();
    let t = base();
    let (s, _) = bound("127.0.0.1:0");
    set_nonblocking(s, true);
    assert_eq!(wsp_recvfrom(&t, s, 8, None, 0).errno, WSAEWOULDBLOCK);
    let mut a = Posted::new(8);
    let mut b = Posted::new(8);
    assert_eq!(a.post(&t, s, None), (SOCKET_ERROR, WSA_IO_PENDING));
    assert_eq!(b.post(&t, s, None), (SOCKET_ERROR, WSAEWOULDBLOCK));
}

/// Page, WSAENETDOWN: "The network subsystem has failed."
#[test]
fn clause_wsprecvfrom_netdown() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let t = base();
    let (s, _) = bound("127.0.0.1:0");
    sim.set_network_down(HostId::default(), true);
    assert_eq!(wsp_recvfrom(&t, s, 8, None, 0).errno, WSAENETDOWN);
}

/// Page, WSAEINTR: a blocking call cancelled (today: closesocket from another thread; facts
/// §5.17).
#[test]
fn clause_wsprecvfrom_intr() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let t = base();
    let (s, _) = bound("127.0.0.1:0");
    let closer = sim.spawn(HostId::default(), move || unsafe {
        kernel32::Sleep(5);
        closesocket(s)
    });
    assert_eq!(wsp_recvfrom(&t, s, 8, None, 0).errno, WSAEINTR);
    assert_eq!(closer.join().unwrap(), 0);
}

/// An overlapped WSPRecvFrom, with its own OVERLAPPED, buffers and name buffer that stay put.
struct Posted {
    ov: Box<OVERLAPPED>,
    data: Box<[u8]>,
    wsabuf: Box<WSABUF>,
    from: Box<SOCKADDR_STORAGE>,
    fromlen: Box<i32>,
    flags: Box<u32>,
}

impl Posted {
    fn new(len: usize) -> Posted {
        let mut p = Posted {
            ov: Box::new(unsafe { zeroed() }),
            data: vec![FILL; len].into_boxed_slice(),
            wsabuf: Box::new(WSABUF {
                len: 0,
                buf: std::ptr::null_mut(),
            }),
            from: Box::new(unsafe { zeroed() }),
            fromlen: Box::new(size_of::<SOCKADDR_STORAGE>() as i32),
            flags: Box::new(0),
        };
        *p.wsabuf = wsabuf(&mut p.data);
        p
    }

    /// WSPRecvFrom with this thread's WSATHREADID, in a local that is gone after the call
    /// (the provider must keep a copy): (return value, lpErrno).
    fn post(
        &mut self,
        t: &WSPPROC_TABLE,
        s: SOCKET,
        routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    ) -> (i32, i32) {
        let mut errno = 0;
        let r = {
            let id = thread_id();
            let f = t.lpWSPRecvFrom.unwrap();
            unsafe {
                f(
                    s,
                    &*self.wsabuf,
                    1,
                    std::ptr::null_mut(),
                    &mut *self.flags,
                    &mut *self.from as *mut _ as *mut SOCKADDR,
                    &mut *self.fromlen,
                    &mut *self.ov,
                    routine,
                    &id,
                    &mut errno,
                )
            }
        };
        (r, if r == 0 { 0 } else { errno })
    }

    fn ov_ptr(&mut self) -> *mut OVERLAPPED {
        &mut *self.ov
    }
}

thread_local! {
    static ROUTINES: RefCell<Vec<(u32, u32, usize, u32)>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn routine(error: u32, bytes: u32, ov: *mut OVERLAPPED, flags: u32) {
    ROUTINES.with(|r| r.borrow_mut().push((error, bytes, ov as usize, flags)));
}

fn routines() -> Vec<(u32, u32, usize, u32)> {
    ROUTINES.with(|r| r.borrow_mut().drain(..).collect())
}

/// Page, WSA_IO_PENDING and overlapped I/O: "the values pointed to by lpFrom and lpFromlen
/// are not updated until completion is indicated"; "In the case of delayed completion, the
/// value pointed to by lpFlags is not updated"; the result is read with
/// WSPGetOverlappedResult.
#[test]
fn clause_wsprecvfrom_pending_writes_from_at_completion() {
    startup();
    let t = base();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, tx_addr) = bound("127.0.0.1:0");
    let ev = event();
    let mut p = Posted::new(8);
    p.ov.hEvent = ev as _;
    assert_eq!(p.post(&t, rx, None), (SOCKET_ERROR, WSA_IO_PENDING));
    assert_eq!((*p.fromlen, p.from.ss_family), (128, 0), "not yet");
    *p.flags = 0x77;
    must_send(tx, b"late", &rx_addr);
    assert!(signalled(ev));
    assert_eq!(*p.fromlen, 16);
    assert_eq!(from_raw(&p.from, *p.fromlen), tx_addr.to_std());
    assert_eq!(
        *p.flags, 0x77,
        "lpFlags is not updated on a delayed completion"
    );
    let (mut n, mut flags, mut errno) = (0u32, 0xFFu32, 0);
    let g = t.lpWSPGetOverlappedResult.unwrap();
    assert_eq!(
        unsafe { g(rx, p.ov_ptr(), &mut n, 0, &mut flags, &mut errno) },
        1
    );
    assert_eq!((n, flags), (4, 0));
}

/// Page, completion routines: the provider captures the WSATHREADID (the caller's copy is
/// gone once the call returns) and later calls WPUQueueApc with it, so that its own APC
/// function calls the client's routine in the issuing thread's alertable wait, with
/// (dwError, cbTransferred, lpOverlapped, dwFlags). A receive that completes at once returns
/// 0 with the routine "already queued". hEvent is ignored.
#[test]
fn clause_wsprecvfrom_routine_through_wpuqueueapc() {
    startup();
    let t = base();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, _) = bound("127.0.0.1:0");
    let ev = event();
    let mut p = Posted::new(8);
    p.ov.hEvent = ev as _;
    assert_eq!(
        p.post(&t, rx, Some(routine)),
        (SOCKET_ERROR, WSA_IO_PENDING)
    );
    must_send(tx, b"abc", &rx_addr);
    unsafe { kernel32::Sleep(5) };
    assert!(routines().is_empty(), "only in an alertable wait");
    assert!(!signalled(ev));
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(routines(), vec![(0, 3, p.ov_ptr() as usize, 0)]);
    must_send(tx, b"now", &rx_addr);
    let mut q = Posted::new(8);
    assert_eq!(q.post(&t, rx, Some(routine)), (0, 0));
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(routines(), vec![(0, 3, q.ov_ptr() as usize, 0)]);
}

/// Page, WSA_OPERATION_ABORTED: "Overlapped operation has been canceled due to the closure of
/// the socket", reported to the completion routine.
#[test]
fn clause_wsprecvfrom_operation_aborted() {
    startup();
    let t = base();
    let (rx, _) = bound("127.0.0.1:0");
    let mut p = Posted::new(8);
    assert_eq!(p.post(&t, rx, Some(routine)).1, WSA_IO_PENDING);
    close(rx);
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(
        routines(),
        vec![(WSA_OPERATION_ABORTED as u32, 0, p.ov_ptr() as usize, 0)]
    );
}

/// Page: "Providers must allow this function to be called from within the completion routine
/// of a previous ... LPWSPRecvFrom ... However, for a given socket, I/O completion routines
/// cannot be nested"; "the posted buffers are guaranteed to be filled in the same order they
/// are supplied".
#[test]
fn clause_wsprecvfrom_routines_never_nest_buffers_in_order() {
    startup();
    let t = base();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, _) = bound("127.0.0.1:0");
    NEST.with(|n| {
        *n.borrow_mut() = Nest {
            table: Some(t),
            socket: rx,
            ..Default::default()
        }
    });
    let mut first = Posted::new(4);
    assert_eq!(first.post(&t, rx, Some(nesting)).1, WSA_IO_PENDING);
    must_send(tx, b"a", &rx_addr);
    must_send(tx, b"b", &rx_addr);
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    let log = NEST.with(|n| n.borrow().log.clone());
    assert_eq!(log, vec!["enter a", "leave a", "enter b", "leave b"]);
    let mut ps: Vec<Posted> = (0..3).map(|_| Posted::new(4)).collect();
    for p in &mut ps {
        assert_eq!(p.post(&t, rx, None).1, WSA_IO_PENDING);
    }
    for d in [b"1", b"2", b"3"] {
        must_send(tx, d, &rx_addr);
    }
    assert_eq!(ps.iter().map(|p| p.data[0]).collect::<Vec<_>>(), b"123");
}

#[derive(Default)]
struct Nest {
    table: Option<WSPPROC_TABLE>,
    socket: SOCKET,
    posted: Vec<Posted>,
    log: Vec<String>,
}

thread_local! {
    static NEST: RefCell<Nest> = RefCell::new(Nest::default());
}

unsafe extern "system" fn nesting(_e: u32, _b: u32, ov: *mut OVERLAPPED, _f: u32) {
    let data = NEST.with(|n| {
        let n = n.borrow();
        // The first routine's OVERLAPPED is the test's; later ones are in `posted`.
        n.posted
            .iter()
            .find(|p| std::ptr::eq(&*p.ov, ov))
            .map(|p| p.data[0])
    });
    let name = data.map_or("a".to_string(), |d| (d as char).to_string());
    NEST.with(|n| n.borrow_mut().log.push(format!("enter {name}")));
    if data.is_none() {
        // Post the next receive from inside the routine ("b" is already queued: it completes
        // at once and its routine is queued), then wait alertably: it must not run nested.
        let (t, s) = NEST.with(|n| (n.borrow().table.unwrap(), n.borrow().socket));
        let mut next = Posted::new(4);
        assert_eq!(next.post(&t, s, Some(nesting)).0, 0);
        NEST.with(|n| n.borrow_mut().posted.push(next));
        unsafe { SleepEx(0, 1) };
    }
    NEST.with(|n| n.borrow_mut().log.push(format!("leave {name}")));
}

/// Page, WSAEDISCON: "Socket s is message oriented and the virtual circuit was gracefully
/// closed by the remote side." While the circuit stands the socket is connected, so
/// WSPRecvFrom refuses it (WSAEISCONN) and ws2's WSARecvFrom goes through WSPRecv, which
/// reports the close; from then on the socket is no longer connected and WSPRecvFrom reports
/// WSAEDISCON too.
#[test]
fn clause_wsprecvfrom_discon() {
    let sim = Sim::builder().message_protocols(true).build();
    let _g = sim.enter();
    startup();
    let t = base();
    let rm = |at: &str| {
        let mut a = addr(at);
        let s = unsafe { socket(AF_INET as i32, SOCK_RDM, 253) };
        assert_eq!(unsafe { bind(s, a.ptr(), a.len) }, 0);
        let mut len = 16;
        assert_eq!(unsafe { getsockname(s, a.mut_ptr(), &mut len) }, 0);
        (s, a)
    };
    let (a, a_addr) = rm("127.0.0.1:0");
    let (b, b_addr) = rm("127.0.0.1:0");
    assert_eq!(unsafe { connect(a, b_addr.ptr(), b_addr.len) }, 0);
    assert_eq!(unsafe { connect(b, a_addr.ptr(), a_addr.len) }, 0);
    close(b);
    assert_eq!(wsp_recvfrom(&t, a, 8, Some(128), 0).errno, WSAEISCONN);
    let (r, err, _, _, _) = recv_from(a, 8, Some(128));
    assert_eq!((r, err), (SOCKET_ERROR, WSAEDISCON));
    assert_eq!(wsp_recvfrom(&t, a, 8, Some(128), 0).errno, WSAEDISCON);
}

/// ws2's adaptation for a socket made without WSA_FLAG_OVERLAPPED: WSARecvFrom with an
/// OVERLAPPED is synchronous and fills the OVERLAPPED (Wine test_nonblocking_async_recv,
/// Windows rows), while the provider itself refuses the OVERLAPPED with WSAEINVAL
/// (clause_wsprecvfrom_inval).
#[test]
fn ws2_non_overlapped_socket_through_the_provider() {
    startup();
    let s = unsafe { WSASocketW(AF_INET as i32, SOCK_DGRAM, 0, std::ptr::null(), 0, 0) };
    let mut me = addr("127.0.0.1:0");
    assert_eq!(unsafe { bind(s, me.ptr(), me.len) }, 0);
    let mut len = 16;
    assert_eq!(unsafe { getsockname(s, me.mut_ptr(), &mut len) }, 0);
    must_send(s, b"sync", &me);
    let mut buf = [0u8; 8];
    let b = wsabuf(&mut buf);
    let mut ov: OVERLAPPED = unsafe { zeroed() };
    ov.Internal = 0x103;
    let (mut n, mut flags) = (0u32, 0u32);
    let r = unsafe {
        WSARecvFrom(
            s,
            &b,
            1,
            &mut n,
            &mut flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut ov,
            None,
        )
    };
    assert_eq!((r, n, &buf[..4]), (0, 4, &b"sync"[..]));
    assert_eq!((ov.Internal, ov.InternalHigh), (0, 4));
}

thread_local! {
    static ORDER: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn record_order(_e: u32, _b: u32, ov: *mut OVERLAPPED, _f: u32) {
    ORDER.with(|o| o.borrow_mut().push(ov as usize));
}

/// Page: "The completion routines can be called in any order ... However, the posted buffers
/// are guaranteed to be filled in the same order they are supplied." Through WPUQueueApc as
/// through the core: the order is a seeded, recorded choice, and `explore` reaches all six
/// orders of three routines.
#[test]
fn clause_wsprecvfrom_every_routine_order() {
    let runs = winsock_sim::explore(&winsock_sim::SimBuilder::new(), 50, |sim| {
        let _g = sim.enter();
        startup();
        let t = base();
        let (rx, rx_addr) = bound("127.0.0.1:0");
        let (tx, _) = bound("127.0.0.1:0");
        let mut ps: Vec<Posted> = (0..3).map(|_| Posted::new(4)).collect();
        for p in &mut ps {
            assert_eq!(p.post(&t, rx, Some(record_order)).1, WSA_IO_PENDING);
        }
        for d in [b"a", b"b", b"c"] {
            must_send(tx, d, &rx_addr);
        }
        ORDER.with(|o| o.borrow_mut().clear());
        assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
        let ovs: Vec<usize> = ps.iter_mut().map(|p| p.ov_ptr() as usize).collect();
        let order: Vec<usize> = ORDER.with(|o| {
            o.borrow()
                .iter()
                .map(|ov| ovs.iter().position(|x| x == ov).unwrap())
                .collect()
        });
        let filled: Vec<u8> = ps.iter().map(|p| p.data[0]).collect();
        (order, filled)
    });
    let orders: std::collections::BTreeSet<Vec<usize>> =
        runs.iter().map(|r| r.result.0.clone()).collect();
    assert_eq!(orders.len(), 6);
    assert!(runs.iter().all(|r| r.result.1 == b"abc"));
}
