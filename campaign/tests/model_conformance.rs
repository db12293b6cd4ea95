//! Conformance campaign: random scenarios (sends with faults, ICMP errors, option changes,
//! every receive function with random buffer layouts, flags, name and control sizes, peeks,
//! overlapped posts with events, routines or a port, alertable waits, cancels, results,
//! closes) run on the simulator's `ws2` face and on the independent reference model
//! (`model/`). Every step's observations must agree; every case must conserve datagrams,
//! catch no simulator bug, and give the same trace bytes twice. proptest shrinks a failure to
//! a minimal scenario, printed with its seed, which replays exactly.
//!
//! The `campaign` test (ignored by default) runs for a set time and prints cases per second
//! (README); `winsock-sim campaign` runs the same campaign with a progress bar.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use winsock_sim::Personality;
use winsock_sim_campaign::{check, draw, play, run, scenario, Campaign, Op, Scenario, MAX_OPS};
use winsock_sim_model::{Api, Call, Notify};

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "tests/model_conformance.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn simulator_agrees_with_model(sc in scenario(MAX_OPS)) {
        run(&sc).map_err(TestCaseError::fail)?;
    }
}

fn c(
    api: Api,
    buffers: Vec<usize>,
    flags: u32,
    name_len: Option<i32>,
    control_len: Option<u32>,
) -> Call {
    Call {
        api,
        buffers,
        flags,
        name_len,
        control_len,
    }
}

/// A fixed synchronous sequence through the same harness, so a regression shows even without
/// proptest's exploration: truncation, peek, control truncation, ICMP, a short name buffer.
#[test]
fn fixed_sequence_agrees_with_model() {
    let ops = vec![
        Op::Send(50),
        Op::Pktinfo(true),
        Op::Receive(c(Api::WsaRecvMsg, vec![10, 10], 2, Some(16), Some(23))),
        Op::Receive(c(Api::WsaRecvMsg, vec![10, 100], 0, Some(4), Some(24))),
        Op::Fionread,
        Op::Receive(c(Api::WsaRecvMsg, vec![10, 100], 0, Some(16), Some(24))),
        Op::IcmpUnreachable,
        Op::Send(5),
        Op::Receive(c(Api::RecvFrom, vec![3], 0, Some(16), None)),
        Op::Receive(c(Api::RecvFrom, vec![3], 0, Some(16), None)),
        Op::Nonblocking(true),
        Op::Receive(c(Api::WsaRecv, vec![3], 0, None, None)),
    ];
    run(&Scenario {
        seed: 1,
        port: false,
        ops,
    })
    .unwrap();
}

/// A fixed overlapped sequence: posts of every kind, a peek, an ICMP error completing a
/// pending receive, routines in an alertable wait, a cancel, results, and a close with a
/// request pending; once with a completion port.
#[test]
fn fixed_overlapped_sequence_agrees_with_model() {
    for port in [false, true] {
        let ops = vec![
            Op::Post(
                c(Api::WsaRecvMsg, vec![4, 4], 2, Some(16), Some(24)),
                Notify::Routine,
            ),
            Op::Post(
                c(Api::WsaRecvFrom, vec![8], 0, Some(16), None),
                Notify::Event,
            ),
            Op::Post(c(Api::WsaRecv, vec![3], 0, None, None), Notify::Nothing),
            Op::Send(6),
            Op::IcmpUnreachable,
            Op::Wait,
            Op::Result(1),
            Op::Result(2),
            Op::Dequeue,
            Op::Dequeue,
            Op::Send(20),
            Op::Post(c(Api::WsaRecv, vec![5], 0, None, None), Notify::Event),
            Op::Post(c(Api::WsaRecv, vec![5], 0, None, None), Notify::Event),
            Op::Cancel(Some(4)),
            Op::Close,
            Op::Result(4),
            Op::Dequeue,
        ];
        run(&Scenario { seed: 3, port, ops }).unwrap();
    }
}

/// A case is a function of its seed: the same seed draws the same scenario, another seed
/// another one, and a campaign's cases replay one by one.
#[test]
fn cases_replay_from_their_seeds() {
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
    let campaign = Campaign::new(3, Personality::Windows);
    assert_eq!(campaign.run_cases(20, |_| ()).unwrap(), 20);
}

/// The failure path, on real disagreements: the model describes Windows, so a simulator with
/// Wine 8's personality (no MSG_TRUNC, no ICMP errors, ...) disagrees with it on some cases.
/// The first such case is reported with its seed, replays, and shrinks to a scenario that
/// still fails and is no longer than the one drawn.
#[test]
fn a_disagreement_is_found_shrunk_and_replayed() {
    let f = Campaign::new(1, Personality::Wine8)
        .run_cases(200, |_| ())
        .expect_err("Wine 8's personality disagrees with the Windows model somewhere");
    assert!(f.shrunk.ops.len() <= f.scenario.ops.len());
    assert!(play(&f.shrunk, Personality::Wine8).is_err());
    assert!(play(&f.scenario, Personality::Wine8).is_err());
    assert!(check(f.case_seed, Personality::Wine8).is_err());
    // The same case on the Windows personality agrees.
    assert_eq!(
        check(f.case_seed, Personality::Windows).unwrap(),
        f.scenario
    );
    assert!(f
        .to_string()
        .contains(&format!("case seed {}", f.case_seed)));
}

/// A timed campaign: `CAMPAIGN_SECONDS` (default 10) of random scenarios from
/// `CAMPAIGN_SEED` (default 1); prints the cases run and cases per second, and fails with the
/// shrunk scenario and the case's seed on the first disagreement.
///
/// `cargo test --release -p winsock-sim-campaign --test model_conformance campaign -- --ignored --nocapture`
#[test]
#[ignore = "a timed campaign; run it explicitly (README)"]
fn campaign() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let (secs, seed) = (env("CAMPAIGN_SECONDS", 10), env("CAMPAIGN_SEED", 1));
    let start = Instant::now();
    let cases = Campaign::new(seed, Personality::Windows)
        .run_for(Duration::from_secs(secs), |_| ())
        .unwrap_or_else(|f| panic!("{f}replay: winsock-sim replay --seed {}", f.case_seed));
    let t = start.elapsed().as_secs_f64();
    println!(
        "campaign seed {seed}: {cases} cases in {t:.1} s, {:.0} cases/s, all agree",
        cases as f64 / t
    );
}
