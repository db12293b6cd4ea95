//! Completion ports and cancellation: GetQueuedCompletionStatus(Ex), PostQueuedCompletionStatus,
//! FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, the hEvent low-bit rule, closesocket with receives
//! pending, CancelIo / CancelIoEx, and thread exit. Each test cites the Windows rows of Wine's
//! tests or the documentation page it reproduces.

mod common;

use std::time::Duration;

use common::*;
use kernel32::{
    CancelIo, CancelIoEx, CloseHandle, CreateIoCompletionPort, GetQueuedCompletionStatusEx,
    PostQueuedCompletionStatus, SetFileCompletionNotificationModes, ERROR_ABANDONED_WAIT_0,
    ERROR_INVALID_PARAMETER, ERROR_MORE_DATA, ERROR_NOT_FOUND, ERROR_OPERATION_ABORTED,
    ERROR_PORT_UNREACHABLE, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, INVALID_HANDLE_VALUE,
    OVERLAPPED_ENTRY, WAIT_IO_COMPLETION, WAIT_TIMEOUT,
};
use winsock_sim::{CancelledError, CloseStatus, HostId, Sim};

const STATUS_CANCELLED: usize = 0xC000_0120;
const STATUS_BUFFER_OVERFLOW: usize = 0x8000_0005;

fn null_port() -> kernel32::HANDLE {
    unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, std::ptr::null_mut(), 0, 0) }
}

/// Wine test_completion_port and iocp_async_read (Windows rows): a GetQueuedCompletionStatus
/// that times out returns FALSE with WAIT_TIMEOUT, sets *lpOverlapped to NULL and leaves the
/// byte count and key untouched. The timeout runs in virtual time.
#[test]
fn wine_gqcs_timeout_leaves_outputs() {
    let (rx, _, _) = ov_pair();
    let port = port_for(rx, 125);
    let t0 = Sim::current().now();
    let d = gqcs(port, 250);
    assert_eq!(
        d,
        Dequeued {
            ok: 0,
            err: WAIT_TIMEOUT,
            bytes: 0xDEAD_BEEF,
            key: 0xDEAD_BEEF,
            ov: 0
        }
    );
    assert_eq!(Sim::current().now() - t0, Duration::from_millis(250));
}

/// Wine test_completion_port ("successful immediate read"): a receive that completes at once
/// on a socket with a port still queues its packet; GetQueuedCompletionStatus returns TRUE
/// with the bytes, the key and the OVERLAPPED.
#[test]
fn wine_immediate_success_queues_packet() {
    let (rx, rx_addr, tx) = ov_pair();
    let port = port_for(rx, 7);
    must_send(tx, b"now", &rx_addr);
    let mut m = OvMsg::new(16, 0, 0);
    assert_eq!(m.post(rx, None), (0, 0));
    let ov = m.ov_ptr() as usize;
    assert_eq!(
        gqcs(port, 0),
        Dequeued {
            ok: 1,
            err: 0,
            bytes: 3,
            key: 7,
            ov
        }
    );
}

/// Wine test_completion_port (WSARecv failing at once with WSAECONNRESET, Windows rows): a
/// call that fails at once queues nothing. Here the failure is a queued ICMP port
/// unreachable, reported by the next receive (WSARecvMsg page, WSAECONNRESET).
#[test]
fn wine_immediate_failure_queues_nothing() {
    let (rx, _, tx) = ov_pair();
    let port = port_for(rx, 7);
    let nobody = bound("127.0.0.1:0");
    close(nobody.0);
    must_send(rx, b"ping", &nobody.1);
    let mut m = OvMsg::new(16, 0, 0);
    assert_eq!(m.post(rx, None), (SOCKET_ERROR, WSAECONNRESET));
    assert_eq!(gqcs(port, 0).err, WAIT_TIMEOUT);
    close(tx);
}

/// GetQueuedCompletionStatus page: a packet for a failed request returns FALSE, with the
/// request's error in GetLastError and the bytes, key and OVERLAPPED written (Wine
/// test_completion_port for a reset TCP receive, test_base_handle for UDP, Windows rows). An
/// ICMP port unreachable completes the pending receive with STATUS_PORT_UNREACHABLE
/// (ERROR_PORT_UNREACHABLE); a truncated datagram with STATUS_BUFFER_OVERFLOW, a warning, so
/// FALSE and ERROR_MORE_DATA with the truncated count.
#[test]
fn doc_gqcs_failed_packet_writes_outputs() {
    let (rx, rx_addr, tx) = ov_pair();
    let port = port_for(rx, 3);
    let mut m = OvMsg::new(4, 0, 0);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    let nobody = bound("127.0.0.1:0");
    close(nobody.0);
    must_send(rx, b"ping", &nobody.1);
    let ov = m.ov_ptr() as usize;
    assert_eq!(
        gqcs(port, 0),
        Dequeued {
            ok: 0,
            err: ERROR_PORT_UNREACHABLE,
            bytes: 0,
            key: 3,
            ov
        }
    );
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    must_send(tx, b"too long", &rx_addr);
    assert_eq!(
        gqcs(port, 0),
        Dequeued {
            ok: 0,
            err: ERROR_MORE_DATA,
            bytes: 4,
            key: 3,
            ov
        }
    );
    assert_eq!(m.status(), (STATUS_BUFFER_OVERFLOW, 4));
}

/// SetFileCompletionNotificationModes page: with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS, a
/// request that "returns immediately with success" queues no packet; one that goes pending
/// still does, and so does an immediate truncation (STATUS_BUFFER_OVERFLOW is a warning, not
/// a success: the call fails with WSAEMSGSIZE). Unknown flags are ERROR_INVALID_PARAMETER.
#[test]
fn doc_skip_completion_port_on_success() {
    let (rx, rx_addr, tx) = ov_pair();
    let port = port_for(rx, 1);
    unsafe {
        assert_eq!(SetFileCompletionNotificationModes(rx as _, 0x80), 0);
        assert_eq!(kernel32::GetLastError(), ERROR_INVALID_PARAMETER);
        assert_eq!(
            SetFileCompletionNotificationModes(rx as _, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS as u8),
            1
        );
    }
    must_send(tx, b"now", &rx_addr);
    let mut m = OvMsg::new(16, 0, 0);
    assert_eq!(m.post(rx, None), (0, 0));
    assert_eq!(gqcs(port, 0).err, WAIT_TIMEOUT, "no packet for a success");
    must_send(tx, &[9u8; 40], &rx_addr);
    assert_eq!(m.post(rx, None), (SOCKET_ERROR, WSAEMSGSIZE));
    assert_eq!(gqcs(port, 0).err, ERROR_MORE_DATA, "a warning still queues");
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    must_send(tx, b"later", &rx_addr);
    let d = gqcs(port, 0);
    assert_eq!((d.ok, d.bytes), (1, 5), "a pending request still queues");
}

/// Wine test_connect_completion_port / test_shutdown_completion_port ("suppress completion by
/// setting the low bit", Windows rows): with hEvent's low bit set, the event is still
/// signalled and no packet is queued.
#[test]
fn wine_low_bit_event_suppresses_packet() {
    let (rx, rx_addr, tx) = ov_pair();
    let port = port_for(rx, 1);
    let ev = event();
    let mut m = OvMsg::new(16, 0, ev | 1);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    must_send(tx, b"x", &rx_addr);
    assert!(signalled(ev));
    assert_eq!(gqcs(port, 0).err, WAIT_TIMEOUT);
    assert_eq!(m.status(), (0, 1));
}

/// GetQueuedCompletionStatusEx page: removes up to ulCount packets in queue order and returns
/// TRUE, with each entry's Internal holding the request's status (a failed one included);
/// ulCount 0 is ERROR_INVALID_PARAMETER; an alertable wait that ran APCs returns FALSE with
/// WAIT_IO_COMPLETION and no entries.
#[test]
fn doc_gqcs_ex() {
    let (rx, rx_addr, tx) = ov_pair();
    let port = port_for(rx, 4);
    let mut a = OvMsg::new(2, 0, 0);
    let mut b = OvMsg::new(8, 0, 0);
    assert_eq!(a.post(rx, None).1, WSA_IO_PENDING);
    assert_eq!(b.post(rx, None).1, WSA_IO_PENDING);
    must_send(tx, b"long", &rx_addr);
    must_send(tx, b"ok", &rx_addr);
    let mut entries: [OVERLAPPED_ENTRY; 4] = unsafe { std::mem::zeroed() };
    let mut n = 99u32;
    let r = unsafe { GetQueuedCompletionStatusEx(port, entries.as_mut_ptr(), 4, &mut n, 0, 0) };
    assert_eq!((r, n), (1, 2));
    let got: Vec<_> = entries[..2]
        .iter()
        .map(|e| {
            (
                e.lpCompletionKey,
                e.lpOverlapped as usize,
                e.Internal,
                e.dwNumberOfBytesTransferred,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (4, a.ov_ptr() as usize, STATUS_BUFFER_OVERFLOW, 2),
            (4, b.ov_ptr() as usize, 0, 2)
        ]
    );
    unsafe {
        assert_eq!(
            GetQueuedCompletionStatusEx(port, entries.as_mut_ptr(), 0, &mut n, 0, 0),
            0
        );
        assert_eq!(kernel32::GetLastError(), ERROR_INVALID_PARAMETER);
        kernel32::QueueUserAPC(Some(noop_apc), kernel32::GetCurrentThread(), 0);
        n = 99;
        assert_eq!(
            GetQueuedCompletionStatusEx(port, entries.as_mut_ptr(), 4, &mut n, 1000, 1),
            0
        );
        assert_eq!((kernel32::GetLastError(), n), (WAIT_IO_COMPLETION, 0));
    }
}

unsafe extern "system" fn noop_apc(_: usize) {}

/// PostQueuedCompletionStatus page: the caller's packet comes back as posted, first in first
/// out; a port closed while a thread waits on it ends the wait with ERROR_ABANDONED_WAIT_0
/// (GetQueuedCompletionStatus page).
#[test]
fn doc_post_queued_completion_status_and_close() {
    let sim = Sim::new();
    let _g = sim.enter();
    let port = null_port();
    unsafe {
        assert_eq!(PostQueuedCompletionStatus(port, 11, 21, 0x1000 as _), 1);
        assert_eq!(PostQueuedCompletionStatus(port, 12, 22, 0x2000 as _), 1);
    }
    let d = gqcs(port, 0);
    assert_eq!((d.ok, d.bytes, d.key, d.ov), (1, 11, 21, 0x1000));
    assert_eq!(gqcs(port, 0).bytes, 12);
    let p = port as usize;
    let closer = sim.spawn(HostId::default(), move || unsafe {
        kernel32::Sleep(10);
        CloseHandle(p as _)
    });
    let d = gqcs(port, kernel32::INFINITE);
    assert_eq!((d.ok, d.err, d.ov), (0, ERROR_ABANDONED_WAIT_0, 0));
    assert_eq!(closer.join().unwrap(), 1);
}

/// "I/O Completion Ports" page: threads blocked on a port are released last in, first out.
#[test]
fn doc_port_waiters_are_lifo() {
    let sim = Sim::new();
    let _g = sim.enter();
    let port = null_port() as usize;
    let waiter = |delay: u32| {
        sim.spawn(HostId::default(), move || {
            unsafe { kernel32::Sleep(delay) };
            gqcs(port as _, kernel32::INFINITE).key
        })
    };
    let first = waiter(1);
    let second = waiter(2);
    unsafe {
        kernel32::Sleep(10);
        PostQueuedCompletionStatus(port as _, 0, 1, std::ptr::null());
        kernel32::Sleep(10);
        PostQueuedCompletionStatus(port as _, 0, 2, std::ptr::null());
    }
    assert_eq!((first.join().unwrap(), second.join().unwrap()), (2, 1));
}

/// A socket belongs to one port at most: a second association is ERROR_INVALID_PARAMETER
/// (CreateIoCompletionPort page: "a handle can be associated with only one I/O completion
/// port").
#[test]
fn doc_second_association_is_invalid() {
    let (rx, _, _) = ov_pair();
    let port = port_for(rx, 1);
    let r = unsafe { CreateIoCompletionPort(rx as _, port, 2, 0) };
    assert!(r.is_null());
    assert_eq!(unsafe { kernel32::GetLastError() }, ERROR_INVALID_PARAMETER);
}

/// afd.c test_recv ("closing a socket during an async", UDP, Windows rows): closesocket
/// completes a pending receive with STATUS_CANCELLED; its event is set and a packet queued,
/// even when the socket was associated with the port after the receive was posted (Wine
/// test_completion_port, "IOCP created after AcceptEx": ERROR_OPERATION_ABORTED and Internal
/// STATUS_CANCELLED).
#[test]
fn wine_close_with_pending_receive_cancels() {
    let (rx, _, _) = ov_pair();
    let ev = event();
    let mut m = OvMsg::new(16, 0, ev);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    let port = port_for(rx, 9);
    close(rx);
    assert!(signalled(ev));
    assert_eq!(m.status(), (STATUS_CANCELLED, 0));
    let ov = m.ov_ptr() as usize;
    assert_eq!(
        gqcs(port, 0),
        Dequeued {
            ok: 0,
            err: ERROR_OPERATION_ABORTED,
            bytes: 0,
            key: 9,
            ov
        }
    );
}

/// Real systems disagree on what closesocket completes a pending receive with (Windows UDP:
/// STATUS_CANCELLED; Windows TCP, Wine iocp_async_read_closesocket: STATUS_CONNECTION_ABORTED;
/// Wine 8: STATUS_HANDLES_CLOSED), so it is a per-simulation choice.
#[test]
fn choice_close_status() {
    for (choice, internal, err) in [
        (
            CloseStatus::Cancelled,
            STATUS_CANCELLED,
            ERROR_OPERATION_ABORTED,
        ),
        (CloseStatus::ConnectionAborted, 0xC000_0241, 1236),
        (CloseStatus::HandlesClosed, 0x8000_000A, 676),
    ] {
        let sim = Sim::builder().close_status(choice).build();
        let _g = sim.enter();
        let (rx, _, _) = ov_pair();
        let mut m = OvMsg::new(16, 0, 0);
        assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
        let port = port_for(rx, 1);
        close(rx);
        assert_eq!(m.status().0, internal, "{choice:?}");
        assert_eq!(gqcs(port, 0).err, err, "{choice:?}");
    }
}

/// Wine test_send_buffering_thread (Windows rows): CancelIoEx with nothing to cancel is FALSE
/// with ERROR_NOT_FOUND; CancelIo is TRUE anyway. CancelIoEx page: with an OVERLAPPED it
/// cancels that request only; with NULL every request on the handle. A cancelled request has
/// Internal STATUS_CANCELLED, its event set, and WSAGetOverlappedResult says
/// WSA_OPERATION_ABORTED (Wine test_WSAGetOverlappedResult map).
#[test]
fn wine_cancel_io_ex_and_cancel_io() {
    let (rx, _, _) = ov_pair();
    unsafe {
        assert_eq!(CancelIoEx(rx as _, std::ptr::null()), 0);
        assert_eq!(kernel32::GetLastError(), ERROR_NOT_FOUND);
        assert_eq!(CancelIo(rx as _), 1);
    }
    let evs = [event(), event(), event()];
    let mut ms: Vec<_> = evs.iter().map(|&e| OvMsg::new(8, 0, e)).collect();
    for m in &mut ms {
        assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    }
    assert_eq!(unsafe { CancelIoEx(rx as _, ms[1].ov_ptr()) }, 1);
    assert_eq!(
        evs.map(signalled),
        [false, true, false],
        "only the one named"
    );
    assert_eq!(ms[1].status(), (STATUS_CANCELLED, 0));
    assert_eq!(
        overlapped_result(rx, ms[1].ov_ptr(), false),
        (0, WSA_OPERATION_ABORTED, 0, 0xDEAD_BEEF)
    );
    assert_eq!(
        unsafe { CancelIoEx(rx as _, ms[1].ov_ptr()) },
        0,
        "already done"
    );
    assert_eq!(unsafe { CancelIoEx(rx as _, std::ptr::null()) }, 1);
    assert_eq!(evs.map(signalled), [true, true, true]);
    assert_eq!(ms[2].status().0, STATUS_CANCELLED);
}

/// CancelIo page: it cancels the requests the calling thread issued on the handle, not
/// another thread's.
#[test]
fn doc_cancel_io_only_the_calling_threads() {
    let sim = Sim::new();
    let _g = sim.enter();
    let (rx, rx_addr, tx) = ov_pair();
    let mut mine = OvMsg::new(8, 0, 0);
    let mut theirs = OvMsg::new(8, 0, 0);
    assert_eq!(mine.post(rx, None).1, WSA_IO_PENDING);
    let addr = &mut theirs as *mut OvMsg as usize;
    let other = sim.spawn(HostId::default(), move || {
        // SAFETY: the OvMsg lives in the test's frame until after the join below.
        let m = unsafe { &mut *(addr as *mut OvMsg) };
        assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
        // Stay alive until the datagram arrives, so thread exit cancels nothing.
        unsafe { kernel32::Sleep(100) };
    });
    unsafe { kernel32::Sleep(10) };
    assert_eq!(unsafe { CancelIo(rx as _) }, 1);
    assert_eq!(mine.status().0, STATUS_CANCELLED);
    assert_eq!(theirs.status().0, PENDING);
    must_send(tx, b"x", &rx_addr);
    assert_eq!(theirs.status(), (0, 1));
    other.join().unwrap();
}

/// Real systems disagree on the Winsock error for STATUS_CANCELLED (Windows:
/// WSA_OPERATION_ABORTED; msafd-style tables: WSAEINTR), so it is a per-simulation choice;
/// the completion routine gets the same error.
#[test]
fn choice_cancelled_error() {
    let sim = Sim::builder().cancelled_error(CancelledError::Intr).build();
    let _g = sim.enter();
    let (rx, _, _) = ov_pair();
    let mut m = OvMsg::new(8, 0, 0);
    assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    assert_eq!(unsafe { CancelIoEx(rx as _, m.ov_ptr()) }, 1);
    assert_eq!(overlapped_result(rx, m.ov_ptr(), false).1, WSAEINTR);
}

/// Posts a receive from a new thread that then ends; returns the OvMsg (owned by the caller
/// throughout).
fn post_from_exiting_thread(sim: &Sim, rx: SOCKET, m: &mut OvMsg) {
    let addr = m as *mut OvMsg as usize;
    sim.spawn(HostId::default(), move || {
        // SAFETY: the OvMsg outlives the thread (joined below) and its request.
        let m = unsafe { &mut *(addr as *mut OvMsg) };
        assert_eq!(m.post(rx, None).1, WSA_IO_PENDING);
    })
    .join()
    .unwrap();
}

/// afd.c test_async_thread_termination (Windows rows): when the issuing thread ends, a
/// request on a socket without a port is cancelled (STATUS_CANCELLED, its event set, no APC);
/// on a socket with a port, one with an event is cancelled too, and so is one whose hEvent
/// has its low bit set (no ApcContext), while one with neither survives and completes later
/// through the port (Wine iocp_async_read_thread).
#[test]
fn wine_thread_exit_cancels_unless_port_without_event() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    // No port, with an event.
    let (rx, _) = overlapped_socket("127.0.0.1:0");
    let ev = event();
    let mut m = OvMsg::new(8, 0, ev);
    post_from_exiting_thread(&sim, rx, &mut m);
    assert_eq!(m.status(), (STATUS_CANCELLED, 0));
    assert!(signalled(ev));
    // A port and an event: cancelled, and the port hears of it.
    let (rx2, _) = overlapped_socket("127.0.0.1:0");
    let port2 = port_for(rx2, 2);
    let ev2 = event();
    let mut m2 = OvMsg::new(8, 0, ev2);
    post_from_exiting_thread(&sim, rx2, &mut m2);
    assert_eq!(m2.status().0, STATUS_CANCELLED);
    assert_eq!(gqcs(port2, 0).err, ERROR_OPERATION_ABORTED);
    // A port and only the low bit: cancelled, no packet.
    let (rx3, _) = overlapped_socket("127.0.0.1:0");
    let port3 = port_for(rx3, 3);
    let mut m3 = OvMsg::new(8, 0, 1);
    post_from_exiting_thread(&sim, rx3, &mut m3);
    assert_eq!(m3.status().0, STATUS_CANCELLED);
    assert_eq!(gqcs(port3, 0).err, WAIT_TIMEOUT);
    // A port and no event: survives the thread.
    let (rx4, rx4_addr) = overlapped_socket("127.0.0.1:0");
    let port4 = port_for(rx4, 4);
    let mut m4 = OvMsg::new(8, 0, 0);
    post_from_exiting_thread(&sim, rx4, &mut m4);
    assert_eq!(m4.status().0, PENDING);
    let (tx, _) = bound("127.0.0.1:0");
    must_send(tx, b"late", &rx4_addr);
    let d = gqcs(port4, 0);
    assert_eq!((d.ok, d.bytes, d.key), (1, 4, 4));
    assert_eq!(&m4.data[..4], b"late");
}

/// Wine test_fionbio and test_get_extension_func (Windows rows): an overlapped WSAIoctl that
/// completes at once on a socket with a port queues a packet with 0 bytes and the key; Wine
/// test_unsupported_ioctls: an unsupported code overlapped returns WSA_IO_PENDING and its
/// packet fails with ERROR_NOT_SUPPORTED, Internal STATUS_NOT_SUPPORTED.
#[test]
fn wine_overlapped_ioctl_packets() {
    let (rx, _, _) = ov_pair();
    let port = port_for(rx, 123);
    let mut ov: Box<OVERLAPPED> = Box::new(unsafe { std::mem::zeroed() });
    let on = 1u32;
    let mut size = 0xDEAD_BEEF_u32;
    let r = unsafe {
        WSAIoctl(
            rx,
            FIONBIO as u32,
            &on as *const u32 as _,
            4,
            std::ptr::null_mut(),
            0,
            &mut size,
            &mut *ov,
            None,
        )
    };
    assert_eq!(r, 0);
    let d = gqcs(port, 0);
    assert_eq!(
        (d.ok, d.bytes, d.key, d.ov),
        (1, 0, 123, &*ov as *const _ as usize)
    );
    let r = unsafe {
        WSAIoctl(
            rx,
            0xdeadbeef,
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
            0,
            &mut size,
            &mut *ov,
            None,
        )
    };
    assert_eq!((r, last_error()), (SOCKET_ERROR, WSA_IO_PENDING));
    let d = gqcs(port, 0);
    assert_eq!((d.ok, d.err, d.key), (0, 50, 123));
    assert_eq!(ov.Internal, 0xC000_00BB);
}

/// WSASendTo page, overlapped: a send that completes at once on a socket with a port queues
/// its packet with the bytes sent (as WSARecv does in Wine test_completion_port).
#[test]
fn doc_overlapped_send_packet() {
    let (rx, rx_addr, _) = ov_pair();
    let (tx, _) = overlapped_socket("127.0.0.1:0");
    let port = port_for(tx, 5);
    let mut ov: Box<OVERLAPPED> = Box::new(unsafe { std::mem::zeroed() });
    let mut data = *b"hello";
    let b = wsabuf(&mut data);
    let r = unsafe {
        WSASendTo(
            tx,
            &b,
            1,
            std::ptr::null_mut(),
            0,
            rx_addr.ptr(),
            rx_addr.len,
            &mut *ov,
            None,
        )
    };
    assert_eq!(r, 0);
    let d = gqcs(port, 0);
    assert_eq!((d.ok, d.bytes, d.key), (1, 5, 5));
    assert_eq!(recv_from(rx, 8, None).0, 5);
}
