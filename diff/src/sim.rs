//! Playing a scenario on the simulator.

use winsock_sim::{Choices, Fault, FaultRule, Personality, Sim, SimBuilder};

use crate::interp::{play, Host};
use crate::scenario::{FaultSpec, Scenario};
use crate::trace::Trace;

/// A personality as a command-line value (`--personality windows|wine8`), for the tools
/// built on this crate.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Who {
    /// Real Windows (the simulator's default).
    #[default]
    Windows,
    /// Wine 8.
    Wine8,
}

impl From<Who> for Personality {
    fn from(w: Who) -> Personality {
        match w {
            Who::Windows => Personality::Windows,
            Who::Wine8 => Personality::Wine8,
        }
    }
}

/// The simulator as an executor.
struct SimHost {
    sim: Sim,
    personality: Personality,
    /// After each step, the length of the simulator's trace.
    marks: Vec<usize>,
}

impl Host for SimHost {
    fn name(&self) -> String {
        format!("sim:{:?}", self.personality)
    }

    fn settle(&mut self) {
        // Completions happen at once; nothing to wait for.
    }

    fn fault(&mut self, fault: Option<FaultSpec>) {
        match fault {
            None => self.sim.clear_faults(),
            Some(f) => self.sim.add_fault(
                FaultRule::global(match f {
                    FaultSpec::Drop => Fault::Drop,
                    FaultSpec::Duplicate => Fault::Duplicate { copies: 1 },
                    FaultSpec::ExpireTtl => Fault::ExpireTtl,
                })
                .times(1),
            ),
        }
    }

    fn after_step(&mut self, _step: usize) {
        self.marks.push(self.sim.trace().records().len());
    }
}

/// The simulation a scenario plays on: seed 1, `personality`, and completion routines due
/// together run in completion order, as a real system's FIFO APC queue runs them (Windows
/// allows any order; the simulator's default draws one from the seed).
pub fn builder(personality: Personality) -> SimBuilder {
    Sim::builder()
        .seed(1)
        .personality(personality)
        .choices(Choices::InOrder)
}

/// Plays `sc` on a fresh simulation (see [`builder`]) and returns its trace.
pub fn run(sc: &Scenario, personality: Personality) -> Trace {
    run_on(sc, &builder(personality).build(), personality).0
}

/// Plays `sc` on `sim`, built with `personality`; returns its trace and, for each step, how
/// many events the simulator's own trace (`Sim::trace`) had when the step ended.
pub fn run_on(sc: &Scenario, sim: &Sim, personality: Personality) -> (Trace, Vec<usize>) {
    let _g = sim.enter();
    let mut host = SimHost {
        sim: sim.clone(),
        personality,
        marks: Vec::new(),
    };
    let trace = play(sc, &mut host);
    (trace, host.marks)
}
