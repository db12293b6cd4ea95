//! Overlapped receives: WSA_IO_PENDING, OVERLAPPED fields, events, completion routines as
//! APCs in alertable waits, WSAGetOverlappedResult, and the contract checker. Each test cites
//! the clause of the WSARecvMsg page or the Windows rows of Wine's tests it reproduces.

mod common;

use std::cell::RefCell;
use std::time::Duration;

use common::*;
use kernel32::{
    GetCurrentThread, GetLastError, QueueUserAPC, SetLastError, SleepEx, WAIT_IO_COMPLETION,
};
use winsock_sim::{Diagnostic, HostId, Sim};

thread_local! {
    /// Completion routine calls on this thread: (dwError, cbTransferred, lpOverlapped, dwFlags).
    static ROUTINES: RefCell<Vec<(u32, u32, usize, u32)>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn routine(error: u32, bytes: u32, ov: *mut OVERLAPPED, flags: u32) {
    ROUTINES.with(|r| r.borrow_mut().push((error, bytes, ov as usize, flags)));
}

fn routines() -> Vec<(u32, u32, usize, u32)> {
    ROUTINES.with(|r| r.borrow_mut().drain(..).collect())
}

/// Page, return value and Overlapped Socket I/O: a receive that cannot complete at once
/// returns SOCKET_ERROR with WSA_IO_PENDING; lpNumberOfBytesRecvd may be NULL. While pending,
/// Internal is STATUS_PENDING, InternalHigh untouched (Wine test_nonblocking_async_recv), and
/// the WSAMSG is not written (Wine test_ip_pktinfo: Control.len stays 512); WSAGetOverlappedResult
/// with fWait FALSE is WSA_IO_INCOMPLETE (wine8-observations). At completion the event is set,
/// Internal 0, InternalHigh the bytes, and name, namelen, Control.len, dwFlags are written.
#[test]
fn ov_pending_then_completed_with_event() {
    let (rx, rx_addr, tx) = ov_pair();
    set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
    let ev = event();
    let mut m = OvMsg::new(64, 512, ev);
    m.ov.InternalHigh = 0xDEAD;
    m.msg.namelen = 99;
    assert_eq!(m.post(rx, None), (SOCKET_ERROR, WSA_IO_PENDING));
    assert_eq!(m.status(), (PENDING, 0xDEAD));
    assert_eq!(
        (m.msg.Control.len, m.msg.namelen),
        (512, 99),
        "written only at completion"
    );
    assert!(!signalled(ev));
    let (r, err, _, _) = overlapped_result(rx, m.ov_ptr(), false);
    assert_eq!((r, err), (0, WSA_IO_INCOMPLETE));
    must_send(tx, b"hello", &rx_addr);
    assert!(signalled(ev));
    assert_eq!(m.status(), (0, 5));
    assert_eq!(&m.data[..5], b"hello");
    assert_eq!(
        (m.msg.namelen, m.msg.Control.len, m.msg.dwFlags),
        (16, 24, 0)
    );
    assert_eq!(overlapped_result(rx, m.ov_ptr(), false), (1, 0, 5, 0));
}

/// Wine test_ip_pktinfo (Windows rows): an overlapped WSARecvMsg whose control buffer is too
/// small completes with Internal STATUS_BUFFER_OVERFLOW, InternalHigh 6, Offset/OffsetHigh
/// untouched; WSAGetOverlappedResult gives FALSE, WSAEMSGSIZE, 6 bytes, and leaves the flags
/// alone (a todo_wine row); WSAMSG.dwFlags is MSG_CTRUNC.
#[test]
fn wine_ip_pktinfo_overlapped_control_truncation() {
    let (rx, rx_addr, tx) = ov_pair();
    set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
    let ev = event();
    let mut m = OvMsg::new(64, 1, ev);
    m.ov.Internal = 0xdead1;
    m.ov.InternalHigh = 0xdead2;
    m.ov.Anonymous.Anonymous.Offset = 0xdead3;
    m.ov.Anonymous.Anonymous.OffsetHigh = 0xdead4;
    assert_eq!(m.post(rx, None), (SOCKET_ERROR, WSA_IO_PENDING));
    must_send(tx, b"HELLO\0", &rx_addr);
    assert!(signalled(ev));
    assert_eq!(m.status(), (0x8000_0005, 6));
    let off = unsafe { m.ov.Anonymous.Anonymous };
    assert_eq!((off.Offset, off.OffsetHigh), (0xdead3, 0xdead4));
    assert_eq!(
        overlapped_result(rx, m.ov_ptr(), false),
        (0, WSAEMSGSIZE, 6, 0xDEAD_BEEF)
    );
    assert_eq!(m.msg.dwFlags, MSG_CTRUNC);
}

/// A receive that can complete at once does: it returns 0, fills the OVERLAPPED, sets the event
/// and writes the byte count (Wine test_nonblocking_async_recv, wine8: "0, event set"). A
/// truncated datagram taken at once without a routine fails with WSAEMSGSIZE there and then
/// (libuv's comment on WSARecv: the caller sees WSAEMSGSIZE, winsock-facts §6.7), with the
/// OVERLAPPED holding STATUS_BUFFER_OVERFLOW and the event set.
#[test]
fn ov_immediate_completion() {
    let (rx, rx_addr, tx) = ov_pair();
    must_send(tx, b"ready", &rx_addr);
    let ev = event();
    let mut m = OvMsg::new(64, 0, ev);
    let f = recvmsg_fn(rx);
    let mut n = 0u32;
    let r = unsafe { f(rx, &mut *m.msg, &mut n, m.ov_ptr(), None) };
    assert_eq!((r, n, m.status()), (0, 5, (0, 5)));
    assert!(signalled(ev));
    must_send(tx, &[1u8; 100], &rx_addr);
    let ev2 = event();
    let mut t = OvMsg::new(10, 0, ev2);
    assert_eq!(t.post(rx, None), (SOCKET_ERROR, WSAEMSGSIZE));
    assert_eq!(t.status(), (0x8000_0005, 10));
    assert!(signalled(ev2));
}

/// Wine test_ip_pktinfo (Windows rows): with a completion routine and a datagram already
/// queued whose control data does not fit, WSARecvMsg returns WSA_IO_PENDING (a todo_wine
/// row); SleepEx(1000, TRUE) returns WAIT_IO_COMPLETION and the routine runs once with
/// (WSAEMSGSIZE, 6, &ov, 0) while WSAMSG.dwFlags says MSG_CTRUNC.
#[test]
fn wine_ip_pktinfo_routine_with_queued_truncated_datagram() {
    let (rx, rx_addr, tx) = ov_pair();
    set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
    must_send(tx, b"HELLO\0", &rx_addr);
    let mut m = OvMsg::new(64, 1, 0);
    assert_eq!(m.post(rx, Some(routine)), (SOCKET_ERROR, WSA_IO_PENDING));
    assert!(routines().is_empty());
    assert_eq!(unsafe { SleepEx(1000, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(
        routines(),
        vec![(WSAEMSGSIZE as u32, 6, m.ov_ptr() as usize, 0)]
    );
    assert_eq!(m.msg.dwFlags, MSG_CTRUNC);
}

/// Page: "The completion routine will not be invoked until the thread is in an alertable
/// wait state"; with a routine, hEvent is not signalled (Wine test_WSARecv, Windows rows);
/// SleepEx returns WAIT_IO_COMPLETION once routines ran (a non-alertable sleep runs none).
#[test]
fn clause_routine_runs_only_in_alertable_wait() {
    let (rx, rx_addr, tx) = ov_pair();
    let ev = event();
    let mut m = OvMsg::new(64, 0, ev);
    assert_eq!(m.post(rx, Some(routine)), (SOCKET_ERROR, WSA_IO_PENDING));
    must_send(tx, b"abc", &rx_addr);
    assert_eq!(m.status(), (0, 3));
    unsafe { kernel32::Sleep(5) };
    assert!(routines().is_empty(), "not in a non-alertable sleep");
    assert!(
        !signalled(ev),
        "hEvent is the caller's when a routine is given"
    );
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(routines(), vec![(0, 3, m.ov_ptr() as usize, 0)]);
    assert_eq!(unsafe { SleepEx(0, 1) }, 0, "nothing left to run");
}

/// Page, return value: "If no error occurs and the receive operation has completed
/// immediately, WSARecvMsg returns zero. In this case, the completion routine will have
/// already been scheduled to be called once the calling thread is in the alertable state."
#[test]
fn clause_immediate_completion_still_schedules_routine() {
    let (rx, rx_addr, tx) = ov_pair();
    must_send(tx, b"now", &rx_addr);
    let mut m = OvMsg::new(64, 0, 0);
    assert_eq!(m.post(rx, Some(routine)).0, 0);
    assert!(routines().is_empty());
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(routines(), vec![(0, 3, m.ov_ptr() as usize, 0)]);
}

/// Page: "the posted buffers are guaranteed to be filled in the same order in which they are
/// specified" (Wine test_simultaneous_async_recv; wine8: buf0='1', buf1='2', buf2='3').
#[test]
fn clause_posted_buffers_filled_in_order() {
    let (rx, rx_addr, tx) = ov_pair();
    let mut ms: Vec<OvMsg> = (0..3).map(|_| OvMsg::new(8, 0, event())).collect();
    for m in &mut ms {
        assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    }
    for d in [b"1", b"2", b"3"] {
        must_send(tx, d, &rx_addr);
    }
    let got: Vec<u8> = ms.iter().map(|m| m.data[0]).collect();
    assert_eq!(got, b"123");
}

/// Wine test_timeout (Windows rows): an overlapped receive ignores SO_RCVTIMEO; Wine
/// test_nonblocking_async_recv: on a non-blocking socket it still goes pending.
#[test]
fn wine_overlapped_ignores_rcvtimeo_and_nonblocking() {
    let (rx, rx_addr, tx) = ov_pair();
    set_u32(rx, SOL_SOCKET, SO_RCVTIMEO, 100);
    set_nonblocking(rx, true);
    let ev = event();
    let mut m = OvMsg::new(8, 0, ev);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    unsafe { kernel32::Sleep(200) };
    assert_eq!(m.status().0, PENDING, "still pending after the timeout");
    must_send(tx, b"x", &rx_addr);
    assert_eq!(m.status(), (0, 1));
}

/// Wine test_WSARecv (Windows rows): a completion routine on a socket with a completion port
/// is WSAEINVAL, and the routine is never called.
#[test]
fn wine_routine_on_port_socket_is_inval() {
    let (rx, _, _) = ov_pair();
    let port = unsafe { kernel32::CreateIoCompletionPort(rx as _, std::ptr::null_mut(), 1, 0) };
    assert!(!port.is_null());
    let mut m = OvMsg::new(8, 0, 0);
    assert_eq!(m.post(rx, Some(routine)), (SOCKET_ERROR, WSAEINVAL));
    unsafe { SleepEx(0, 1) };
    assert!(routines().is_empty());
}

/// Wine test_WSARecv (Windows rows): a blocking receive waits alertably — an APC queued to
/// the blocked thread runs and the receive goes on waiting; an APC queued before a receive
/// that completes at once does not run until SleepEx(0, TRUE).
#[test]
fn wine_apc_during_blocking_recv() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let me = unsafe { kernel32::GetCurrentThreadId() };
    let helper = sim.spawn(HostId::default(), move || unsafe {
        kernel32::Sleep(10);
        let h = kernel32::OpenThread(0x10, 0, me);
        assert!(!h.is_null());
        assert_eq!(QueueUserAPC(Some(apc), h, 7), 1);
        kernel32::Sleep(10);
        let (tx, _) = bound("127.0.0.1:0");
        must_send(tx, b"data", &rx_addr);
    });
    let (r, err, buf, _, _) = recv_from(rx, 8, None);
    assert_eq!((r, err, &buf[..4]), (4, 0, &b"data"[..]));
    assert_eq!(
        APCS.with(|a| a.borrow().clone()),
        vec![7],
        "ran while blocked"
    );
    helper.join().unwrap();
    // An APC queued before a receive that completes at once waits for an alertable wait.
    unsafe { QueueUserAPC(Some(apc), GetCurrentThread(), 8) };
    let (tx, _) = bound("127.0.0.1:0");
    must_send(tx, b"more", &rx_addr);
    assert_eq!(recv_from(rx, 8, None).0, 4);
    assert_eq!(APCS.with(|a| a.borrow().clone()), vec![7]);
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(APCS.with(|a| a.borrow().clone()), vec![7, 8]);
}

thread_local! {
    static APCS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn apc(data: usize) {
    APCS.with(|a| a.borrow_mut().push(data));
}

/// QueueUserAPC: the APC runs in the thread's next alertable wait, which then returns
/// WAIT_IO_COMPLETION (winsock-facts §5.10); every queued APC runs before it returns; an
/// invalid thread handle fails with ERROR_INVALID_HANDLE.
#[test]
fn doc_queue_user_apc_and_sleepex() {
    startup();
    unsafe {
        assert_eq!(QueueUserAPC(Some(apc), GetCurrentThread(), 1), 1);
        assert_eq!(QueueUserAPC(Some(apc), GetCurrentThread(), 2), 1);
        assert_eq!(SleepEx(10, 0), 0);
        assert!(APCS.with(|a| a.borrow().is_empty()));
        assert_eq!(SleepEx(10, 1), WAIT_IO_COMPLETION);
        assert_eq!(
            APCS.with(|a| a.borrow_mut().drain(..).collect::<Vec<_>>()),
            vec![1, 2]
        );
        assert_eq!(QueueUserAPC(Some(apc), 0x1234 as _, 3), 0);
        assert_eq!(GetLastError(), ERROR_INVALID_HANDLE_U32);
    }
}

const ERROR_INVALID_HANDLE_U32: u32 = 6;

/// GetLastError and WSAGetLastError read one slot (winsock-facts §1a).
#[test]
fn doc_last_error_slot_is_shared() {
    unsafe {
        WSASetLastError(10054);
        assert_eq!(GetLastError(), 10054);
        SetLastError(997);
        assert_eq!(WSAGetLastError(), 997);
    }
}

/// Page: "A completion routine may post the next receive" (the WSARecvMsg function "can be
/// called from within the completion routine"), and "for a given socket, I/O completion
/// routines will not be nested": a routine that enters an alertable wait does not run the
/// socket's next routine inside itself.
#[test]
fn clause_routine_posts_next_receive_and_never_nests() {
    let (rx, rx_addr, tx) = ov_pair();
    NEST.with(|n| n.borrow_mut().socket = rx);
    let mut first = OvMsg::new(8, 0, 0);
    assert_eq!(first.post(rx, Some(nesting_routine)).1, WSA_IO_PENDING);
    must_send(tx, b"a", &rx_addr);
    must_send(tx, b"b", &rx_addr);
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    let log = NEST.with(|n| n.borrow().log.clone());
    // The first routine posted a second receive (completed by "b" at once, so its routine was
    // queued), then waited alertably: the second routine ran only after the first returned.
    assert_eq!(
        log,
        vec!["enter", "inner wait: 0", "leave", "enter", "leave"]
    );
}

#[derive(Default)]
struct Nest {
    socket: SOCKET,
    depth: u32,
    posted: Vec<OvMsg>,
    log: Vec<String>,
}

thread_local! {
    static NEST: RefCell<Nest> = RefCell::new(Nest::default());
}

unsafe extern "system" fn nesting_routine(_e: u32, _b: u32, _ov: *mut OVERLAPPED, _f: u32) {
    let (s, depth) = NEST.with(|n| {
        let mut n = n.borrow_mut();
        n.depth += 1;
        n.log.push("enter".into());
        (n.socket, n.depth)
    });
    if depth == 1 && NEST.with(|n| n.borrow().posted.is_empty()) {
        let mut next = OvMsg::new(8, 0, 0);
        assert_eq!(next.post(s, Some(nesting_routine)).0, 0);
        NEST.with(|n| n.borrow_mut().posted.push(next));
        let r = unsafe { SleepEx(0, 1) };
        NEST.with(|n| n.borrow_mut().log.push(format!("inner wait: {r}")));
    }
    NEST.with(|n| {
        let mut n = n.borrow_mut();
        n.depth -= 1;
        n.log.push("leave".into());
    });
}

/// WSAGetOverlappedResult (Wine test_WSAGetOverlappedResult, Windows rows): a handle that is
/// not a socket is WSAENOTSOCK; with fWait TRUE it waits for the request, and the wait is not
/// alertable (a queued APC does not run).
#[test]
fn wine_getoverlappedresult_rules() {
    let (rx, rx_addr, _) = ov_pair();
    let mut m = OvMsg::new(8, 0, 0);
    assert_eq!(overlapped_result(0x1234, m.ov_ptr(), false).1, WSAENOTSOCK);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    let sender = Sim::current().spawn(HostId::default(), move || {
        unsafe { kernel32::Sleep(20) };
        let (tx, _) = bound("127.0.0.1:0");
        must_send(tx, b"late", &rx_addr);
    });
    unsafe { QueueUserAPC(Some(apc), GetCurrentThread(), 9) };
    assert_eq!(overlapped_result(rx, m.ov_ptr(), true), (1, 0, 4, 0));
    assert!(
        APCS.with(|a| a.borrow().is_empty()),
        "fWait is not alertable"
    );
    sender.join().unwrap();
    assert_eq!(
        Sim::current().now(),
        winsock_sim::Instant::from_nanos(20_000_000)
    );
}

/// WSAWaitForMultipleEvents: the lowest signalled index (wait-any), all of them (wait-all),
/// WSA_WAIT_TIMEOUT after the timeout in virtual time, WSA_WAIT_IO_COMPLETION when APCs ran
/// in an alertable wait, WSA_INVALID_PARAMETER for 0 or more than 64 events, and
/// WSA_INVALID_HANDLE for a handle that is not an event (WSAWaitForMultipleEvents page).
#[test]
fn doc_wsawaitformultipleevents() {
    startup();
    let (a, b) = (event(), event());
    let hs = [a as windows_sys::Win32::Foundation::HANDLE, b as _];
    unsafe {
        assert_eq!(WSASetEvent(b), 1);
        assert_eq!(WSAWaitForMultipleEvents(2, hs.as_ptr(), 0, 0, 0), 1);
        assert_eq!(
            WSAWaitForMultipleEvents(2, hs.as_ptr(), 1, 0, 0),
            WSA_WAIT_TIMEOUT
        );
        WSASetEvent(a);
        assert_eq!(WSAWaitForMultipleEvents(2, hs.as_ptr(), 0, 0, 0), 0);
        assert_eq!(WSAWaitForMultipleEvents(2, hs.as_ptr(), 1, 0, 0), 0);
        assert_eq!(WSAResetEvent(a), 1);
        assert_eq!(WSAResetEvent(b), 1);
        let t0 = Sim::current().now();
        assert_eq!(
            WSAWaitForMultipleEvents(2, hs.as_ptr(), 0, 75, 0),
            WSA_WAIT_TIMEOUT
        );
        assert_eq!(Sim::current().now() - t0, Duration::from_millis(75));
        QueueUserAPC(Some(apc), GetCurrentThread(), 4);
        assert_eq!(
            WSAWaitForMultipleEvents(2, hs.as_ptr(), 0, WSA_INFINITE, 1),
            WSA_WAIT_IO_COMPLETION as u32
        );
        assert_eq!(
            APCS.with(|a| a.borrow_mut().drain(..).collect::<Vec<_>>()),
            vec![4]
        );
        assert_eq!(
            WSAWaitForMultipleEvents(0, hs.as_ptr(), 0, 0, 0),
            WSA_WAIT_FAILED
        );
        assert_eq!(WSAGetLastError(), WSA_INVALID_PARAMETER);
        let bogus = [0x1234 as windows_sys::Win32::Foundation::HANDLE];
        assert_eq!(
            WSAWaitForMultipleEvents(1, bogus.as_ptr(), 0, 0, 0),
            WSA_WAIT_FAILED
        );
        assert_eq!(WSAGetLastError(), WSA_INVALID_HANDLE);
        assert_eq!(WSACloseEvent(a), 1);
        assert_eq!(WSACloseEvent(a), 0);
        assert_eq!(WSAGetLastError(), WSA_INVALID_HANDLE);
    }
}

/// Auto-reset events (CreateEventW) are reset by the wait they satisfy; WaitForSingleObject
/// on a handle that is not an event fails with ERROR_INVALID_HANDLE.
#[test]
fn doc_auto_reset_event() {
    use kernel32::{CreateEventW, SetEvent, WaitForSingleObject};
    startup();
    unsafe {
        let e = CreateEventW(std::ptr::null(), 0, 1, std::ptr::null());
        assert!(!e.is_null());
        assert_eq!(WaitForSingleObject(e, 0), 0);
        assert_eq!(WaitForSingleObject(e, 0), 0x102, "reset by the first wait");
        assert_eq!(SetEvent(e), 1);
        assert_eq!(WaitForSingleObject(e, 0), 0);
        let s = udp(AF_INET);
        assert_eq!(WaitForSingleObject(s as _, 0), u32::MAX);
        assert_eq!(GetLastError(), ERROR_INVALID_HANDLE_U32);
    }
}

/// Page, WSAEWOULDBLOCK: "Overlapped sockets: There are too many outstanding overlapped I/O
/// requests." The limit is a simulation setting (none by default).
#[test]
fn clause_too_many_outstanding_requests() {
    let sim = Sim::builder().max_outstanding(2).build();
    let _g = sim.enter();
    let (rx, _, _) = ov_pair();
    let mut ms: Vec<OvMsg> = (0..3).map(|_| OvMsg::new(8, 0, 0)).collect();
    assert_eq!(ms[0].post(rx, None).1, WSA_IO_PENDING);
    assert_eq!(ms[1].post(rx, None).1, WSA_IO_PENDING);
    assert_eq!(ms[2].post(rx, None), (SOCKET_ERROR, WSAEWOULDBLOCK));
}

/// An ICMP port unreachable reaching a socket with a pending receive completes it with
/// STATUS_PORT_UNREACHABLE: WSAECONNRESET through WSAGetOverlappedResult (Wine map_status),
/// ERROR_PORT_UNREACHABLE through GetOverlappedResult (winsock-facts §1c; CPython 91227).
#[test]
fn doc_icmp_completes_pending_receive() {
    let (rx, rx_addr, _) = ov_pair();
    let mut m = OvMsg::new(8, 0, event());
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    must_send(rx, b"?", &rx_addr.with_port(9));
    assert_eq!(m.status(), (0xC000_023F, 0));
    assert_eq!(overlapped_result(rx, m.ov_ptr(), false).1, WSAECONNRESET);
    let mut n = 0u32;
    assert_eq!(
        unsafe { kernel32::GetOverlappedResult(rx as _, m.ov_ptr(), &mut n, 0) },
        0
    );
    assert_eq!(unsafe { GetLastError() }, 1234);
}

/// WSARecvFrom, overlapped: lpFrom and lpFromlen are written only at completion, and the
/// result (bytes, flags) is read with WSAGetOverlappedResult (WSARecvFrom page).
#[test]
fn doc_wsarecvfrom_overlapped_writes_name_at_completion() {
    let (rx, rx_addr, tx) = ov_pair();
    let mut buf = vec![FILL; 8];
    let wsabuf = WSABUF {
        len: 8,
        buf: buf.as_mut_ptr(),
    };
    let mut from: Box<SOCKADDR_STORAGE> = Box::new(unsafe { std::mem::zeroed() });
    let mut fromlen = Box::new(128i32);
    let mut flags = Box::new(0u32);
    let mut ov: Box<OVERLAPPED> = Box::new(unsafe { std::mem::zeroed() });
    let r = unsafe {
        WSARecvFrom(
            rx,
            &wsabuf,
            1,
            std::ptr::null_mut(),
            &mut *flags,
            &mut *from as *mut _ as _,
            &mut *fromlen,
            &mut *ov,
            None,
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSA_IO_PENDING));
    assert_eq!((*fromlen, from.ss_family), (128, 0));
    must_send(tx, b"x", &rx_addr);
    assert_eq!(*fromlen, 16);
    assert_eq!(from.ss_family, AF_INET);
    assert_eq!(overlapped_result(rx, &*ov, false), (1, 0, 1, 0));
    assert_eq!(buf[0], b'x');
}

/// Contract checker: an OVERLAPPED posted again while in flight is reported.
#[test]
fn checker_overlapped_reused_in_flight() {
    let (rx, _, _) = ov_pair();
    let mut m = OvMsg::new(8, 0, 0);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    assert!(Sim::current().diagnostics().iter().any(|d| d.diagnostic
        == Diagnostic::OverlappedReused {
            handle: rx,
            request: 1
        }));
}

/// Contract checker: a non-NULL byte-count pointer with an OVERLAPPED draws a warning (page:
/// "To avoid potentially erroneous results, pass NULL").
#[test]
fn checker_byte_count_with_overlapped_warns() {
    let (rx, _, _) = ov_pair();
    let mut m = OvMsg::new(8, 0, 0);
    let f = recvmsg_fn(rx);
    let mut n = 0u32;
    assert_eq!(
        unsafe { f(rx, &mut *m.msg, &mut n, m.ov_ptr(), None) },
        SOCKET_ERROR
    );
    assert!(Sim::current()
        .diagnostics()
        .iter()
        .any(|d| d.diagnostic == Diagnostic::ByteCountWithOverlapped { call: "WSARecvMsg" }));
}

/// Contract checker: WSAGetOverlappedResult with fWait TRUE for a request with a completion
/// routine is reported (page: "may not set the fWait parameter ... to TRUE").
#[test]
fn checker_fwait_with_completion_routine() {
    let (rx, rx_addr, _) = ov_pair();
    let mut m = OvMsg::new(8, 0, 0);
    assert_eq!(m.post(rx, Some(routine)).1, WSA_IO_PENDING);
    let sender = Sim::current().spawn(HostId::default(), move || {
        unsafe { kernel32::Sleep(1) };
        let (tx, _) = bound("127.0.0.1:0");
        must_send(tx, b"x", &rx_addr);
    });
    assert_eq!(overlapped_result(rx, m.ov_ptr(), true).0, 1);
    sender.join().unwrap();
    assert!(Sim::current()
        .diagnostics()
        .iter()
        .any(|d| d.diagnostic == Diagnostic::WaitWithCompletionRoutine { handle: rx }));
    routines();
}

thread_local! {
    static IN_APC: RefCell<Option<(SOCKET, i32, i32)>> = const { RefCell::new(None) };
}

unsafe extern "system" fn blocking_apc(s: usize) {
    let (r, err, _, _, _) = recv_from(s, 8, None);
    IN_APC.with(|x| *x.borrow_mut() = Some((s, r, err)));
}

/// Contract checker: a blocking Winsock call inside an APC that interrupted a blocking Winsock
/// call (page, Note: undefined behaviour) fails with WSAEINPROGRESS and is reported.
#[test]
fn checker_blocking_call_inside_apc() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (a, a_addr) = bound("127.0.0.1:0");
    let (b, _) = bound("127.0.0.1:0");
    let me = unsafe { kernel32::GetCurrentThreadId() };
    let helper = sim.spawn(HostId::default(), move || unsafe {
        kernel32::Sleep(5);
        let h = kernel32::OpenThread(0x10, 0, me);
        QueueUserAPC(Some(blocking_apc), h, b);
        kernel32::Sleep(5);
        let (tx, _) = bound("127.0.0.1:0");
        must_send(tx, b"end", &a_addr);
    });
    assert_eq!(recv_from(a, 8, None).0, 3);
    helper.join().unwrap();
    assert_eq!(
        IN_APC.with(|x| *x.borrow()),
        Some((b, SOCKET_ERROR, WSAEINPROGRESS))
    );
    assert!(sim
        .diagnostics()
        .iter()
        .any(|d| d.diagnostic == Diagnostic::BlockingCallInApc { call: "recvfrom" }));
}

/// Contract checker: two threads receiving on one socket at once (page: "should not be called
/// on the same socket simultaneously from different threads").
#[test]
fn checker_two_threads_receiving_at_once() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let other = sim.spawn(HostId::default(), move || recv_from(rx, 8, None).0);
    unsafe { kernel32::Sleep(1) };
    let mine = recv_from_nonblocking_after_block(rx, rx_addr);
    assert_eq!(other.join().unwrap(), 1);
    assert_eq!(mine, 1);
    assert!(sim.diagnostics().iter().any(
        |d| matches!(d.diagnostic, Diagnostic::ConcurrentReceive { handle, .. } if handle == rx)
    ));
}

/// Starts a second blocking receive while the other thread is blocked, then lets one datagram
/// in for each.
fn recv_from_nonblocking_after_block(rx: SOCKET, rx_addr: Addr) -> i32 {
    let (tx, _) = bound("127.0.0.1:0");
    let sim = Sim::current();
    let feeder = sim.spawn(HostId::default(), move || unsafe {
        kernel32::Sleep(1);
        must_send(tx, b"1", &rx_addr);
        must_send(tx, b"2", &rx_addr);
    });
    let r = recv_from(rx, 8, None).0;
    feeder.join().unwrap();
    r
}

/// Page: "it is the Winsock service provider's responsibility to capture this WSABUF
/// structure before returning from this call", so a stack-based WSABUF array may be reused
/// once the call returned: the pending receive still fills the buffers it named.
#[test]
fn clause_wsabuf_array_captured_at_post() {
    let (rx, rx_addr, tx) = ov_pair();
    let mut m = OvMsg::new(8, 0, 0);
    let mut other = [0u8; 8];
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    *m.wsabuf = wsabuf(&mut other);
    must_send(tx, b"kept", &rx_addr);
    assert_eq!(&m.data[..4], b"kept");
    assert_eq!(other, [0; 8]);
}

/// Page, Remarks: on an overlapped socket the call is overlapped unless both lpOverlapped and
/// lpCompletionRoutine are NULL (then it is a plain blocking call); a completion routine
/// without an OVERLAPPED has nothing to report through and is WSAEFAULT (lpOverlapped "not
/// totally contained in a valid part of the user address space").
#[test]
fn clause_overlapped_unless_both_null() {
    let (rx, rx_addr, tx) = ov_pair();
    let f = recvmsg_fn(rx);
    let mut m = OvMsg::new(8, 0, 0);
    let mut n = 0u32;
    let r = unsafe { f(rx, &mut *m.msg, &mut n, std::ptr::null_mut(), Some(routine)) };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSAEFAULT));
    must_send(tx, b"sync", &rx_addr);
    let r = unsafe { f(rx, &mut *m.msg, &mut n, std::ptr::null_mut(), None) };
    assert_eq!((r, n), (0, 4), "both NULL: synchronous");
    assert_eq!(m.ov.Internal, 0, "the OVERLAPPED was not used");
}

/// Page, Overlapped Socket I/O: "If the overlapped operation is successfully initiated and
/// will complete later ... lpNumberOfBytesRecvd is not updated". "Flag values are obtained by
/// examining the lpdwFlags parameter of WSAGetOverlappedResult": for WSARecvMsg the output
/// flags (here MSG_BCAST) are in WSAMSG.dwFlags (facts §6.2), while lpdwFlags carries only
/// what the completion status implies (MSG_PARTIAL, MSG_OOB), none for UDP.
#[test]
fn clause_pending_leaves_byte_count_and_reports_flags_later() {
    let sim = Sim::builder().host("lan", &["10.0.0.1/24"]).build();
    let _g = sim.enter();
    startup();
    let (rx, _) = overlapped_socket("0.0.0.0:5000");
    let (tx, _) = bound("10.0.0.1:0");
    set_u32(tx, SOL_SOCKET, SO_BROADCAST, 1);
    let f = recvmsg_fn(rx);
    let mut m = OvMsg::new(8, 0, 0);
    let mut n = 0x5555u32;
    let r = unsafe { f(rx, &mut *m.msg, &mut n, m.ov_ptr(), None) };
    assert_eq!((r, last_error(), n), (SOCKET_ERROR, WSA_IO_PENDING, 0x5555));
    must_send(tx, b"all", &addr("10.0.0.255:5000"));
    assert_eq!(n, 0x5555, "not written at completion either");
    assert_eq!(overlapped_result(rx, m.ov_ptr(), false), (1, 0, 3, 0));
    assert_eq!(m.msg.dwFlags, MSG_BCAST);
}

/// dwFlags page: MSG_PEEK "is valid only for non-overlapped sockets". The simulator accepts
/// it on an overlapped receive: the request completes with a copy and the datagram stays for
/// the next receive, including a pending receive posted after it (no Windows evidence either
/// way; documented in CONTRACT.md).
#[test]
fn sim_overlapped_peek_leaves_datagram() {
    let (rx, rx_addr, tx) = ov_pair();
    let mut peek = OvMsg::new(8, 0, 0);
    peek.msg.dwFlags = MSG_PEEK as u32;
    let mut take = OvMsg::new(8, 0, 0);
    assert_eq!(peek.post(rx, None).1, WSA_IO_PENDING);
    assert_eq!(take.post(rx, None).1, WSA_IO_PENDING);
    must_send(tx, b"both", &rx_addr);
    assert_eq!((peek.status(), take.status()), ((0, 4), (0, 4)));
    assert_eq!(
        (&peek.data[..4], &take.data[..4]),
        (&b"both"[..], &b"both"[..])
    );
    set_nonblocking(rx, true);
    assert_eq!(
        recv_from(rx, 8, None).1,
        WSAEWOULDBLOCK,
        "taken by the second"
    );
}

/// Page, WSA_OPERATION_ABORTED: "The overlapped operation has been canceled due to the
/// closure of the socket." The completion routine gets it in the next alertable wait, and
/// GetOverlappedResult, which reads only the OVERLAPPED, reports ERROR_OPERATION_ABORTED
/// after the handle is gone (afd.c test_recv: STATUS_CANCELLED for UDP).
#[test]
fn clause_operation_aborted_on_close() {
    let (rx, _, _) = ov_pair();
    let mut m = OvMsg::new(8, 0, 0);
    assert_eq!(m.post(rx, Some(routine)).1, WSA_IO_PENDING);
    close(rx);
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(
        routines(),
        vec![(WSA_OPERATION_ABORTED as u32, 0, m.ov_ptr() as usize, 0)]
    );
    let mut n = 0xDEAD_u32;
    let r = unsafe { kernel32::GetOverlappedResult(rx as _, m.ov_ptr(), &mut n, 0) };
    assert_eq!((r, unsafe { GetLastError() }, n), (0, 995, 0));
}

/// WSARecv, overlapped (WSARecv page, Overlapped Socket I/O): pending, then completed into
/// the scatter buffers with the event set; a receive that completes at once returns 0 and
/// writes the byte count and *lpFlags (no flags for UDP); a routine gets the same results.
#[test]
fn doc_wsarecv_overlapped() {
    let (rx, rx_addr, tx) = ov_pair();
    let (mut a, mut b) = ([FILL; 2], [FILL; 8]);
    let bufs = [wsabuf(&mut a), wsabuf(&mut b)];
    let ev = event();
    let mut ov: Box<OVERLAPPED> = Box::new(unsafe { std::mem::zeroed() });
    ov.hEvent = ev as _;
    let mut flags = 0u32;
    let r = unsafe {
        WSARecv(
            rx,
            bufs.as_ptr(),
            2,
            std::ptr::null_mut(),
            &mut flags,
            &mut *ov,
            None,
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSA_IO_PENDING));
    must_send(tx, b"scatter", &rx_addr);
    assert!(signalled(ev));
    assert_eq!((ov.Internal, ov.InternalHigh), (0, 7));
    assert_eq!((&a, &b[..5]), (b"sc", &b"atter"[..]));
    must_send(tx, b"now", &rx_addr);
    let (mut n, mut flags) = (0u32, 0u32);
    let r = unsafe { WSARecv(rx, bufs.as_ptr(), 2, &mut n, &mut flags, &mut *ov, None) };
    assert_eq!((r, n, flags), (0, 3, 0));
    let r = unsafe {
        WSARecv(
            rx,
            bufs.as_ptr(),
            2,
            std::ptr::null_mut(),
            &mut flags,
            &mut *ov,
            Some(routine),
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSA_IO_PENDING));
    must_send(tx, b"r", &rx_addr);
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(routines(), vec![(0, 1, &*ov as *const _ as usize, 0)]);
}

/// LPWSPRECVFROM page: the provider runs a WSARecvFrom's completion routine through the
/// WPUQueueApc upcall, in the issuing thread's alertable wait, whichever thread's send
/// completed the receive. Here a thread outside the simulation sends through the safe API:
/// the upcall cannot be made under the lock for a thread whose simulation is another, so
/// it is made once the world is unlocked, and must still reach this simulation's thread.
#[test]
fn clause_routine_runs_when_a_thread_outside_completes_it() {
    let (rx, rx_addr, _tx) = ov_pair();
    let mut buf = [0u8; 8];
    let wsabuf = WSABUF {
        len: 8,
        buf: buf.as_mut_ptr(),
    };
    let mut flags = 0u32;
    let mut ov: Box<OVERLAPPED> = Box::new(unsafe { std::mem::zeroed() });
    let r = unsafe {
        WSARecvFrom(
            rx,
            &wsabuf,
            1,
            std::ptr::null_mut(),
            &mut flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut *ov,
            Some(routine),
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSA_IO_PENDING));
    let sim = Sim::current();
    let to = rx_addr.to_std();
    std::thread::spawn(move || {
        let local = "127.0.0.1:0".parse().unwrap();
        let tx = winsock_sim::api::Socket::bind_udp(&sim, HostId::default(), local).unwrap();
        assert_eq!(tx.send_to(b"abc", to).unwrap(), 3);
    })
    .join()
    .unwrap();
    assert_eq!((ov.Internal, ov.InternalHigh), (0, 3));
    assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
    assert_eq!(routines(), vec![(0, 3, &*ov as *const _ as usize, 0)]);
}
