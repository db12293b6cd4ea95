//! Reading scenarios and traces, and playing a scenario without letting a bad one panic.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use winsock_sim::{Personality, Sim};
use winsock_sim_diff::scenario::{Buf, Scenario, Step};
use winsock_sim_diff::trace::Trace;

use crate::Verdict;

/// The most memory one step of a scenario may ask for: the interpreter allocates what a step
/// names, and an absurd length must be an error, not an abort.
const MAX_LEN: i64 = 16 << 20;

/// Reads a scenario file.
pub fn scenario(path: &Path) -> Result<Scenario> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    scenario_from(&text).with_context(|| format!("{}", path.display()))
}

/// Parses and checks a scenario.
pub fn scenario_from(text: &str) -> Result<Scenario> {
    let sc: Scenario = serde_json::from_str(text).context("not a scenario")?;
    for (i, step) in sc.steps.iter().enumerate() {
        check_sizes(step).with_context(|| format!("step {i}"))?;
    }
    Ok(sc)
}

fn check_sizes(step: &Step) -> Result<()> {
    let ok = |what: &str, n: i64| {
        if n > MAX_LEN {
            bail!("{what} of {n} bytes is larger than {MAX_LEN}")
        }
        Ok(())
    };
    let buf = |what: &str, b: &Option<Buf>| b.map_or(Ok(()), |b| ok(what, b.len));
    match step {
        Step::Recv {
            bufs,
            name,
            control,
            ..
        } => {
            for b in bufs {
                ok("a buffer", b.len)?;
            }
            buf("a name buffer", name)?;
            buf("a control buffer", control)
        }
        Step::Send { len, gather, .. } => {
            ok("a datagram", *len as i64)?;
            for g in gather.iter().flatten() {
                ok("a gather buffer", *g as i64)?;
            }
            Ok(())
        }
        Step::Ioctl { out, .. } | Step::Extension { out, .. } => ok("an output", i64::from(*out)),
        Step::Enum { len, .. } => ok("a buffer", i64::from(*len)),
        _ => Ok(()),
    }
}

/// Reads a trace file.
pub fn trace(path: &Path) -> Result<Trace> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a trace", path.display()))
}

/// Runs `f` with panics silenced and caught: a panic becomes an error carrying its message.
pub fn quietly<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown error".to_string())
    })
}

/// A scenario played on the simulator.
pub struct Played {
    /// The step trace (the `diff` format).
    pub trace: Trace,
    /// The simulation, for its own trace, ledger and capture.
    pub sim: Sim,
    /// After each step, how many events the simulation's trace had.
    pub marks: Vec<usize>,
}

/// Plays `sc`; a scenario the interpreter cannot play (a socket it never made, an address
/// that does not parse) is an error.
pub fn play(sc: &Scenario, personality: Personality, capture: bool) -> Result<Played> {
    let sim = winsock_sim_diff::sim::builder(personality)
        .capture(capture)
        .build();
    let (trace, marks) = quietly(|| winsock_sim_diff::sim::run_on(sc, &sim, personality))
        .map_err(|e| anyhow!("scenario {:?} cannot be played: {e}", sc.name))?;
    Ok(Played { trace, sim, marks })
}

/// `winsock-sim pcap`.
pub fn pcap(path: &Path, out: &Path, personality: Personality) -> Result<Verdict> {
    let sc = scenario(path)?;
    let played = play(&sc, personality, true)?;
    let file = fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    played
        .sim
        .write_pcap(std::io::BufWriter::new(file))
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}: {} datagrams sent, written to {}",
        sc.name,
        played.sim.captured().len(),
        out.display()
    );
    Ok(Verdict::Ok)
}
