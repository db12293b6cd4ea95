//! The conformance campaign against the reference model (`winsock-sim-model`), as a library:
//! random scenarios (`strategy`) played by the harness (`harness`), one seed per case so that
//! any case, and a whole timed campaign, replays from a number.
//!
//! `campaign/tests/model_conformance.rs` runs it under `cargo test`; the `winsock-sim`
//! command line (`cli/`) runs timed campaigns with a progress bar and replays cases.
//!
//! ```no_run
//! use winsock_sim::Personality;
//! use winsock_sim_campaign::{check, Campaign};
//!
//! // Every case of campaign 1 for ten seconds; the first failure is shrunk.
//! let campaign = Campaign::new(1, Personality::Windows);
//! match campaign.run_for(std::time::Duration::from_secs(10), |_| ()) {
//!     Ok(cases) => println!("{cases} cases agree"),
//!     Err(f) => println!("replay with --seed {}: {}", f.case_seed, f.error),
//! }
//! // One case by its seed.
//! assert!(check(42, Personality::Windows).is_ok());
//! ```

pub mod harness;
mod strategy;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use winsock_sim::Personality;

pub use harness::{run, run_as, Op, Scenario};
pub use strategy::{call_with, op, scenario};

/// The most operations a campaign scenario has.
pub const MAX_OPS: usize = 40;

/// Shrinking stops after this many candidate runs (each is two plays of a scenario).
const MAX_SHRINK_STEPS: usize = 2048;

/// The seed of case `index` of the campaign seeded `campaign`: a SplitMix64 step, so that
/// neighbouring cases draw unrelated scenarios.
pub fn case_seed(campaign: u64, index: u64) -> u64 {
    let mut z = campaign
        .wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// proptest's value tree for the case seeded `seed`: its current value is the scenario the
/// case plays, and it knows how to shrink it.
fn tree(seed: u64) -> impl ValueTree<Value = Scenario> {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    scenario(MAX_OPS)
        .new_tree(&mut runner)
        .expect("the scenario strategy never rejects")
}

/// The scenario the case seeded `seed` plays.
pub fn draw(seed: u64) -> Scenario {
    tree(seed).current()
}

/// A case where the simulator and the model disagree (or an invariant broke).
#[derive(Clone, Debug)]
pub struct Failure {
    /// The case's seed: `check(case_seed, ..)` replays it.
    pub case_seed: u64,
    /// The scenario drawn.
    pub scenario: Scenario,
    /// What went wrong with it.
    pub error: String,
    /// The smallest failing scenario shrinking found, and what went wrong with that one.
    pub shrunk: Scenario,
    /// The shrunk scenario's error.
    pub shrunk_error: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "case seed {}: {}", self.case_seed, self.error)?;
        writeln!(
            f,
            "shrunk to {} operations (seed {}, port {}): {}",
            self.shrunk.ops.len(),
            self.shrunk.seed,
            self.shrunk.port,
            self.shrunk_error
        )?;
        for (i, op) in self.shrunk.ops.iter().enumerate() {
            writeln!(f, "  {i:>3}  {op:?}")?;
        }
        Ok(())
    }
}

/// Plays one scenario; a panic (a harness assertion, or a simulator bug that escaped the
/// face) is a failure like any other.
pub fn play(sc: &Scenario, personality: Personality) -> Result<String, String> {
    match catch_unwind(AssertUnwindSafe(|| run_as(sc, personality))) {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panicked: {}",
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default()
        )),
    }
}

/// Plays the case seeded `seed`; on a failure, shrinks it as proptest would (simplify while
/// it still fails, complicate back when it passes).
pub fn check(seed: u64, personality: Personality) -> Result<Scenario, Box<Failure>> {
    let mut tree = tree(seed);
    let scenario = tree.current();
    let error = match play(&scenario, personality) {
        Ok(_) => return Ok(scenario),
        Err(e) => e,
    };
    let (mut shrunk, mut shrunk_error) = (scenario.clone(), error.clone());
    let mut steps = 0;
    if tree.simplify() {
        while steps < MAX_SHRINK_STEPS {
            steps += 1;
            let candidate = tree.current();
            match play(&candidate, personality) {
                Err(e) => {
                    (shrunk, shrunk_error) = (candidate, e);
                    if !tree.simplify() {
                        break;
                    }
                }
                Ok(_) => {
                    if !tree.complicate() {
                        break;
                    }
                }
            }
        }
    }
    Err(Box::new(Failure {
        case_seed: seed,
        scenario,
        error,
        shrunk,
        shrunk_error,
    }))
}

/// A campaign: case after case, each from its own seed derived from the campaign's.
#[derive(Clone, Debug)]
pub struct Campaign {
    /// The campaign's seed.
    pub seed: u64,
    /// The simulator's personality (the model is always Windows).
    pub personality: Personality,
}

impl Campaign {
    /// Campaign `seed` on a simulator with `personality`.
    pub fn new(seed: u64, personality: Personality) -> Self {
        Campaign { seed, personality }
    }

    /// Runs cases until `limit` of wall time has passed, calling `progress` with the number
    /// of cases run so far after each one. Returns the number of cases, all agreeing, or the
    /// first failure, shrunk. Wall time decides only how many cases run, never what a case
    /// does: case `k` is the same on any machine.
    pub fn run_for(&self, limit: Duration, progress: impl FnMut(u64)) -> Result<u64, Box<Failure>> {
        let start = Instant::now();
        self.run_while(|_| start.elapsed() < limit, progress)
    }

    /// Runs cases `0..n`, calling `progress` as [`Campaign::run_for`] does.
    pub fn run_cases(&self, n: u64, progress: impl FnMut(u64)) -> Result<u64, Box<Failure>> {
        self.run_while(|k| k < n, progress)
    }

    fn run_while(
        &self,
        mut more: impl FnMut(u64) -> bool,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, Box<Failure>> {
        let mut cases = 0u64;
        while more(cases) {
            check(case_seed(self.seed, cases), self.personality)?;
            cases += 1;
            progress(cases);
        }
        Ok(cases)
    }
}
