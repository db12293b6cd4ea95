//! The pcap `winsock-sim pcap` writes, opened by tshark: real IPv4 / IPv6 and UDP headers
//! with the right addresses, ports, lengths, TTL, payload bytes and valid checksums, and
//! timestamps from virtual time.
//!
//! tshark is Debian's `tshark` package. Without it this test says so loudly and passes,
//! unless `REQUIRE_TSHARK` is set, as `.ci/run` sets it: then a missing tshark fails.

mod common;

use std::path::Path;
use std::process::Command;

use common::{corpus, run, scratch};

fn tshark_present() -> bool {
    let present = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        assert!(
            std::env::var_os("REQUIRE_TSHARK").is_none(),
            "REQUIRE_TSHARK is set and tshark is not installed (apt-get install tshark)"
        );
        eprintln!("\n*** SKIPPED: tshark is not installed; the pcap was not checked with it ***\n");
    }
    present
}

/// The pcap of `scenario`, as tshark's fields, one line per packet, comma-separated.
fn fields(scenario: &str, fields: &[&str]) -> Vec<String> {
    let dir = scratch(&format!("tshark-{scenario}"));
    let pcap = dir.join("out.pcap");
    let o = run([
        "pcap".as_ref(),
        corpus(scenario).as_os_str(),
        "-o".as_ref(),
        pcap.as_os_str(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    tshark(&pcap, fields)
}

fn tshark(pcap: &Path, fields: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap);
    // Checksums are verified only when asked.
    cmd.args([
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
    ]);
    cmd.args(["-T", "fields", "-E", "separator=,"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The interpreter's payload for step `step`: byte k is (k + 7 * step) % 200.
fn payload(step: usize, len: usize) -> String {
    (0..len)
        .map(|k| format!("{:02x}", (k + step * 7) % 200))
        .collect()
}

#[test]
fn tshark_decodes_the_udp_datagrams_of_a_scenario() {
    if !tshark_present() {
        return;
    }
    let got = fields(
        "truncation",
        &[
            "frame.time_relative",
            "ip.src",
            "ip.dst",
            "ip.ttl",
            "udp.srcport",
            "udp.dstport",
            "udp.length",
            "ip.checksum.status",
            "udp.checksum.status",
            "udp.payload",
        ],
    );
    // The scenario's three sends, steps 6, 7 and 8: tx (the second socket bound, port
    // 49153) to rx (49152). Checksum status 1 is "good".
    let want: Vec<String> = [(6, 100), (7, 5), (8, 30)]
        .iter()
        .map(|&(step, len)| {
            format!(
                "0.000000000,127.0.0.1,127.0.0.1,128,49153,49152,{},1,1,{}",
                len + 8,
                payload(step, len)
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn tshark_decodes_ipv6_with_hop_limit_and_traffic_class() {
    if !tshark_present() {
        return;
    }
    let got = fields(
        "hoplimit_tclass",
        &[
            "ipv6.src",
            "ipv6.dst",
            "ipv6.hlim",
            "udp.srcport",
            "udp.dstport",
            "udp.length",
            "udp.checksum.status",
            "udp.payload",
        ],
    );
    assert_eq!(
        got,
        [format!("::1,::1,128,49153,49152,11,1,{}", payload(7, 3))]
    );
}

#[test]
fn tshark_sees_raw_sockets_as_their_ip_protocol() {
    if !tshark_present() {
        return;
    }
    // Two sends from a raw IGMP socket (protocol 2), 10 and 30 bytes above the IP header.
    let got = fields("raw_sockets", &["ip.proto", "ip.len", "ip.checksum.status"]);
    assert_eq!(got, ["2,30,1", "2,50,1"]);
}
