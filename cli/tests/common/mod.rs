//! Running the built `winsock-sim` binary on the repository's own files.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A corpus scenario.
pub fn corpus(name: &str) -> PathBuf {
    root().join("diff/corpus").join(format!("{name}.json"))
}

/// A committed Wine trace.
pub fn wine(name: &str) -> PathBuf {
    root().join("diff/traces/wine").join(format!("{name}.json"))
}

/// A fresh scratch directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("winsock-sim-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// What a run printed, and how it ended.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `winsock-sim` with `args`.
pub fn run<I, S>(args: I) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_winsock-sim"))
        .args(args)
        .output()
        .expect("the winsock-sim binary runs");
    let o = Out {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(
        !o.stderr.contains("panicked"),
        "winsock-sim panicked:\n{}",
        o.stderr
    );
    o
}
