//! `winsock-sim-diff`: plays scenarios on the simulator, and compares traces.
//!
//! ```sh
//! winsock-sim-diff sim diff/corpus --personality wine8 --out traces/sim
//! winsock-sim-diff check diff/corpus traces/wine --personality wine8
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use winsock_sim_diff::compare::compare;
use winsock_sim_diff::scenario::Scenario;
use winsock_sim_diff::sim::Who;
use winsock_sim_diff::trace::Trace;

#[derive(Parser)]
#[command(about = "Differential tests of winsock-sim against a real Winsock")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plays scenarios (files, or every *.json in a folder) on the simulator and writes one
    /// trace per scenario.
    Sim {
        /// Scenario files or folders.
        paths: Vec<PathBuf>,
        /// The simulator's personality.
        #[arg(long, value_enum, default_value = "windows")]
        personality: Who,
        /// Where to write the traces (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Plays every scenario of a corpus on the simulator and compares each trace with the
    /// real executor's trace of the same name in `traces`; exits 1 on any difference.
    Check {
        /// The corpus folder.
        corpus: PathBuf,
        /// The real executor's traces.
        traces: PathBuf,
        /// The simulator's personality.
        #[arg(long, value_enum, default_value = "wine8")]
        personality: Who,
    },
    /// Compares two traces.
    Compare {
        /// A trace.
        a: PathBuf,
        /// Another trace of the same scenario.
        b: PathBuf,
    },
}

/// Scenario files: the files given, and every *.json in the folders given, sorted.
fn scenarios(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut v: Vec<PathBuf> = fs::read_dir(p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn load(p: &Path) -> Result<Scenario, String> {
    let text = fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Sim {
            paths,
            personality,
            out,
        } => {
            for p in scenarios(&paths) {
                let sc = match load(&p) {
                    Ok(sc) => sc,
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::FAILURE;
                    }
                };
                let trace = winsock_sim_diff::sim::run(&sc, personality.into());
                let json = serde_json::to_string_pretty(&trace).expect("a trace serialises");
                match &out {
                    Some(dir) => {
                        fs::create_dir_all(dir).expect("the output folder");
                        fs::write(dir.join(format!("{}.json", sc.name)), json + "\n")
                            .expect("the trace file");
                    }
                    None => println!("{json}"),
                }
            }
            ExitCode::SUCCESS
        }
        Command::Check {
            corpus,
            traces,
            personality,
        } => {
            let (mut played, mut skipped, mut differing) = (0, 0, 0);
            for p in scenarios(&[corpus]) {
                let sc = match load(&p) {
                    Ok(sc) => sc,
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::FAILURE;
                    }
                };
                let executor = match personality {
                    Who::Windows => "windows",
                    Who::Wine8 => "wine",
                };
                if sc.sim_only || sc.skip.contains_key(executor) {
                    skipped += 1;
                    continue;
                }
                let real_path = traces.join(format!("{}.json", sc.name));
                let real: Trace = match fs::read_to_string(&real_path)
                    .map_err(|e| e.to_string())
                    .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
                {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{}: no trace ({e})", real_path.display());
                        differing += 1;
                        continue;
                    }
                };
                let sim = winsock_sim_diff::sim::run(&sc, personality.into());
                played += 1;
                let diffs = compare(&sim, &real);
                if !diffs.is_empty() {
                    differing += 1;
                    println!("{}: {} difference(s)", sc.name, diffs.len());
                    for d in diffs {
                        println!(
                            "  step {} {}: {} {}, {} {}",
                            d.step, d.field, sim.executor, d.left, real.executor, d.right
                        );
                    }
                }
            }
            println!("{played} scenarios compared, {skipped} not played there, {differing} with differences");
            if differing == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Compare { a, b } => {
            let read = |p: &Path| -> Trace {
                serde_json::from_str(&fs::read_to_string(p).expect("a trace file"))
                    .expect("a trace")
            };
            let (ta, tb) = (read(&a), read(&b));
            let diffs = compare(&ta, &tb);
            for d in &diffs {
                println!("step {} {}: {} vs {}", d.step, d.field, d.left, d.right);
            }
            if diffs.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
