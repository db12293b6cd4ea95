//! `winsock-sim run`: a scenario's steps, each with what it returned (error and flag names
//! spelled out) and the simulator's own events under it, with their virtual time.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;
use winsock_sim::{Errno, Personality};
use winsock_sim_diff::scenario::{Scenario, Step};
use winsock_sim_diff::trace::Record;

use crate::load::{self, Played};
use crate::Verdict;

/// `winsock-sim run`.
pub fn run(path: &Path, personality: Personality, save: Option<&Path>) -> Result<Verdict> {
    let sc = load::scenario(path)?;
    let played = load::play(&sc, personality, false)?;
    print!("{}", annotated(&sc, &played));
    if let Some(out) = save {
        let json = serde_json::to_string_pretty(&played.trace)? + "\n";
        std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(Verdict::Ok)
}

/// The annotated listing of a played scenario.
pub fn annotated(sc: &Scenario, played: &Played) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "scenario {} on {}", sc.name, played.trace.executor);
    if !sc.about.is_empty() {
        let _ = writeln!(s, "  {}", sc.about);
    }
    if !sc.covers.is_empty() {
        let _ = writeln!(s, "  contract rows: {}", sc.covers.join(" "));
    }
    let events = played.sim.trace();
    let events = events.records();
    let mut from = 0;
    for (i, (step, record)) in sc.steps.iter().zip(&played.trace.records).enumerate() {
        let _ = writeln!(s, "\nstep {i:>2}  {}", describe(step));
        let _ = writeln!(s, "         => {}", outcome(record));
        let to = played
            .marks
            .get(i)
            .copied()
            .unwrap_or(from)
            .min(events.len());
        for e in &events[from..to] {
            let _ = writeln!(s, "         {} {}", e.time, e.event);
        }
        from = to;
    }
    let ledger = played.sim.ledger();
    let _ = writeln!(
        s,
        "\n{} steps, {} simulator events, virtual time {}; datagrams: {}",
        sc.steps.len(),
        events.len(),
        played.sim.now(),
        match ledger.check() {
            Ok(()) => "every one accounted for".to_string(),
            Err(e) => format!("LEDGER ERROR: {e}"),
        }
    );
    s
}

/// A step as `op key=value ...`, leaving out what is at its default.
pub fn describe(step: &Step) -> String {
    let v = serde_json::to_value(step).unwrap_or(Value::Null);
    let Value::Object(map) = v else {
        return format!("{step:?}");
    };
    let op = map.get("op").and_then(Value::as_str).unwrap_or("?");
    let mut s = op.to_string();
    for (k, v) in &map {
        let default = match (k.as_str(), v) {
            ("op", _) | (_, Value::Null) | (_, Value::Bool(false)) => true,
            ("count", Value::Bool(true)) => true,
            ("protocol" | "flags", Value::Number(n)) => n.as_i64() == Some(0),
            (_, Value::Array(a)) => a.is_empty(),
            (_, Value::Object(o)) => o.is_empty(),
            _ => false,
        };
        if !default {
            let _ = write!(s, " {k}={}", compact(v));
        }
    }
    s
}

/// JSON without quotes around plain words, and without fields at their default.
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "\"\"".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(",")),
        Value::Object(o) => {
            let fields: Vec<String> = o
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Null | Value::Bool(false)))
                .map(|(k, v)| format!("{k}:{}", compact(v)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        v => v.to_string(),
    }
}

/// A record's results: the return value, the error by name, then every other field present,
/// flags by name.
pub fn outcome(r: &Record) -> String {
    let mut s = format!("ret {}", r.ret);
    if r.error != 0 {
        let _ = write!(s, " error {}", error_name(r.error));
    }
    let v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(map) = v {
        for (k, v) in &map {
            if matches!(k.as_str(), "step" | "op" | "ret" | "error") {
                continue;
            }
            match (k.as_str(), v.as_u64()) {
                ("flags", Some(f)) => {
                    let _ = write!(s, " flags {}", flag_names(f as u32));
                }
                _ => {
                    let _ = write!(s, " {k} {}", compact(v));
                }
            }
        }
    }
    s
}

/// A Winsock or Win32 error code with its name where the simulator knows it.
pub fn error_name(code: i32) -> String {
    match Errno::from_code(code) {
        Some(e) => format!("{} ({code})", e.name()),
        None => code.to_string(),
    }
}

/// Receive flags by name (`0x300 MSG_TRUNC|MSG_CTRUNC`).
pub fn flag_names(f: u32) -> String {
    const NAMES: &[(u32, &str)] = &[
        (0x1, "MSG_OOB"),
        (0x2, "MSG_PEEK"),
        (0x100, "MSG_TRUNC"),
        (0x200, "MSG_CTRUNC"),
        (0x400, "MSG_BCAST"),
        (0x800, "MSG_MCAST"),
        (0x8000, "MSG_PARTIAL"),
    ];
    if f == 0 {
        return "0".to_string();
    }
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    let rest = f & !NAMES.iter().map(|(b, _)| b).fold(0, |a, b| a | b);
    let mut s = format!("{f:#x} {}", names.join("|"));
    if rest != 0 {
        let _ = write!(s, "|{rest:#x}");
    }
    s.trim_end().to_string()
}
