//! `winsock-sim`: the simulator on the command line.
//!
//! ```sh
//! winsock-sim run diff/corpus/truncation.json           # an annotated trace
//! winsock-sim diff sim.json diff/traces/wine/truncation.json
//! winsock-sim campaign --seconds 30 --seed 7            # progress bar; a failure names its seed
//! winsock-sim replay --seed 1234567                     # one campaign case, step by step
//! winsock-sim pcap diff/corpus/truncation.json -o out.pcap
//! winsock-sim showcase                                  # all of the above, on a tour
//! ```
//!
//! Exit status: 0 when all is well, 1 when traces differ or the simulator disagrees with the
//! model, 2 for bad input (a missing file, a malformed scenario, a bad option).

mod annotate;
mod campaign;
mod load;
mod showcase;
mod tracediff;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
pub use winsock_sim_diff::sim::Who;

#[derive(Parser)]
#[command(
    name = "winsock-sim",
    version,
    about = "Run Winsock scenarios on the simulator, replay campaign seeds, diff traces, export pcap"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plays a scenario (diff/corpus format) and prints an annotated trace: each step with
    /// its result and error names, and the simulator's own events under it, with virtual time.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// The simulator's personality.
        #[arg(long, value_enum, default_value_t)]
        personality: Who,
        /// Also write the step trace (the `diff` format) to this file.
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
    },
    /// Replays one case of a campaign by its seed (as `campaign` prints it): its operations,
    /// and the first disagreement with the model, shrunk, or "agrees".
    Replay {
        /// The case's seed.
        #[arg(long)]
        seed: u64,
        /// The simulator's personality (the model is Windows).
        #[arg(long, value_enum, default_value_t)]
        personality: Who,
        /// Print the simulator's trace of an agreeing case.
        #[arg(long)]
        trace: bool,
    },
    /// Compares two traces of one scenario (simulator, Wine or Windows; the `diff` format) and
    /// shows the first divergent step with its context. Exits 1 if they differ.
    Diff {
        /// A trace.
        a: PathBuf,
        /// Another trace of the same scenario.
        b: PathBuf,
        /// The scenario, to show what each step did.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// List every difference, not only the first divergent step.
        #[arg(long)]
        all: bool,
    },
    /// Runs the conformance campaign against the reference model with a progress bar. Exits 1
    /// on a disagreement and prints the seed to replay.
    Campaign {
        /// How long to run (wall-clock seconds).
        #[arg(long, default_value_t = 10, conflicts_with = "cases")]
        seconds: u64,
        /// Run exactly this many cases instead (the same ones on every machine).
        #[arg(long)]
        cases: Option<u64>,
        /// The campaign's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The simulator's personality (the model is Windows).
        #[arg(long, value_enum, default_value_t)]
        personality: Who,
    },
    /// Plays a scenario and writes the traffic on its virtual network as a pcap file
    /// (Wireshark, tshark).
    Pcap {
        /// The scenario file.
        scenario: PathBuf,
        /// The pcap file to write.
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// The simulator's personality.
        #[arg(long, value_enum, default_value_t)]
        personality: Who,
    },
    /// A tour: an annotated scenario, a diff against Wine, a two-host network captured to
    /// pcap, and a campaign with a disagreement replayed.
    Showcase {
        /// Where to write the tour's pcap (default: in the temporary directory).
        #[arg(long, value_name = "FILE")]
        pcap: Option<PathBuf>,
    },
}

/// What a subcommand found: all well, or a difference worth a non-zero exit.
pub enum Verdict {
    Ok,
    Differs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            scenario,
            personality,
            save,
        } => annotate::run(&scenario, personality.into(), save.as_deref()),
        Command::Replay {
            seed,
            personality,
            trace,
        } => campaign::replay(seed, personality, trace),
        Command::Diff {
            a,
            b,
            scenario,
            all,
        } => tracediff::diff(&a, &b, scenario.as_deref(), all),
        Command::Campaign {
            seconds,
            cases,
            seed,
            personality,
        } => campaign::campaign(seed, personality, seconds, cases),
        Command::Pcap {
            scenario,
            out,
            personality,
        } => load::pcap(&scenario, &out, personality.into()),
        Command::Showcase { pcap } => showcase::tour(pcap),
    };
    match result {
        Ok(Verdict::Ok) => ExitCode::SUCCESS,
        Ok(Verdict::Differs) => ExitCode::from(1),
        Err(e) => {
            eprintln!("winsock-sim: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
