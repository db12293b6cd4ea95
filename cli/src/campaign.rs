//! `winsock-sim campaign` and `winsock-sim replay`: the conformance campaign against the
//! reference model (`winsock-sim-campaign`), and one of its cases by seed.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use indicatif::{ProgressBar, ProgressStyle};
use winsock_sim::Personality;
use winsock_sim_campaign::{check, draw, play, Campaign, Failure};

use crate::load::quietly;
use crate::{Verdict, Who};

/// The replay command for a failure.
fn replay_hint(f: &Failure, who: Who) -> String {
    let mut s = format!("winsock-sim replay --seed {}", f.case_seed);
    if matches!(who, Who::Wine8) {
        s.push_str(" --personality wine8");
    }
    s
}

/// `winsock-sim campaign`.
pub fn campaign(seed: u64, who: Who, seconds: u64, cases: Option<u64>) -> Result<Verdict> {
    let c = Campaign::new(seed, who.into());
    let bar = match cases {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new(seconds),
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")
            .map_err(|e| anyhow!("progress style: {e}"))?,
    );
    let start = Instant::now();
    // Cases are quick; redrawing after each would cost more than the case.
    let mut tick = |n: u64| {
        if n % 16 == 0 {
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("{n} cases, {:.0} cases/s", n as f64 / secs));
            if cases.is_none() {
                bar.set_position(start.elapsed().as_secs().min(seconds));
            } else {
                bar.set_position(n);
            }
        }
    };
    let outcome = quietly(|| match cases {
        Some(n) => c.run_cases(n, &mut tick),
        None => c.run_for(Duration::from_secs(seconds), &mut tick),
    })
    .map_err(|e| anyhow!("the campaign itself failed: {e}"))?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    match outcome {
        Ok(n) => {
            println!(
                "campaign seed {seed} ({who:?}): {n} cases agree with the model ({:.0} cases/s)",
                n as f64 / secs.max(1e-9)
            );
            Ok(Verdict::Ok)
        }
        Err(f) => {
            println!("campaign seed {seed} ({who:?}): the simulator disagrees with the model");
            print!("{f}");
            println!("replay: {}", replay_hint(&f, who));
            Ok(Verdict::Differs)
        }
    }
}

/// `winsock-sim replay`.
pub fn replay(seed: u64, who: Who, show_trace: bool) -> Result<Verdict> {
    let personality: Personality = who.into();
    let sc = draw(seed);
    println!(
        "case seed {seed} ({who:?}): simulation seed {}, completion port {}, {} operations",
        sc.seed,
        if sc.port { "yes" } else { "no" },
        sc.ops.len()
    );
    for (i, op) in sc.ops.iter().enumerate() {
        println!("  {i:>3}  {op:?}");
    }
    let result = quietly(|| check(seed, personality))
        .map_err(|e| anyhow!("the replay itself failed: {e}"))?;
    match result {
        Ok(_) => {
            println!("agrees: the simulator and the model agree at every step");
            if show_trace {
                let trace = quietly(|| play(&sc, personality))
                    .map_err(|e| anyhow!("{e}"))?
                    .map_err(|e| anyhow!("{e}"))?;
                println!("\nsimulator trace:");
                print!("{trace}");
            }
            Ok(Verdict::Ok)
        }
        Err(f) => {
            println!("disagrees: {}", f.error);
            print!("{f}");
            Ok(Verdict::Differs)
        }
    }
}
