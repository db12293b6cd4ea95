//! CONTRACT.md names the test behind each row; this checks that every one exists, so the
//! table cannot silently drift from the suite.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

#[test]
fn every_test_named_in_the_contract_table_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = fs::read_to_string(root.join("CONTRACT.md")).unwrap();
    let mut checked = BTreeSet::new();
    let mut missing = Vec::new();
    for cell in table.split('`') {
        let Some((file, name)) = cell.split_once("::") else {
            continue;
        };
        if !file.ends_with(".rs") || name.is_empty() || name.contains(' ') {
            continue;
        }
        let path = if ["src/", "diff/", "campaign/"]
            .iter()
            .any(|d| file.starts_with(d))
        {
            root.join(file)
        } else {
            root.join("tests").join(file)
        };
        let text = fs::read_to_string(&path).unwrap_or_default();
        if !text.contains(&format!("fn {name}(")) {
            missing.push(format!("{file}::{name}"));
        }
        checked.insert(format!("{file}::{name}"));
    }
    assert!(
        missing.is_empty(),
        "CONTRACT.md names tests that do not exist: {missing:?}"
    );
    assert!(
        checked.len() > 100,
        "only {} test references found",
        checked.len()
    );
}
