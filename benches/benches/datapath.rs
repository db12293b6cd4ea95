//! A 64-byte send + receive pair: the simulator's safe API and `ws2` face, kernel loopback
//! UDP and turmoil, in one run; then the overlapped receive cycle. Prints ratios at the end.
//!
//! ```sh
//! cd benches && cargo bench --bench datapath
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use winsock_sim_benches::{
    mean_ns, print_ratios, timed, turmoil_pairs, ws2::Ws2Pair, LoopbackPair, SimPair,
};

fn pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("pair_64B");
    let sim = SimPair::new();
    g.bench_function("sim_safe_api", |b| {
        b.iter_custom(|n| timed("sim_safe_api", n, |n| sim.run(n)))
    });
    let ws2 = Ws2Pair::new();
    g.bench_function("sim_ws2_face", |b| {
        b.iter_custom(|n| timed("sim_ws2_face", n, |n| ws2.run(n)))
    });
    drop(ws2);
    let lo = LoopbackPair::new().expect("loopback UDP sockets");
    g.bench_function("kernel_loopback", |b| {
        b.iter_custom(|n| timed("kernel_loopback", n, |n| lo.run(n)))
    });
    g.bench_function("turmoil", |b| {
        b.iter_custom(|n| {
            let took = turmoil_pairs(n);
            winsock_sim_benches::add("turmoil", n, took);
            took
        })
    });
    g.finish();
}

fn overlapped(c: &mut Criterion) {
    let mut g = c.benchmark_group("overlapped_recv");
    let ws2 = Ws2Pair::new();
    g.bench_function("pending_then_completed", |b| {
        b.iter_custom(|n| timed("overlapped_pending", n, |n| ws2.overlapped(n, false)))
    });
    g.bench_function("completed_at_once", |b| {
        b.iter_custom(|n| timed("overlapped_at_once", n, |n| ws2.overlapped(n, true)))
    });
    // What each cycle's sendto costs on its own, to take the post, completion and dispatch
    // apart from the send that brings the datagram.
    g.bench_function("sendto_alone", |b| {
        b.iter_custom(|n| {
            let took = ws2.sends(n);
            winsock_sim_benches::add("sendto_alone", n, took);
            took
        })
    });
    g.finish();
}

fn ratios(_: &mut Criterion) {
    let names = [
        "sim_safe_api",
        "sim_ws2_face",
        "turmoil",
        "kernel_loopback",
        "overlapped_pending",
        "overlapped_at_once",
    ];
    print_ratios(
        "64-byte send + receive pair; overlapped cycles include their send",
        "kernel_loopback",
        &names,
    );
    print_ratios("against turmoil", "turmoil", &names[..3]);
    print_without_send(&["overlapped_pending", "overlapped_at_once"]);
}

/// Post + complete + dispatch: an overlapped cycle less the sendto alone (issue 7's
/// target is under 250 ns).
fn print_without_send(cycles: &[&str]) {
    let Some(send) = mean_ns("sendto_alone") else {
        return;
    };
    println!("\npost + complete + dispatch = cycle - sendto alone ({send:.1} ns)");
    for name in cycles {
        if let Some(ns) = mean_ns(name) {
            println!("  {name:<28} {:>12.1} ns", ns - send);
        }
    }
}

criterion_group!(benches, pair, overlapped, ratios);
criterion_main!(benches);
