//! The README's "try your own policy in the guest" block, run as written
//! (read from README.md, so the two cannot drift) with a policy that is not
//! one of the examples: tests/fixtures/reserve_zero.bpf.c keeps domain 0
//! free, places each job on the least-loaded other domain, never moves queued
//! jobs, and vetoes jobs over 9 ms at admission.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "<!-- try-policy:";
const POLICY: &str = "examples/jobd/tests/fixtures/reserve_zero.bpf.c";
const OBJECT: &str = "target/try-policy/reserve_zero.bpf.o";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The commands of the fenced block after the marker.
fn readme_block() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("examples/jobd/README.md")).unwrap();
    let after = &text[text
        .find(MARKER)
        .expect("the try-policy marker in README.md")..];
    let body = after
        .split_once("```sh\n")
        .and_then(|(_, b)| b.split_once("\n```"))
        .expect("a ```sh block after the marker")
        .0;
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// What the script printed of /proc/jobd.
#[derive(Debug, Default)]
struct Placement {
    /// `(placed, ran)` of each `domain N: ... placed P ran R` line.
    domains: Vec<(u64, u64)>,
    /// Each `key: N` line.
    counters: BTreeMap<String, u64>,
}

fn parse(out: &str) -> Placement {
    let mut p = Placement::default();
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |key: &str| {
            let i = words.iter().position(|w| *w == key)?;
            words.get(i + 1)?.parse::<u64>().ok()
        };
        if line.starts_with("domain ") {
            p.domains
                .push((after("placed").unwrap(), after("ran").unwrap()));
        } else if let Some((k, v)) = line.split_once(": ") {
            if let Ok(v) = v.trim().parse() {
                p.counters.insert(k.to_string(), v);
            }
        }
    }
    p
}

#[test]
fn the_block_builds_then_runs_the_script_with_the_policy() {
    let block = readme_block();
    assert!(
        block
            .iter()
            .any(|l| l.contains("build-bpf --decl examples/jobd/jobd.toml my_policy.bpf.c")),
        "{block:#?}"
    );
    let last = block.last().unwrap();
    assert!(
        last.starts_with("scripts/run-qemu.sh -- examples/jobd/try-policy.sh my_policy.bpf.o "),
        "{last}"
    );
    assert!(repo().join("examples/jobd/try-policy.sh").is_file());
}

#[test]
#[ignore = "needs a built kernel and jobd.ko; boots a guest through scripts/run-qemu.sh (scripts/test.sh runs it)"]
fn the_readmes_try_your_own_policy_block_works_as_written() {
    let repo = repo();
    std::fs::create_dir_all(repo.join("target/try-policy")).unwrap();
    let mut out = String::new();
    for line in readme_block() {
        let line = line
            .replace("my_policy.bpf.c", POLICY)
            .replace("my_policy.bpf.o", OBJECT);
        eprintln!("$ {line}");
        let o = Command::new("sh")
            .arg("-c")
            .arg(&line)
            .current_dir(&repo)
            .output()
            .unwrap();
        out = String::from_utf8_lossy(&o.stdout).into_owned();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "`{line}` failed:\n{out}{err}");
    }
    eprintln!("{out}");
    for step in [
        "try-policy: attached: reserve_zero",
        "try-policy: detached: policy default",
        "try-policy: done",
    ] {
        assert!(out.contains(step), "no {step:?} in:\n{out}");
    }
    let Placement { domains, counters } = parse(&out);
    let counter = |k: &str| {
        *counters
            .get(k)
            .unwrap_or_else(|| panic!("no {k} in:\n{out}"))
    };
    // 40 jobs of 9 ms admitted, 10 of 10 ms over the 9 ms budget vetoed
    assert_eq!(counter("submitted"), 50, "{out}");
    assert_eq!(counter("rejected"), 10, "{out}");
    assert_eq!(counter("completed"), 40, "{out}");
    assert_eq!(domains.len(), 3, "domains=3: {out}");
    // domain 0 is kept free, and balance never moves a job onto it
    assert_eq!(domains[0], (0, 0), "{out}");
    let placed: u64 = domains.iter().map(|d| d.0).sum();
    assert_eq!(placed, 40, "{out}");
    for (d, (placed, ran)) in domains.iter().enumerate() {
        assert_eq!(placed, ran, "domain {d} ran what was placed there: {out}");
    }
    // Least-loaded: a job queued on domain 1 (one worker, 9 ms per job)
    // sends the next to domain 2. All 40 on one domain would need the
    // submit loop to stall a whole job's run time between jobs, 20 times.
    assert!(
        domains[1].0 > 0 && domains[2].0 > 0,
        "least-loaded placement spreads over domains 1 and 2: {out}"
    );
}
