//! Every subcommand of the built `winsock-sim`, on the repository's real files: the
//! differential corpus, the committed Wine traces, and campaign seeds.

mod common;

use common::{corpus, run, scratch, wine};
use winsock_sim::Personality;
use winsock_sim_diff::trace::Trace;

#[test]
fn run_annotates_each_step_with_results_and_simulator_events() {
    let o = run(["run".into(), corpus("truncation")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s = &o.stdout;
    assert!(s.starts_with("scenario truncation on sim:Windows\n"), "{s}");
    // Step 9: the truncated WSARecvMsg, its error and flags by name, then the simulator's
    // own event for it with its virtual time.
    let step9 = s.split("step  9  ").nth(1).expect("step 9 is listed");
    let step9: Vec<&str> = step9.lines().take(3).collect();
    assert!(step9[0].starts_with("recv api=wsarecvmsg bufs=[{len:4},{len:0},{len:6}]"));
    assert!(step9[1].contains("ret -1 error WSAEMSGSIZE (10040) bytes 10"));
    assert!(step9[1].contains("flags 0x100 MSG_TRUNC"));
    assert_eq!(
        step9[2].trim(),
        "0.000000000 WSARecvMsg 0x100 d1 bytes 10 flags 0x100 -> WSAEMSGSIZE"
    );
    assert!(s.contains("12 steps, 13 simulator events"), "{s}");
    assert!(s.contains("every one accounted for"));
}

/// `winsock-sim run SCENARIO --personality WHO --save` into a scratch file; its path.
fn saved_run(test: &str, scenario: &str, who: &str) -> std::path::PathBuf {
    let saved = scratch(test).join("sim.json");
    let o = run([
        "run".as_ref(),
        corpus(scenario).as_os_str(),
        "--personality".as_ref(),
        who.as_ref(),
        "--save".as_ref(),
        saved.as_os_str(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    saved
}

#[test]
fn run_saves_the_trace_the_differential_runner_would_record() {
    let saved = saved_run("save", "overlapped_routines_batch", "wine8");
    let got: Trace = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let sc = serde_json::from_str(
        &std::fs::read_to_string(corpus("overlapped_routines_batch")).unwrap(),
    )
    .unwrap();
    assert_eq!(got, winsock_sim_diff::sim::run(&sc, Personality::Wine8));
    assert_eq!(got.executor, "sim:Wine8");
}

#[test]
fn bad_input_is_an_error_message_and_exit_2_never_a_panic() {
    let dir = scratch("bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let cases = [
        (dir.join("missing.json"), "reading"),
        (write("garbage.json", "{ not json"), "not a scenario"),
        (
            write(
                "unknown_socket.json",
                r#"{"name": "x", "steps": [{"op": "startup"}, {"op": "close", "sock": "nope"}]}"#,
            ),
            "cannot be played: no socket \"nope\"",
        ),
        (
            write(
                "bad_address.json",
                r#"{"name": "x", "steps": [{"op": "startup"}, {"op": "socket", "id": "s"},
                   {"op": "send", "sock": "s", "to": "not-an-address", "len": 1}]}"#,
            ),
            "bad address",
        ),
        (
            write(
                "huge.json",
                r#"{"name": "x", "steps": [{"op": "recv", "sock": "s", "api": "recv",
                   "bufs": [{"len": 1000000000000}]}]}"#,
            ),
            "step 0: a buffer of 1000000000000 bytes",
        ),
    ];
    for (path, want) in cases {
        for sub in ["run", "pcap"] {
            let mut args = vec![sub.into(), path.clone().into_os_string()];
            if sub == "pcap" {
                args.extend(["-o".into(), dir.join("out.pcap").into_os_string()]);
            }
            let o = run(&args);
            assert_eq!(o.code, 2, "{sub} {}: {}", path.display(), o.stdout);
            assert!(
                o.stderr.starts_with("winsock-sim: error: ") && o.stderr.contains(want),
                "{sub} {}: {}",
                path.display(),
                o.stderr
            );
        }
    }
    // Usage errors are clap's, also exit 2.
    assert_eq!(run(["replay", "--seed", "abc"]).code, 2);
    assert_eq!(run(["frobnicate"]).code, 2);
    assert_eq!(run(["campaign", "--cases", "1", "--seconds", "1"]).code, 2);
}

#[test]
fn diff_shows_the_first_divergence_between_the_simulator_and_wine() {
    let sim = saved_run("diff", "truncation", "windows");
    let o = run([
        "diff".as_ref(),
        sim.as_os_str(),
        wine("truncation").as_os_str(),
        "--scenario".as_ref(),
        corpus("truncation").as_os_str(),
    ]);
    assert_eq!(
        o.code, 1,
        "the Windows personality differs from Wine: {}",
        o.stdout
    );
    let s = &o.stdout;
    assert!(s.contains("a: truncation (sim:Windows, 12 steps)"), "{s}");
    assert!(s.contains("b: truncation (wine, 12 steps)"), "{s}");
    assert!(s.contains("first divergence at step 9:"), "{s}");
    // Context: the two agreeing steps before it.
    assert!(
        s.contains("  step  7  send api=sendto len=5 sock=tx to=rx"),
        "{s}"
    );
    assert!(
        s.contains("           flags: a 0x100 MSG_TRUNC / b 0"),
        "{s}"
    );
    assert!(s.contains("           bytes: a 10 / b absent"), "{s}");
    assert!(s.contains("and 1 later step(s) differ: 11"), "{s}");
    assert!(s.ends_with("3 difference(s) in 2 step(s)\n"), "{s}");
}

#[test]
fn diff_of_agreeing_traces_exits_0() {
    let sim = saved_run("same", "truncation", "wine8");
    let o = run([
        "diff".as_ref(),
        sim.as_os_str(),
        wine("truncation").as_os_str(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(
        o.stdout.ends_with("identical: 12 steps agree\n"),
        "{}",
        o.stdout
    );
    // Two different scenarios' traces are told apart, with a warning.
    let o = run(["diff", "--all"]
        .map(Into::into)
        .into_iter()
        .chain([wine("truncation"), wine("peek")].map(|p| p.into_os_string())));
    assert_eq!(o.code, 1);
    assert!(o
        .stdout
        .contains("warning: the traces are of different scenarios"));
    let o = run([
        "diff".as_ref(),
        sim.as_os_str(),
        corpus("truncation").as_os_str(),
    ]);
    assert_eq!(o.code, 2, "a scenario is not a trace");
    assert!(o.stderr.contains("not a trace"), "{}", o.stderr);
}

#[test]
fn campaign_of_a_fixed_number_of_cases_agrees() {
    let o = run(["campaign", "--cases", "40", "--seed", "5"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .starts_with("campaign seed 5 (Windows): 40 cases agree with the model"),
        "{}",
        o.stdout
    );
    let o = run(["campaign", "--seconds", "1", "--seed", "6"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("cases agree with the model"));
}

/// The seed `campaign` prints replays the failure; the same case agrees on Windows.
#[test]
fn campaign_failure_names_a_seed_that_replay_reproduces() {
    let o = run([
        "campaign",
        "--cases",
        "200",
        "--seed",
        "1",
        "--personality",
        "wine8",
    ]);
    assert_eq!(o.code, 1, "{}{}", o.stdout, o.stderr);
    assert!(o
        .stdout
        .contains("campaign seed 1 (Wine8): the simulator disagrees with the model"));
    let replay = o
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("replay: winsock-sim "))
        .expect("a replay command");
    let args: Vec<&str> = replay.split(' ').collect();
    assert_eq!(args[..2], ["replay", "--seed"]);
    assert_eq!(args[3..], ["--personality", "wine8"]);
    let seed = args[2];
    let shrunk = o
        .stdout
        .lines()
        .find(|l| l.starts_with("shrunk to"))
        .unwrap();

    let o = run(&args);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.starts_with(&format!("case seed {seed} (Wine8):")));
    assert!(o.stdout.contains("disagrees: "));
    assert!(
        o.stdout.contains(shrunk),
        "the same shrunk case: {}",
        o.stdout
    );

    let o = run(["replay", "--seed", seed, "--trace"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(o
        .stdout
        .contains("agrees: the simulator and the model agree at every step"));
    assert!(o
        .stdout
        .contains("simulator trace:\n0.000000000 socket 0x100 udp4"));
}

#[test]
fn pcap_writes_one_record_per_datagram_sent() {
    let dir = scratch("pcap");
    let out = dir.join("t.pcap");
    let o = run([
        "pcap".as_ref(),
        corpus("truncation").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o
        .stdout
        .starts_with("truncation: 3 datagrams sent, written to"));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        &bytes[..4],
        &0xA1B2_3C4Du32.to_le_bytes(),
        "pcap, nanoseconds"
    );
    assert_eq!(&bytes[20..24], &101u32.to_le_bytes(), "LINKTYPE_RAW");
    // Three records: 16-byte header, 20-byte IPv4 header, 8-byte UDP header, the payload.
    assert_eq!(
        bytes.len(),
        24 + [100, 5, 30].map(|n| 16 + 28 + n).iter().sum::<usize>()
    );
    let o = run(["pcap".as_ref(), corpus("truncation").as_os_str()]);
    assert_eq!(o.code, 2, "-o is required");
}

#[test]
fn showcase_runs_the_tour_and_is_deterministic() {
    let dir = scratch("showcase");
    let pcap = dir.join("tour.pcap");
    let args = ["showcase".as_ref(), "--pcap".as_ref(), pcap.as_os_str()];
    let first = run(args);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    for part in [
        "=== 1. run",
        "=== 2. diff",
        "=== 3. pcap",
        "=== 4. campaign",
        "first divergence at step 9:",
        "identical: 12 steps agree",
        "100 cases agree with the model at every step",
        "replay: winsock-sim replay --seed ",
    ] {
        assert!(first.stdout.contains(part), "{part:?} in\n{}", first.stdout);
    }
    assert!(std::fs::metadata(&pcap).unwrap().len() > 24);
    let again = run(args);
    assert_eq!(first.stdout, again.stdout, "the same tour, byte for byte");
}
