//! The catalogue and the bench binaries agree: every `[[bench]]` in Cargo.toml declares a group the catalogue
//! lists, under the bench's own name, and every catalogued group has its bench. (A bench binary that
//! declared another group would also refuse to run, `harness::bench_main`; this test says so before anyone
//! runs one.) Adding a group is its bench file, its `[[bench]]` line and its catalogue entry.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use taskbench::catalogue::{Group, GROUPS};

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The `[[bench]]` names in Cargo.toml.
fn bench_names() -> Vec<String> {
    let re = Regex::new(r#"\[\[bench\]\]\s*\nname\s*=\s*"([^"]+)""#).unwrap();
    re.captures_iter(&read("Cargo.toml")).map(|c| c[1].to_string()).collect()
}

/// The catalogue's constants by identifier: `SPAWN` → `spawn`, read from its source.
fn catalogue_constants() -> BTreeMap<String, String> {
    let re = Regex::new(r#"pub const (\w+): Group = Group \{\s*name: "([^"]+)""#).unwrap();
    re.captures_iter(&read("src/catalogue.rs")).map(|c| (c[1].to_string(), c[2].to_string())).collect()
}

/// Fails on: a bench whose group the catalogue lacks; a bench file that names its group by a string, or by
/// another group's constant; a catalogued group without a bench.
#[test]
fn every_bench_declares_its_catalogued_group_and_every_group_has_a_bench() {
    let benches = bench_names();
    let constants = catalogue_constants();
    assert_eq!(constants.len(), GROUPS.len(), "{constants:?}");
    let uses = Regex::new(r"GroupSpec::of\(&catalogue::(\w+)\)").unwrap();
    for bench in &benches {
        assert!(Group::find(bench).is_some(), "benches/{bench}.rs: the catalogue has no group {bench:?}");
        let source = read(&format!("benches/{bench}.rs"));
        let declared: Vec<&str> = uses.captures_iter(&source).map(|c| c.get(1).unwrap().as_str()).collect();
        assert_eq!(declared.len(), 1, "benches/{bench}.rs declares {declared:?}, not one catalogue group");
        assert_eq!(
            constants.get(declared[0]).map(String::as_str),
            Some(bench.as_str()),
            "benches/{bench}.rs declares catalogue::{}",
            declared[0]
        );
    }
    for group in GROUPS {
        assert!(benches.iter().any(|b| b == group.name), "no [[bench]] for the catalogue's {}", group.name);
    }
}
