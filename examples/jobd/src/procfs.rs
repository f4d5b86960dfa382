//! /proc/jobd: submitting jobs and reading what jobd did with them.

use anyhow::{anyhow, Context};
use std::collections::BTreeMap;
use std::io::Write;

const PROC: &str = "/proc/jobd";

/// One reading of /proc/jobd.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub policy: String,
    pub counters: BTreeMap<String, i64>,
    /// Per domain: (placed, ran).
    pub domains: Vec<(i64, i64)>,
}

impl Stats {
    pub fn read() -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(PROC).context("reading /proc/jobd")?;
        let mut s = Stats::default();
        for line in text.lines() {
            if let Some(p) = line.strip_prefix("policy: ") {
                s.policy = p.to_string();
            } else if line.starts_with("domain ") {
                let words: Vec<&str> = line.split_whitespace().collect();
                let field = |name: &str| -> anyhow::Result<i64> {
                    let i = words
                        .iter()
                        .position(|w| *w == name)
                        .ok_or_else(|| anyhow!("no {name} in {line:?}"))?;
                    Ok(words[i + 1].parse()?)
                };
                s.domains.push((field("placed")?, field("ran")?));
            } else if let Some((k, v)) = line.split_once(": ") {
                if let Ok(v) = v.parse() {
                    s.counters.insert(k.to_string(), v);
                }
            }
        }
        Ok(s)
    }

    pub fn get(&self, name: &str) -> i64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// Jobs placed per domain since `before`.
    pub fn placed_since(&self, before: &Stats) -> Vec<i64> {
        self.domains
            .iter()
            .zip(&before.domains)
            .map(|(a, b)| a.0 - b.0)
            .collect()
    }

    pub fn ran_since(&self, before: &Stats) -> Vec<i64> {
        self.domains
            .iter()
            .zip(&before.domains)
            .map(|(a, b)| a.1 - b.1)
            .collect()
    }
}

/// The `key value` pairs of /proc/jobd's line starting `name: ` (the
/// `bench:` and `race:` results).
pub fn pairs(name: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(PROC).context("reading /proc/jobd")?;
    let prefix = format!("{name}: ");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .ok_or_else(|| anyhow!("no {name} line in /proc/jobd"))?;
    let w: Vec<&str> = line.split_whitespace().collect();
    Ok(w.chunks(2)
        .filter_map(|kv| Some((kv[0].to_string(), kv.get(1)?.to_string())))
        .collect())
}

/// The number under `key` in `pairs`.
pub fn number<T: std::str::FromStr>(
    pairs: &BTreeMap<String, String>,
    key: &str,
) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let v = pairs
        .get(key)
        .ok_or_else(|| anyhow!("no {key} in /proc/jobd"))?;
    v.parse().with_context(|| format!("{key} {v:?}"))
}

pub fn command(cmd: &str) -> anyhow::Result<()> {
    command_to(PROC, cmd)
}

/// A command to a /proc file of jobd's kind (`/proc/jobd_nosites` too).
pub fn command_to(proc: &str, cmd: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(proc)
        .with_context(|| format!("opening {proc}"))?;
    f.write_all(cmd.as_bytes())
        .with_context(|| format!("{proc}: {cmd}"))
}

pub fn submit(count: u32, cost_us: u32) -> anyhow::Result<()> {
    command(&format!("submit {count} {cost_us}"))
}

/// Waits until every submitted job has finished and been freed.
pub fn drain() -> anyhow::Result<()> {
    command("drain 20000")
}
