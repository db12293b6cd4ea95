//! Orders Windows leaves open. WSARecvMsg page: "The completion routines can be called in any
//! order, not necessarily in the same order the overlapped operations are completed. However,
//! the posted buffers are guaranteed to be filled in the same order in which they are
//! specified." The simulation picks the order from its seed, records the choice in the trace,
//! and `explore` enumerates every order of a small scenario.

mod common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use common::*;
use winsock_sim::{explore, Choices, Sim, SimBuilder};

thread_local! {
    /// The OVERLAPPED of each completion routine call, in call order.
    static CALLS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn routine(error: u32, bytes: u32, ov: *mut OVERLAPPED, _flags: u32) {
    assert_eq!((error, bytes), (0, 1));
    CALLS.with(|c| c.borrow_mut().push(ov as usize));
}

/// What one run of the three-receive scenario observed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Observed {
    /// Which receive (by posting index) each routine call was for, in call order.
    order: Vec<usize>,
    /// The byte each receive's buffer got, by posting index.
    filled: Vec<u8>,
    trace: String,
}

/// Three overlapped receives with completion routines on one socket, three datagrams, then an
/// alertable sleep that runs the routines.
fn three_receives(sim: &Sim) -> Observed {
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = overlapped_socket("127.0.0.1:0");
    let (tx, _) = bound("127.0.0.1:0");
    let mut ms: Vec<OvMsg> = (0..3).map(|_| OvMsg::new(4, 0, 0)).collect();
    for m in &mut ms {
        assert_eq!(m.post(rx, Some(routine)).1, WSA_IO_PENDING);
    }
    for d in [b"a", b"b", b"c"] {
        must_send(tx, d, &rx_addr);
    }
    CALLS.with(|c| c.borrow_mut().clear());
    assert_eq!(
        unsafe { kernel32::SleepEx(0, 1) },
        kernel32::WAIT_IO_COMPLETION
    );
    let ovs: Vec<usize> = ms.iter_mut().map(|m| m.ov_ptr() as usize).collect();
    let order = CALLS.with(|c| {
        c.borrow()
            .iter()
            .map(|ov| {
                ovs.iter()
                    .position(|o| o == ov)
                    .expect("a posted OVERLAPPED")
            })
            .collect()
    });
    Observed {
        order,
        filled: ms.iter().map(|m| m.data[0]).collect(),
        trace: sim.trace_text(),
    }
}

/// Every order of three routines is reachable: `explore` runs the scenario once per choice
/// sequence, 3 x 2 = 6 runs, each a different permutation, and in each the buffers were filled
/// in posting order. Each run's choices are in its trace.
#[test]
fn clause_every_completion_order_is_enumerated() {
    let runs = explore(&SimBuilder::new(), 100, three_receives);
    assert_eq!(runs.len(), 6);
    let orders: BTreeSet<Vec<usize>> = runs.iter().map(|r| r.result.order.clone()).collect();
    let all: BTreeSet<Vec<usize>> = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ]
    .iter()
    .map(|o| o.to_vec())
    .collect();
    assert_eq!(orders, all);
    for r in &runs {
        assert_eq!(
            r.result.filled, b"abc",
            "posting order, whatever the routine order"
        );
        assert_eq!(r.choices.len(), 2);
        assert!(r.result.trace.contains("completion routine order"));
    }
}

/// Each of the six orders is reachable from some seed, and one seed always gives the same
/// order and the same trace.
#[test]
fn clause_seeds_reach_every_order_and_repeat() {
    let run = |seed: u64| three_receives(&Sim::builder().seed(seed).build());
    let mut seen = BTreeSet::new();
    let mut seed = 0;
    while seen.len() < 6 {
        assert!(seed < 500, "only {} orders in 500 seeds", seen.len());
        seen.insert(run(seed).order);
        seed += 1;
    }
    for seed in [3, 17, 99] {
        let first = run(seed);
        for _ in 0..3 {
            assert_eq!(run(seed), first);
        }
    }
}

/// With `Choices::InOrder`, routines run in completion order.
#[test]
fn choice_in_order_runs_routines_in_completion_order() {
    let sim = Sim::builder().choices(Choices::InOrder).build();
    assert_eq!(three_receives(&sim).order, vec![0, 1, 2]);
}
