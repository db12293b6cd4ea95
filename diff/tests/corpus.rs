//! The differential corpus, checked without Wine: every scenario plays on both personalities,
//! the Wine8 personality matches the traces Wine 8 recorded (`diff/traces/wine`, written by
//! `diff/wine/run.sh`), the Windows personality differs from them exactly where CONTRACT.md
//! section W says, and every contract row is played on a real Winsock or listed, with its
//! reason, in `diff/outside-the-corpus.json`. CI re-records the Wine traces and compares them
//! with these (`.ci/run`), so they cannot go stale.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use winsock_sim::Personality;
use winsock_sim_diff::compare::compare;
use winsock_sim_diff::scenario::Scenario;
use winsock_sim_diff::sim::run;
use winsock_sim_diff::trace::Trace;

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> Vec<Scenario> {
    let mut files: Vec<PathBuf> = fs::read_dir(here().join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let sc: Scenario = serde_json::from_str(&fs::read_to_string(p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert_eq!(
                p.file_stem().unwrap().to_str().unwrap(),
                sc.name,
                "a scenario's file is named after it"
            );
            sc
        })
        .collect()
}

/// Scenarios Wine plays.
fn played_on_wine(corpus: &[Scenario]) -> impl Iterator<Item = &Scenario> {
    corpus
        .iter()
        .filter(|sc| !sc.sim_only && !sc.skip.contains_key("wine"))
}

fn wine_trace(sc: &Scenario) -> Trace {
    let p = here().join("traces/wine").join(format!("{}.json", sc.name));
    let text = fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record it: diff/wine/setup.sh && diff/wine/build.sh && diff/wine/run.sh)",
            p.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// The row ids of CONTRACT.md (first cell of each table row), by section letter.
fn contract_rows() -> BTreeSet<String> {
    let table = fs::read_to_string(here().join("../CONTRACT.md")).unwrap();
    table
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|id| {
            id.len() >= 2
                && id.as_bytes()[0].is_ascii_uppercase()
                && id[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_scenario_plays_on_both_personalities_deterministically() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 80,
        "the corpus has {} scenarios",
        corpus.len()
    );
    for sc in &corpus {
        for p in [Personality::Windows, Personality::Wine8] {
            let a = run(sc, p);
            assert_eq!(
                a.records.len(),
                sc.steps.len(),
                "{}: one record per step",
                sc.name
            );
            assert_eq!(a, run(sc, p), "{}: the same trace twice", sc.name);
        }
    }
}

#[test]
fn wine8_matches_the_recorded_wine_traces() {
    let corpus = corpus();
    let mut failures = Vec::new();
    let mut compared = 0;
    for sc in played_on_wine(&corpus) {
        let wine = wine_trace(sc);
        assert_eq!(wine.executor, "wine");
        let sim = run(sc, Personality::Wine8);
        for d in compare(&sim, &wine) {
            failures.push(format!(
                "{} step {} {}: sim {} wine {}",
                sc.name, d.step, d.field, d.left, d.right
            ));
        }
        compared += 1;
    }
    assert!(compared >= 75, "only {compared} scenarios compared");
    assert!(
        failures.is_empty(),
        "Wine8 differs from Wine:\n{}",
        failures.join("\n")
    );
}

#[test]
fn windows_differs_from_wine_only_where_section_w_says() {
    let corpus = corpus();
    let rows = contract_rows();
    let mut failures = Vec::new();
    for sc in played_on_wine(&corpus) {
        let differing: BTreeSet<usize> = compare(&run(sc, Personality::Windows), &wine_trace(sc))
            .into_iter()
            .map(|d| d.step)
            .collect();
        let claimed: BTreeSet<usize> = sc.wine_differs.values().flatten().copied().collect();
        if differing != claimed {
            failures.push(format!(
                "{}: the Windows personality differs from Wine at steps {differing:?}; wine_differs claims {claimed:?}",
                sc.name
            ));
        }
        for (row, steps) in &sc.wine_differs {
            if !row.starts_with('W') || !rows.contains(row) {
                failures.push(format!(
                    "{}: {row} is not a row of CONTRACT.md section W",
                    sc.name
                ));
            }
            if steps.is_empty() {
                failures.push(format!("{}: {row} explains no step", sc.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_contract_row_is_played_on_a_real_winsock_or_excluded_with_a_reason() {
    let corpus = corpus();
    let rows = contract_rows();
    assert!(
        rows.len() > 230,
        "only {} rows read from CONTRACT.md",
        rows.len()
    );
    let mut played: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for sc in &corpus {
        for id in sc.covers.iter().chain(sc.wine_differs.keys()) {
            assert!(
                rows.contains(id),
                "{} covers {id}, which CONTRACT.md does not have",
                sc.name
            );
            let real = !sc.sim_only && (sc.skip.len() < 2);
            if real {
                played.entry(id.clone()).or_default().push(&sc.name);
            }
        }
    }
    #[derive(serde::Deserialize)]
    struct Outside {
        rows: BTreeMap<String, String>,
    }
    let outside: Outside =
        serde_json::from_str(&fs::read_to_string(here().join("outside-the-corpus.json")).unwrap())
            .unwrap();
    let mut failures = Vec::new();
    for id in &rows {
        match (played.get(id), outside.rows.get(id)) {
            (None, None) => {
                failures.push(format!("{id}: no scenario plays it and it is not excluded"))
            }
            (Some(by), Some(_)) => failures.push(format!("{id}: excluded, yet played by {by:?}")),
            (None, Some(why)) if why.trim().len() < 20 => {
                failures.push(format!("{id}: no real reason given"))
            }
            _ => {}
        }
    }
    for id in outside.rows.keys() {
        if !rows.contains(id) {
            failures.push(format!("{id}: excluded, but CONTRACT.md has no such row"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn skipped_scenarios_say_why_and_name_real_executors() {
    for sc in corpus() {
        for (who, why) in &sc.skip {
            assert!(
                matches!(who.as_str(), "wine" | "windows"),
                "{}: unknown executor {who}",
                sc.name
            );
            assert!(
                why.len() > 20,
                "{}: say why it is not played on {who}",
                sc.name
            );
        }
        assert!(
            !sc.about.is_empty() && !sc.covers.is_empty(),
            "{}: about and covers",
            sc.name
        );
    }
}

#[test]
fn traces_on_disk_belong_to_the_corpus() {
    let names: BTreeSet<String> = corpus().into_iter().map(|sc| sc.name).collect();
    for e in fs::read_dir(Path::new(&here()).join("traces/wine")).unwrap() {
        let p = e.unwrap().path();
        let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(
            names.contains(&stem),
            "{}: no scenario of that name",
            p.display()
        );
    }
}
