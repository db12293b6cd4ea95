//! Runs `n` operations of one benchmark case and nothing else, for `instructions.sh` to count
//! their instructions under callgrind (the count at `n` less the count at 0, divided by `n`).
//! Unlike a time, the count does not depend on how busy the machine is.
//!
//! ```sh
//! cycles <case> <n>     # case: safe_pair | ws2_pair | overlapped_pending | overlapped_at_once
//! ```

use std::process::ExitCode;

use winsock_sim_benches::{ws2::Ws2Pair, SimPair};

/// The cases, as `instructions.sh` names them.
const CASES: [&str; 4] = [
    "safe_pair",
    "ws2_pair",
    "overlapped_pending",
    "overlapped_at_once",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (case, n) = match args.as_slice() {
        [case, n] if CASES.contains(&case.as_str()) => match n.parse::<u64>() {
            Ok(n) => (case.as_str(), n),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    // Both set up whatever the case uses, so that the run at 0 counts the same setup.
    let safe = SimPair::new();
    let ws2 = Ws2Pair::new();
    let run = |n: u64| match case {
        "safe_pair" => safe.run(n),
        "ws2_pair" => ws2.run(n),
        "overlapped_pending" => ws2.overlapped(n, false),
        _ => ws2.overlapped(n, true),
    };
    // One first, so that first-use work (lazy allocations, provider start-up) is setup.
    run(1);
    run(n);
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: cycles <{}> <n>", CASES.join(" | "));
    ExitCode::from(2)
}
