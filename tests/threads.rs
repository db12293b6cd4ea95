//! Threads and time: a simulation entered on several threads, blocking calls across them,
//! virtual time that moves only when every participant is blocked, calls that could never
//! complete, isolation of per-thread default simulations, and byte-identical traces.

mod common;

use std::time::Duration;

use common::*;
use winsock_sim::kernel32::Sleep;
use winsock_sim::{Diagnostic, HostId, Instant, Sim};

/// A blocking receive in one thread is completed by a send from another; the sender's Sleep
/// lets time move only because the receiver is blocked too.
#[test]
fn blocking_receive_completed_by_another_thread() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let sender = sim.spawn(HostId::default(), move || {
        unsafe { Sleep(10) };
        let (tx, _) = bound("127.0.0.1:0");
        must_send(tx, b"wake up", &rx_addr);
    });
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.bytes), (0, 7));
    assert_eq!(sim.now(), Instant::from_nanos(10_000_000));
    sender.join().unwrap();
}

/// Two threads each blocked with no timeout and nothing scheduled: both calls fail with
/// WSAEINTR and each gets a WouldBlockForever diagnostic instead of hanging the test.
#[test]
fn deadlock_of_two_threads_is_diagnosed() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (a, _) = bound("127.0.0.1:0");
    let (b, _) = bound("127.0.0.1:0");
    let other = sim.spawn(HostId::default(), move || {
        recv_msg(b, &MsgIn::default()).err
    });
    let mine = recv_msg(a, &MsgIn::default()).err;
    assert_eq!((mine, other.join().unwrap()), (WSAEINTR, WSAEINTR));
    let n = sim
        .diagnostics()
        .iter()
        .filter(|d| matches!(d.diagnostic, Diagnostic::WouldBlockForever { .. }))
        .count();
    assert_eq!(n, 2);
}

/// Timeouts in two threads expire in virtual-time order, each at exactly its deadline.
#[test]
fn timeouts_in_two_threads_expire_in_order() {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (a, _) = bound("127.0.0.1:0");
    let (b, _) = bound("127.0.0.1:0");
    set_u32(a, SOL_SOCKET, SO_RCVTIMEO, 100);
    set_u32(b, SOL_SOCKET, SO_RCVTIMEO, 50);
    let s2 = sim.clone();
    let other = sim.spawn(HostId::default(), move || {
        let e = recv_msg(b, &MsgIn::default()).err;
        (e, s2.now())
    });
    let e = recv_msg(a, &MsgIn::default()).err;
    let (e2, t2) = other.join().unwrap();
    assert_eq!((e, e2), (WSAETIMEDOUT, WSAETIMEDOUT));
    assert_eq!(t2, Instant::from_nanos(50_000_000));
    assert_eq!(sim.now(), Instant::from_nanos(100_000_000));
}

/// Joining a spawned thread does not hold time back: the joiner steps out of the simulation
/// while it waits (JoinHandle::join uses Outside).
#[test]
fn join_lets_time_move() {
    let sim = Sim::new();
    let _g = sim.enter();
    let worker = sim.spawn(HostId::default(), || unsafe { Sleep(1000) });
    worker.join().unwrap();
    assert_eq!(sim.now(), Instant::from_nanos(1_000_000_000));
}

/// Plain threads that never enter a simulation each get their own default simulation: the
/// same port can be bound in both, and neither sees the other's traffic.
#[test]
fn default_simulations_are_per_thread() {
    let run = || {
        std::thread::spawn(|| {
            startup();
            let (s, a) = bound("127.0.0.1:5000");
            must_send(s, b"mine", &a);
            set_nonblocking(s, true);
            let out = recv_msg(s, &MsgIn::default());
            (out.bytes, recv_msg(s, &MsgIn::default()).err)
        })
    };
    let (t1, t2) = (run(), run());
    assert_eq!(t1.join().unwrap(), (4, WSAEWOULDBLOCK));
    assert_eq!(t2.join().unwrap(), (4, WSAEWOULDBLOCK));
}

/// A ping-pong between two threads, 50 round trips with latency: run twice, the traces are the
/// same bytes (every step is ordered by causality and virtual time, never by thread timing).
#[test]
fn threaded_ping_pong_trace_is_deterministic() {
    let run = || {
        let sim = Sim::builder()
            .seed(7)
            .host("a", &["10.0.0.1/24"])
            .host("b", &["10.0.0.2/24"])
            .latency(Duration::from_micros(250))
            .build();
        let (ha, hb) = (sim.host("a").unwrap(), sim.host("b").unwrap());
        let _g = sim.enter_host(ha);
        startup();
        let (ping, _) = bound("10.0.0.1:4000");
        let server = sim.spawn(hb, move || {
            let (pong, _) = bound("10.0.0.2:4001");
            for _ in 0..50 {
                let (r, _, buf, from, _) = recv_from(pong, 8, Some(16));
                assert_eq!(r, 4);
                must_send(pong, &buf[..4], &addr(&from.unwrap().to_string()));
            }
        });
        unsafe { Sleep(1) };
        for i in 0..50u32 {
            must_send(ping, &i.to_le_bytes(), &addr("10.0.0.2:4001"));
            let (r, _, buf, _, _) = recv_from(ping, 8, Some(16));
            assert_eq!((r, &buf[..4]), (4, &i.to_le_bytes()[..]));
        }
        server.join().unwrap();
        (sim.trace_text(), sim.now())
    };
    let (a, ta) = run();
    let (b, tb) = run();
    assert_eq!(ta, tb);
    assert_eq!(ta, Instant::from_nanos(1_000_000 + 50 * 500_000));
    assert!(a.lines().count() > 400);
    assert_eq!(a.as_bytes(), b.as_bytes());
}

/// The same face scenario, run in two fresh simulations, leaves the same trace bytes.
#[test]
fn face_scenario_trace_is_byte_identical() {
    let run = || {
        let sim = Sim::builder().seed(99).build();
        let _g = sim.enter();
        startup();
        let (rx, rx_addr) = bound("127.0.0.1:0");
        let (tx, _) = bound("127.0.0.1:0");
        set_u32(rx, IPPROTO_IP, IP_PKTINFO, 1);
        for i in 0..10u8 {
            must_send(tx, &vec![i; 10 * i as usize + 1], &rx_addr);
        }
        must_send(tx, b"x", &rx_addr.with_port(9));
        for cap in [5u32, 50, 100, 0] {
            recv_msg(
                rx,
                &MsgIn {
                    bufs: vec![cap],
                    control: Some(cap / 2),
                    ..Default::default()
                },
            );
        }
        let _ = recv_msg(tx, &MsgIn::default());
        sim.trace_text()
    };
    let a = run();
    assert_eq!(a.as_bytes(), run().as_bytes());
    assert!(a.contains("icmp port-unreachable"));
    assert!(a.contains("WSARecvMsg"));
}
