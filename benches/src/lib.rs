//! The peers the benchmarks compare, each able to run `n` 64-byte send + receive pairs, and
//! a table that turns what criterion measured into ratios.
//!
//! Every peer does the same thing: one socket sends 64 bytes to another on the same host,
//! which receives them into a 128-byte buffer. Kernel loopback UDP (`std::net`) is the
//! yardstick; turmoil's simulated UDP is the other simulator.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub mod ws2;

/// The payload of every pair.
pub const PAYLOAD: [u8; 64] = [0x5a; 64];

/// Mean time per iteration of each benchmark, from every sample criterion took.
static TOTALS: Mutex<BTreeMap<String, (Duration, u64)>> = Mutex::new(BTreeMap::new());

/// Times `iters` runs of `f`, adding them to the table under `name`; for
/// `criterion::Bencher::iter_custom`.
pub fn timed(name: &str, iters: u64, f: impl FnOnce(u64)) -> Duration {
    let start = Instant::now();
    f(iters);
    let took = start.elapsed();
    add(name, iters, took);
    took
}

/// Adds `iters` iterations that took `took` to the table under `name`.
pub fn add(name: &str, iters: u64, took: Duration) {
    let mut t = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
    let e = t.entry(name.to_string()).or_default();
    e.0 += took;
    e.1 += iters;
}

/// Mean nanoseconds per iteration of `name`, if it ran.
pub fn mean_ns(name: &str) -> Option<f64> {
    let t = TOTALS.lock().unwrap_or_else(|p| p.into_inner());
    t.get(name)
        .filter(|(_, n)| *n > 0)
        .map(|(d, n)| d.as_nanos() as f64 / *n as f64)
}

/// Prints each benchmark's mean and how many times faster than `baseline` it is.
pub fn print_ratios(title: &str, baseline: &str, names: &[&str]) {
    let Some(base) = mean_ns(baseline) else {
        return;
    };
    println!("\n{title} (mean of every sample; ratio = {baseline} / it)");
    for name in names {
        if let Some(ns) = mean_ns(name) {
            println!("  {name:<28} {ns:>12.1} ns   {:>8.1}x", base / ns);
        }
    }
}

/// The simulator's safe API: two UDP sockets on one simulated host.
pub struct SimPair {
    _sim: winsock_sim::Sim,
    tx: winsock_sim::api::Socket,
    rx: winsock_sim::api::Socket,
    to: std::net::SocketAddr,
}

impl SimPair {
    /// Without a trace: a benchmark measures the data path, not the recording of it.
    pub fn new() -> SimPair {
        SimPair::in_sim(winsock_sim::Sim::builder().trace(false).build())
    }

    pub fn in_sim(sim: winsock_sim::Sim) -> SimPair {
        use winsock_sim::api::Socket;
        let host = winsock_sim::HostId::default();
        let local = "127.0.0.1:0".parse().expect("an address");
        let tx = Socket::bind_udp(&sim, host, local).expect("bind");
        let rx = Socket::bind_udp(&sim, host, local).expect("bind");
        let to = rx.local_addr().expect("bound");
        SimPair {
            _sim: sim,
            tx,
            rx,
            to,
        }
    }

    pub fn run(&self, n: u64) {
        pairs(
            n,
            || self.tx.send_to(&PAYLOAD, self.to).expect("send"),
            |buf| self.rx.recv_from(buf).expect("receive").0,
        );
    }
}

/// `n` pairs: `send` sends `PAYLOAD`, `recv` receives into a 128-byte buffer and says how
/// many bytes it got. The simulator and kernel loopback run this one loop.
#[inline(always)]
fn pairs(n: u64, mut send: impl FnMut() -> usize, mut recv: impl FnMut(&mut [u8]) -> usize) {
    let mut buf = [0u8; 128];
    for _ in 0..n {
        send();
        assert_eq!(recv(&mut buf), PAYLOAD.len());
    }
}

impl Default for SimPair {
    fn default() -> Self {
        SimPair::new()
    }
}

/// Kernel loopback UDP.
pub struct LoopbackPair {
    tx: std::net::UdpSocket,
    rx: std::net::UdpSocket,
    to: std::net::SocketAddr,
}

impl LoopbackPair {
    pub fn new() -> std::io::Result<LoopbackPair> {
        let tx = std::net::UdpSocket::bind("127.0.0.1:0")?;
        let rx = std::net::UdpSocket::bind("127.0.0.1:0")?;
        let to = rx.local_addr()?;
        Ok(LoopbackPair { tx, rx, to })
    }

    pub fn run(&self, n: u64) {
        pairs(
            n,
            || self.tx.send_to(&PAYLOAD, self.to).expect("send"),
            |buf| self.rx.recv_from(buf).expect("receive").0,
        );
    }
}

/// turmoil's simulated UDP: `n` pairs inside one turmoil simulation; returns the time the
/// pairs took (the simulation's set-up is left out).
pub fn turmoil_pairs(n: u64) -> Duration {
    use std::net::{IpAddr, Ipv4Addr};
    let took = std::sync::Arc::new(Mutex::new(Duration::ZERO));
    let out = took.clone();
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(u64::MAX / 4))
        .build();
    sim.client("host", async move {
        let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let tx = turmoil::net::UdpSocket::bind((any, 1000)).await?;
        let rx = turmoil::net::UdpSocket::bind((any, 1001)).await?;
        let to = (turmoil::lookup("host"), 1001);
        let mut buf = [0u8; 128];
        let start = Instant::now();
        for _ in 0..n {
            tx.send_to(&PAYLOAD, to).await?;
            let (len, _) = rx.recv_from(&mut buf).await?;
            assert_eq!(len, PAYLOAD.len());
        }
        *out.lock().unwrap_or_else(|p| p.into_inner()) = start.elapsed();
        Ok(())
    });
    sim.run().expect("the turmoil simulation runs");
    let d = *took.lock().unwrap_or_else(|p| p.into_inner());
    d
}
