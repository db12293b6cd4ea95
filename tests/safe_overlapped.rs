//! The safe API's overlapped receives: the same contract as the raw face (the tests of
//! `overlapped.rs` and `iocp_cancel.rs` cite the sources), with owned buffers and closures.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use winsock_sim::api::{Announce, CompletionPort, Event, Outcome, RecvMsgOptions, Socket, Wake};
use winsock_sim::{CancelledError, Errno, HostId, NtStatus, Sim};

fn pair(sim: &Sim) -> (Socket, Socket, SocketAddr) {
    let h = HostId::default();
    let rx = Socket::bind_udp(sim, h, "127.0.0.1:0".parse().unwrap()).unwrap();
    let tx = Socket::bind_udp(sim, h, "127.0.0.1:0".parse().unwrap()).unwrap();
    let to = rx.local_addr().unwrap();
    (rx, tx, to)
}

/// Pending, then completed by a datagram: the event is set and the result holds the bytes,
/// the sender and the flags. An immediate completion still sets the event.
#[test]
fn pending_then_completed_sets_event() {
    let sim = Sim::new();
    let (rx, tx, to) = pair(&sim);
    let ev = Event::new(&sim, true, false);
    let op = rx
        .recv_msg_overlapped(16, RecvMsgOptions::default(), Announce::event(&ev))
        .unwrap();
    assert!(!op.is_complete() && !ev.is_set());
    assert_eq!(op.result(), None);
    tx.send_to(b"hi", to).unwrap();
    assert!(ev.is_set());
    let got = op.result().unwrap().unwrap();
    assert_eq!(got.data, b"hi");
    assert_eq!(got.msg.from, tx.local_addr().unwrap());
    ev.reset();
    tx.send_to(b"now", to).unwrap();
    let op = rx
        .recv_msg_overlapped(16, RecvMsgOptions::default(), Announce::event(&ev))
        .unwrap();
    assert!(op.is_complete() && ev.is_set());
}

/// A truncated datagram completes with the truncation flag (the raw call's WSAEMSGSIZE) and
/// the bytes that fit; the port packet says STATUS_BUFFER_OVERFLOW.
#[test]
fn truncation_and_port_packets() {
    let sim = Sim::new();
    let (rx, tx, to) = pair(&sim);
    let port = CompletionPort::new(&sim);
    port.associate(&rx, 77).unwrap();
    assert_eq!(port.associate(&rx, 78), Err(Errno::InvalidParameter));
    let op = rx
        .recv_msg_overlapped(3, RecvMsgOptions::default(), Announce::none())
        .unwrap();
    tx.send_to(b"abcdef", to).unwrap();
    let got = op.wait().unwrap();
    assert!(got.msg.truncated);
    assert_eq!(got.data, b"abc");
    let c = port.get(Some(Duration::ZERO)).unwrap().unwrap();
    assert_eq!((c.key, c.bytes, c.token), (77, 3, op.token()));
    assert_eq!(c.status, NtStatus::BUFFER_OVERFLOW);
    assert_eq!(port.get(Some(Duration::from_millis(5))).unwrap(), None);
    // A routine on a socket with a port is WSAEINVAL.
    let r = rx.recv_msg_overlapped(3, RecvMsgOptions::default(), Announce::routine(|_| {}));
    assert_eq!(r.err(), Some(Errno::Inval));
    // The low bit: no packet.
    let ev = Event::new(&sim, true, false);
    let _op = rx
        .recv_msg_overlapped(
            8,
            RecvMsgOptions::default(),
            Announce::event(&ev).skip_port(),
        )
        .unwrap();
    tx.send_to(b"x", to).unwrap();
    assert!(ev.is_set());
    assert_eq!(port.get(Some(Duration::ZERO)).unwrap(), None);
    port.post(1, 2, 3).unwrap();
    assert_eq!(port.get(None).unwrap().unwrap().token, 3);
}

/// A closure routine runs only in the posting thread's alertable wait, with the outcome.
#[test]
fn routine_runs_in_alertable_sleep() {
    let sim = Sim::new();
    let (rx, tx, to) = pair(&sim);
    let seen: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let s = seen.clone();
    let _op = rx
        .recv_msg_overlapped(
            8,
            RecvMsgOptions::default(),
            Announce::routine(move |o| s.lock().unwrap().push(o)),
        )
        .unwrap();
    tx.send_to(b"r", to).unwrap();
    sim.sleep(Some(Duration::from_millis(1)));
    assert!(seen.lock().unwrap().is_empty(), "not alertable: no routine");
    assert!(sim.sleep_alertable(Some(Duration::from_millis(1))));
    let got = seen.lock().unwrap().pop().unwrap().unwrap();
    assert_eq!(got.data, b"r");
    assert!(!sim.sleep_alertable(Some(Duration::from_millis(1))));
}

/// Cancelling completes with WSA_OPERATION_ABORTED (or the simulation's chosen error), and
/// cancelling again finds nothing.
#[test]
fn cancel() {
    let sim = Sim::builder().cancelled_error(CancelledError::Intr).build();
    let (rx, _tx, _) = pair(&sim);
    let op = rx
        .recv_msg_overlapped(8, RecvMsgOptions::default(), Announce::none())
        .unwrap();
    assert!(op.cancel());
    assert!(!op.cancel());
    assert_eq!(op.result(), Some(Err(Errno::Intr)));
    let sim = Sim::new();
    let (rx, _tx, _) = pair(&sim);
    let op = rx
        .recv_msg_overlapped(8, RecvMsgOptions::default(), Announce::none())
        .unwrap();
    drop(rx);
    assert_eq!(op.result(), Some(Err(Errno::OperationAborted)));
}

/// An event wait times out in virtual time; an alertable one returns when an APC ran; a wait
/// that could never end fails with WSAEINTR instead of hanging.
#[test]
fn event_waits() {
    let sim = Sim::new();
    let ev = Event::new(&sim, false, false);
    let t0 = sim.now();
    assert_eq!(
        ev.wait(Some(Duration::from_millis(30)), false),
        Ok(Wake::TimedOut)
    );
    assert_eq!(sim.now() - t0, Duration::from_millis(30));
    ev.set();
    assert_eq!(ev.wait(None, false), Ok(Wake::Ready(())));
    assert!(!ev.is_set(), "auto-reset");
    assert_eq!(ev.wait(None, false), Err(Errno::Intr));
    let (rx, tx, to) = pair(&sim);
    let _op = rx
        .recv_msg_overlapped(8, RecvMsgOptions::default(), Announce::routine(|_| {}))
        .unwrap();
    tx.send_to(b"x", to).unwrap();
    assert_eq!(ev.wait(None, true), Ok(Wake::Apcs));
}

/// A receive waited on from another thread: the waiting thread blocks in virtual time until
/// the sender's datagram arrives.
#[test]
fn wait_across_threads() {
    let sim = Sim::new();
    let (rx, tx, to) = pair(&sim);
    let op = rx
        .recv_msg_overlapped(8, RecvMsgOptions::default(), Announce::none())
        .unwrap();
    let sender = sim.spawn(HostId::default(), move || {
        winsock_sim::Sim::current().sleep(Some(Duration::from_millis(40)));
        tx.send_to(b"later", to).unwrap();
    });
    let _g = sim.enter();
    assert_eq!(op.wait().unwrap().data, b"later");
    assert_eq!(sim.now(), winsock_sim::Instant::from_nanos(40_000_000));
    sender.join().unwrap();
}
