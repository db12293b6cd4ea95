//! `winsock-sim diff`: two traces of one scenario, the first step where they part, with the
//! steps before it for context.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use winsock_sim_diff::compare::{compare, Difference};
use winsock_sim_diff::scenario::Scenario;
use winsock_sim_diff::trace::{Record, Trace};

use crate::annotate::{describe, error_name, flag_names, outcome};
use crate::load;
use crate::Verdict;

/// Agreeing steps shown before the first divergence.
const CONTEXT: usize = 2;

/// `winsock-sim diff`.
pub fn diff(a: &Path, b: &Path, scenario: Option<&Path>, all: bool) -> Result<Verdict> {
    let (ta, tb) = (load::trace(a)?, load::trace(b)?);
    let sc = scenario.map(load::scenario).transpose()?;
    let (text, same) = report(&ta, &tb, sc.as_ref(), all);
    print!("{text}");
    Ok(if same { Verdict::Ok } else { Verdict::Differs })
}

/// The report, and whether the traces agree.
pub fn report(a: &Trace, b: &Trace, sc: Option<&Scenario>, all: bool) -> (String, bool) {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "a: {} ({}, {} steps)\nb: {} ({}, {} steps)",
        a.scenario,
        a.executor,
        a.records.len(),
        b.scenario,
        b.executor,
        b.records.len()
    );
    if a.scenario != b.scenario {
        let _ = writeln!(s, "warning: the traces are of different scenarios");
    }
    let diffs = compare(a, b);
    // Differences by step, in step order.
    let mut by_step: BTreeMap<usize, Vec<&Difference>> = BTreeMap::new();
    for d in &diffs {
        by_step.entry(d.step).or_default().push(d);
    }
    let Some((&first, _)) = by_step.iter().next() else {
        let _ = writeln!(s, "identical: {} steps agree", a.records.len());
        return (s, true);
    };
    let _ = writeln!(s);
    for step in first.saturating_sub(CONTEXT)..first {
        let _ = writeln!(s, "  step {step:>2}  {}", what(step, a, sc));
        let _ = writeln!(s, "           both: {}", record(a, step));
    }
    let show = |s: &mut String, step: usize, ds: &[&Difference]| {
        let _ = writeln!(s, "> step {step:>2}  {}", what(step, a, sc));
        let _ = writeln!(s, "           a: {}", record(a, step));
        let _ = writeln!(s, "           b: {}", record(b, step));
        for d in ds {
            let _ = writeln!(
                s,
                "           {}: a {} / b {}",
                d.field,
                value(&d.field, &d.left),
                value(&d.field, &d.right)
            );
        }
    };
    let _ = writeln!(s, "first divergence at step {first}:");
    show(&mut s, first, &by_step[&first]);
    let later: Vec<usize> = by_step.keys().copied().filter(|&k| k != first).collect();
    if all {
        for &step in &later {
            show(&mut s, step, &by_step[&step]);
        }
    } else if !later.is_empty() {
        let _ = writeln!(
            s,
            "and {} later step(s) differ: {} (--all lists them)",
            later.len(),
            later
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        s,
        "{} difference(s) in {} step(s)",
        diffs.len(),
        by_step.len()
    );
    (s, false)
}

/// What step `i` did: from the scenario if given, else the op the trace names.
fn what(i: usize, t: &Trace, sc: Option<&Scenario>) -> String {
    match sc.and_then(|sc| sc.steps.get(i)) {
        Some(step) => describe(step),
        None => t
            .records
            .get(i)
            .map_or_else(|| "(no such step)".to_string(), |r| r.op.clone()),
    }
}

fn record(t: &Trace, i: usize) -> String {
    t.records
        .get(i)
        .map_or_else(|| "(absent)".to_string(), |r: &Record| outcome(r))
}

/// A differing field's value, with the error's name.
fn value(field: &str, v: &str) -> String {
    match (field, v.parse::<i64>()) {
        ("error", Ok(code)) if code != 0 => error_name(code as i32),
        ("flags", Ok(f)) => flag_names(f as u32),
        _ => v.to_string(),
    }
}
