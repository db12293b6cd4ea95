//! Playing a scenario on the simulator.

use winsock_sim::{Choices, Fault, FaultRule, Personality, Sim};

use crate::interp::{play, Host};
use crate::scenario::{FaultSpec, Scenario};
use crate::trace::Trace;

/// The simulator as an executor.
struct SimHost {
    sim: Sim,
    personality: Personality,
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
}

/// Plays `sc` on a fresh simulation with `personality` and seed 1. Completion routines due
/// together run in completion order, as a real system's FIFO APC queue runs them (Windows
/// allows any order; the simulator's default draws one from the seed).
pub fn run(sc: &Scenario, personality: Personality) -> Trace {
    let sim = Sim::builder()
        .seed(1)
        .personality(personality)
        .choices(Choices::InOrder)
        .build();
    let _g = sim.enter();
    let mut host = SimHost { sim, personality };
    play(sc, &mut host)
}
