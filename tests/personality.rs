//! `Personality::Wine8` through the face: a few of CONTRACT.md's section W rows, and the
//! builder defaults it changes (close status, routine order), which an explicit setting still
//! overrides. The whole of section W is checked against Wine's own traces by
//! `diff/tests/corpus.rs`.

mod common;

use std::cell::RefCell;

use common::*;
use winsock_sim::{CloseStatus, Personality, Sim, SimBuilder};

thread_local! {
    static CALLS: RefCell<Vec<(u32, u32)>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn record(error: u32, bytes: u32, _ov: *mut OVERLAPPED, _flags: u32) {
    CALLS.with(|c| c.borrow_mut().push((error, bytes)));
}

fn calls() -> Vec<(u32, u32)> {
    CALLS.with(|c| c.borrow_mut().drain(..).collect())
}

fn sim(p: Personality) -> Sim {
    SimBuilder::new().seed(7).personality(p).build()
}

/// W1: Wine never reports an ICMP port unreachable on a UDP socket; Windows does (A3).
#[test]
fn w1_icmp_errors_are_reported_on_windows_only() {
    for (p, want) in [
        (Personality::Windows, WSAECONNRESET),
        (Personality::Wine8, WSAEWOULDBLOCK),
    ] {
        let sim = sim(p);
        let _g = sim.enter();
        startup();
        let (s, _) = bound("127.0.0.1:0");
        let (gone, gone_addr) = bound("127.0.0.1:0");
        close(gone);
        must_send(s, b"x", &gone_addr);
        set_nonblocking(s, true);
        let mut buf = [0u8; 8];
        let r = unsafe { recv(s, buf.as_mut_ptr(), 8, 0) };
        assert_eq!((r, last_error()), (SOCKET_ERROR, want), "{p:?}");
    }
}

/// W2, W3: a truncated datagram: Windows sets MSG_TRUNC and writes the byte count; Wine 8
/// does neither.
#[test]
fn w2_w3_truncation_flags_and_count() {
    for (p, flags, count) in [
        (Personality::Windows, MSG_TRUNC, 4),
        (Personality::Wine8, 0, 0xDEAD_BEEF),
    ] {
        let sim = sim(p);
        let _g = sim.enter();
        startup();
        let (rx, rx_addr) = bound("127.0.0.1:0");
        let (tx, _) = bound("127.0.0.1:0");
        must_send(tx, b"0123456789", &rx_addr);
        let mut data = [0u8; 4];
        let mut b = wsabuf(&mut data);
        let mut msg = msg_with(&mut b);
        let mut n = 0xDEAD_BEEF_u32;
        let r = unsafe { recvmsg_fn(rx)(rx, &mut msg, &mut n, std::ptr::null_mut(), None) };
        assert_eq!((r, last_error()), (SOCKET_ERROR, WSAEMSGSIZE), "{p:?}");
        assert_eq!((msg.dwFlags, n), (flags, count), "{p:?}");
        assert_eq!(&data, b"0123");
    }
}

type Builder = fn() -> SimBuilder;

fn wine8_builder() -> SimBuilder {
    SimBuilder::new().personality(Personality::Wine8)
}

fn wine8_cancelled() -> SimBuilder {
    wine8_builder().close_status(CloseStatus::Cancelled)
}

/// W20 and W28 as builder defaults: under Wine8, closesocket completes a pending receive with
/// STATUS_HANDLES_CLOSED (the routine gets WSAEINVAL) and routines due together run in
/// completion order; an explicit `close_status` still wins.
#[test]
fn w20_w28_wine8_defaults_and_overrides() {
    // (builder, routines in completion order, the routine's error after closesocket)
    let cases: [(Builder, bool, u32); 3] = [
        (wine8_builder, true, WSAEINVAL as u32),
        (wine8_cancelled, true, WSA_OPERATION_ABORTED as u32),
        (SimBuilder::new, false, WSA_OPERATION_ABORTED as u32),
    ];
    for (builder, in_order, closed) in cases {
        for seed in 0..8 {
            let sim = builder().seed(seed).build();
            let _g = sim.enter();
            startup();
            let (rx, rx_addr) = bound("127.0.0.1:0");
            let (tx, _) = bound("127.0.0.1:0");
            let mut reqs: Vec<OvMsg> = (0..4).map(|_| OvMsg::new(16, 0, 0)).collect();
            for q in &mut reqs {
                assert_eq!(q.post(rx, Some(record)), (SOCKET_ERROR, WSA_IO_PENDING));
            }
            for n in 1..=3 {
                must_send(tx, &vec![b'a'; n], &rx_addr);
            }
            assert_eq!(unsafe { kernel32::SleepEx(0, 1) }, 0xC0);
            let order: Vec<u32> = calls().into_iter().map(|(_, bytes)| bytes).collect();
            if in_order {
                assert_eq!(
                    order,
                    [1, 2, 3],
                    "seed {seed}: completion order under Wine8"
                );
            } else {
                let mut sorted = order.clone();
                sorted.sort();
                assert_eq!(sorted, [1, 2, 3]);
            }
            close(rx);
            assert_eq!(unsafe { kernel32::SleepEx(0, 1) }, 0xC0);
            assert_eq!(calls(), [(closed, 0)], "seed {seed}");
        }
    }
}
