//! `winsock-sim showcase`: the README's main job. A tour of what the tool shows, on files
//! built into it so it runs from anywhere: a scenario's annotated trace, the simulator against
//! Wine's recorded trace of it, a two-host network captured to pcap, and a campaign against
//! the reference model, with a disagreement found, shrunk and named by its seed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, ensure, Context, Result};
use winsock_sim::api::Socket;
use winsock_sim::{Fault, FaultRule, Personality, Sim};
use winsock_sim_campaign::Campaign;
use winsock_sim_diff::trace::Trace;

use crate::annotate::annotated;
use crate::load::{self, quietly};
use crate::tracediff::report;
use crate::Verdict;

const SCENARIO: &str = include_str!("../../diff/corpus/truncation.json");
const WINE_TRACE: &str = include_str!("../../diff/traces/wine/truncation.json");

fn part(title: &str) {
    println!(
        "\n=== {title} {}",
        "=".repeat(90usize.saturating_sub(title.len()))
    );
}

/// `winsock-sim showcase`.
pub fn tour(pcap: Option<PathBuf>) -> Result<Verdict> {
    println!("winsock-sim showcase: every part below is deterministic; run it twice and compare.");
    let sc = load::scenario_from(SCENARIO)?;
    let wine: Trace = serde_json::from_str(WINE_TRACE)?;

    part("1. run: a scenario on the simulator, annotated");
    println!("$ winsock-sim run diff/corpus/truncation.json\n");
    let windows = load::play(&sc, Personality::Windows, false)?;
    print!("{}", annotated(&sc, &windows));

    part("2. diff: the simulator against Wine 8's recorded trace");
    println!("$ winsock-sim run diff/corpus/truncation.json --save sim.json");
    println!("$ winsock-sim diff sim.json diff/traces/wine/truncation.json\n");
    let (text, same) = report(&windows.trace, &wine, Some(&sc), true);
    print!("{text}");
    ensure!(
        !same,
        "the Windows personality should differ from Wine here"
    );
    let rows: Vec<String> = sc
        .wine_differs
        .iter()
        .map(|(row, steps)| format!("{row} at steps {steps:?}"))
        .collect();
    println!(
        "expected: Windows and Wine 8 differ here (CONTRACT.md section W: {})",
        rows.join(", ")
    );
    println!("\n$ winsock-sim run diff/corpus/truncation.json --personality wine8 --save sim.json");
    let wine8 = load::play(&sc, Personality::Wine8, false)?;
    let (text, same) = report(&wine8.trace, &wine, Some(&sc), false);
    print!("{text}");
    ensure!(same, "the Wine8 personality should match Wine's trace");

    part("3. pcap: two hosts, 2 ms apart, a path that loses a third of its datagrams");
    let path = pcap.unwrap_or_else(|| std::env::temp_dir().join("winsock-sim-showcase.pcap"));
    let sent = echo_over_lossy_path(&path)?;
    println!("wrote {sent} datagrams to {}", path.display());
    println!(
        "look at it: tshark -r {} (or open it in Wireshark)",
        path.display()
    );

    part("4. campaign: random scenarios, the simulator against the reference model");
    println!("$ winsock-sim campaign --cases 100 --seed 1");
    let n = quietly(|| Campaign::new(1, Personality::Windows).run_cases(100, |_| ()))
        .map_err(|e| anyhow!(e))?
        .map_err(|f| anyhow!("the simulator disagrees with the model:\n{f}"))?;
    println!("{n} cases agree with the model at every step");
    println!("\nThe model describes Windows. With Wine 8's personality the simulator departs from");
    println!("it, and the campaign finds where, shrinks the case, and names its seed:");
    println!("$ winsock-sim campaign --cases 200 --seed 1 --personality wine8");
    let f = quietly(|| Campaign::new(1, Personality::Wine8).run_cases(200, |_| ()))
        .map_err(|e| anyhow!(e))?
        .err()
        .context("Wine 8's personality should disagree with the Windows model")?;
    print!("{f}");
    println!(
        "replay: winsock-sim replay --seed {} --personality wine8",
        f.case_seed
    );

    part("more");
    println!("winsock-sim --help; the README's \"Command-line tool\" section; cargo run --example recv_loop");
    Ok(Verdict::Ok)
}

/// A client on host "client" sends six datagrams to an echo server on host "server" over a
/// lossy path; both directions are captured. Returns the number of datagrams sent.
fn echo_over_lossy_path(pcap: &std::path::Path) -> Result<usize> {
    let sim = Sim::builder()
        .seed(2)
        .capture(true)
        .host("client", &["10.0.0.1/24"])
        .host("server", &["10.0.0.2/24"])
        .latency(Duration::from_millis(2))
        .fault(FaultRule::global(Fault::Drop).with_probability(0.34))
        .build();
    let (client, server) = (
        sim.host("client").context("host")?,
        sim.host("server").context("host")?,
    );
    let addr = |s: &str| s.parse().context("address");
    let srv = Socket::bind_udp(&sim, server, addr("10.0.0.2:7")?)?;
    let cli = Socket::bind_udp(&sim, client, addr("10.0.0.1:40000")?)?;
    srv.set_read_timeout(Some(Duration::from_millis(50)))?;
    cli.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut buf = [0u8; 2048];
    for i in 0..6u8 {
        let ping = vec![b'a' + i; 10 * (usize::from(i) + 1)];
        cli.send_to(&ping, addr("10.0.0.2:7")?)?;
        let line = match srv.recv_from(&mut buf) {
            Ok((n, from)) => {
                srv.send_to(&buf[..n], from)?;
                match cli.recv_from(&mut buf) {
                    Ok((m, _)) => format!("echoed {m} bytes"),
                    Err(e) => format!("the echo was lost ({})", e.name()),
                }
            }
            Err(e) => format!("lost on the way ({} at the server)", e.name()),
        };
        println!(
            "  {} ping {} ({:>2} bytes): {line}",
            sim.now(),
            i + 1,
            ping.len()
        );
    }
    let file =
        std::fs::File::create(pcap).with_context(|| format!("creating {}", pcap.display()))?;
    sim.write_pcap(std::io::BufWriter::new(file))?;
    Ok(sim.captured().len())
}
