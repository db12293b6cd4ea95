//! Exploring every order Windows allows in a small scenario.
//!
//! A simulation makes each choice Windows leaves open (see [`Choices`]) through one chooser
//! and records it. `explore` runs a scenario with a replayed list of choices, looks at the
//! choices the run made, and moves to the next list depth-first, until every combination
//! reachable from the scenario has run once.

use crate::sched::choice::Choices;
use crate::sim::{Sim, SimBuilder};

/// One run of an exploration: the choices it made (the option taken at each choice point)
/// and what the scenario returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run<R> {
    /// The option taken at each choice point, in order.
    pub choices: Vec<usize>,
    /// The scenario's result.
    pub result: R,
}

/// Runs `scenario` on a fresh simulation from `builder` once per reachable sequence of
/// choices, at most `max_runs` times, and returns every run.
pub fn explore<R>(
    builder: &SimBuilder,
    max_runs: usize,
    scenario: impl Fn(&Sim) -> R,
) -> Vec<Run<R>> {
    let mut prefix: Vec<usize> = Vec::new();
    let mut runs = Vec::new();
    while runs.len() < max_runs {
        let sim = builder
            .clone()
            .choices(Choices::Replay(prefix.clone()))
            .build();
        let result = scenario(&sim);
        let made = sim.choices_made();
        runs.push(Run {
            choices: made.iter().map(|c| c.0).collect(),
            result,
        });
        // The deepest choice point that still has an option left.
        let Some(j) = made.iter().rposition(|&(v, n)| v + 1 < n) else {
            break;
        };
        prefix = made[..j].iter().map(|c| c.0).collect();
        prefix.push(made[j].0 + 1);
    }
    runs
}
