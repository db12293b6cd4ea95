//! Scale: the cost of a send + receive pair among 10, 1,000 and 100,000 sockets, with and
//! without 1,000,000 datagrams queued, and the memory a queued datagram costs beyond its
//! payload (counted by a global allocator that tracks live bytes).
//!
//! ```sh
//! cd benches && cargo bench --bench scale
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicIsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion};
use winsock_sim::api::Socket;
use winsock_sim::{HostId, Sim};
use winsock_sim_benches::{mean_ns, timed, SimPair, PAYLOAD};

/// Live heap bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout contract is forwarded.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: `p` came from `alloc` with this layout.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const QUEUED: usize = 1_000_000;

/// Socket `i` of a crowd: its own loopback address and port (the ephemeral range has only
/// 16,384 ports a host).
fn crowd_addr(i: usize) -> SocketAddr {
    let (ip, port) = (i / 50_000, i % 50_000);
    let ip = Ipv4Addr::new(127, 1, (ip >> 8) as u8, ip as u8);
    SocketAddr::new(IpAddr::V4(ip), 1000 + port as u16)
}

/// `n` bound sockets besides the measured pair.
fn crowd(sim: &Sim, n: usize) -> Vec<Socket> {
    (0..n)
        .map(|i| Socket::bind_udp(sim, HostId::default(), crowd_addr(i)).expect("bind"))
        .collect()
}

/// Queues `total` 64-byte datagrams, spread evenly over `sockets`.
fn fill(sim: &Sim, sockets: &[Socket], total: usize) {
    let tx = Socket::bind_udp(sim, HostId::default(), "127.0.0.1:0".parse().unwrap()).unwrap();
    for s in sockets {
        s.set_recv_buffer_size(1 << 30).expect("SO_RCVBUF");
    }
    for i in 0..total {
        let to = sockets[i % sockets.len()].local_addr().unwrap();
        tx.send_to(&PAYLOAD, to).expect("send");
    }
    assert_eq!(sim.ledger().queued as usize, total);
}

fn pair_among(c: &mut Criterion) {
    let mut g = c.benchmark_group("pair_among_sockets");
    for (n, queued) in [(10, 0), (1_000, 0), (100_000, 0), (100_000, QUEUED)] {
        let sim = Sim::builder().trace(false).build();
        let others = crowd(&sim, n - 2);
        if queued > 0 {
            fill(&sim, &others, queued);
        }
        let pair = SimPair::in_sim(sim);
        let name = format!("{n}_sockets_{queued}_queued");
        g.bench_function(&name, |b| {
            b.iter_custom(|iters| timed(&name, iters, |k| pair.run(k)))
        });
    }
    g.finish();
}

/// Live bytes added by queueing `total` datagrams over `sockets` sockets, per datagram,
/// beyond its 64-byte payload.
fn overhead(sockets: usize, total: usize) -> f64 {
    let sim = Sim::builder().trace(false).build();
    let crowd = crowd(&sim, sockets);
    for s in &crowd {
        s.set_recv_buffer_size(1 << 30).expect("SO_RCVBUF");
    }
    let tx = Socket::bind_udp(&sim, HostId::default(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let targets: Vec<SocketAddr> = crowd.iter().map(|s| s.local_addr().unwrap()).collect();
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..total {
        tx.send_to(&PAYLOAD, targets[i % sockets]).expect("send");
    }
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(sim.ledger().queued as usize, total);
    (after - before) as f64 / total as f64 - PAYLOAD.len() as f64
}

fn report(_: &mut Criterion) {
    println!("\nPer pair among idle sockets (mean of every sample; ratio to 10 sockets)");
    let base = mean_ns("10_sockets_0_queued").unwrap_or(f64::NAN);
    for name in [
        "10_sockets_0_queued",
        "1000_sockets_0_queued",
        "100000_sockets_0_queued",
        "100000_sockets_1000000_queued",
    ] {
        if let Some(ns) = mean_ns(name) {
            println!("  {name:<32} {ns:>9.1} ns   {:>6.2}x", ns / base);
        }
    }
    println!("\nMemory per queued 64-byte datagram beyond its payload (live heap bytes)");
    for (sockets, total) in [(1, QUEUED), (100_000, QUEUED)] {
        let b = overhead(sockets, total);
        println!("  {total} datagrams on {sockets} socket(s): {b:.1} bytes");
    }
}

criterion_group!(benches, pair_among, report);
criterion_main!(benches);
