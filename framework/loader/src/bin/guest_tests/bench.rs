//! The benchmark table: ratios measured side by side in one guest run with
//! jobd's in-kernel loop (`echo "bench N" > /proc/jobd`). Prints, asserts nothing.

use std::time::Instant;

use modless_loader::OpenExtension;

use crate::jobd::{command, ensure_module};
use crate::{object, Outcome};

/// One `bench` reading: time (in `unit`) for `loops` calls of each loop.
#[derive(Debug, Clone, Default)]
struct Reading {
    unit: String,
    loops: f64,
    op: f64,
    native: f64,
    hook: f64,
    plain: f64,
}

fn bench(loops: u64) -> Result<Reading, String> {
    command(&format!("bench {loops}"))?;
    let text = std::fs::read_to_string("/proc/jobd").map_err(|e| e.to_string())?;
    let line = text
        .lines()
        .find(|l| l.starts_with("bench:"))
        .ok_or("no bench line in /proc/jobd")?;
    let w: Vec<&str> = line.split_whitespace().collect();
    let f = |k: &str| -> Result<f64, String> {
        let i = w.iter().position(|x| *x == k).ok_or(format!("no {k}"))?;
        w[i + 1].parse::<f64>().map_err(|e| e.to_string())
    };
    let unit = w
        .iter()
        .position(|x| *x == "unit")
        .and_then(|i| w.get(i + 1));
    Ok(Reading {
        unit: unit.map_or("ns", |u| u).to_string(),
        loops: f("loops")?,
        op: f("op")?,
        native: f("native")?,
        hook: f("hook")?,
        plain: f("plain")?,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

pub fn run() -> crate::anyhow_like::Result {
    if !ensure_module()? {
        return Ok(Outcome::Skip("jobd.ko not built".into()));
    }
    let loops: u64 = std::env::var("MODLESS_BENCH_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rounds = 5;
    let ext = OpenExtension::file(object("jobd_bench"))
        .and_then(|o| o.load())
        .map_err(|e| e.to_string())?;
    // Rounds interleave the three states so drift hits all alike.
    let (mut none, mut with_op, mut with_fentry) = (vec![], vec![], vec![]);
    for _ in 0..rounds {
        none.push(bench(loops)?);
        let link = ext.attach_ops("bench_ops").map_err(|e| e.to_string())?;
        with_op.push(bench(loops)?);
        drop(link);
        let hook = ext
            .attach_program("bench_fentry")
            .map_err(|e| e.to_string())?;
        with_fentry.push(bench(loops)?);
        drop(hook);
    }
    let per =
        |v: &[Reading], f: fn(&Reading) -> f64| median(v.iter().map(|r| f(r) / r.loops).collect());
    let native = per(&none, |r| r.native);
    let op_default = per(&none, |r| r.op);
    let op_bpf = per(&with_op, |r| r.op);
    let plain = per(&none, |r| r.plain);
    let hook_none = per(&none, |r| r.hook);
    let hook_fentry = per(&with_fentry, |r| r.hook);
    // Load + attach of the demo policy, and what the verifier processed.
    let mut load_ms = vec![];
    let mut insns = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let e = OpenExtension::file(object("jobd_swap"))
            .and_then(|o| o.load())
            .map_err(|e| e.to_string())?;
        let l = e.attach_ops("swap_first").map_err(|e| e.to_string())?;
        load_ms.push(t.elapsed().as_secs_f64() * 1e3);
        insns = e
            .program_stats()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|s| s.verified_insns as u64)
            .sum::<u64>();
        drop(l);
    }
    let unit = none.first().map_or("ns", |r| r.unit.as_str());
    println!("modless bench: {loops} calls per loop, median of {rounds} interleaved rounds");
    println!("| measure | {unit}/call | ratio |");
    println!("|---|---|---|");
    println!("| P1 native default (noinline call) | {native:.2} | 1.00 |");
    println!(
        "| P1 JOBD_CALL, no policy (static branch -> default) | {op_default:.2} | {:.2} x native |",
        op_default / native
    );
    println!(
        "| P1 JOBD_CALL, BPF op attached | {op_bpf:.2} | {:.2} x native |",
        op_bpf / native
    );
    println!("| P1 fentry added to a plain call (hook with fentry - hook) | {:.2} | {:.2} x (BPF op - native) |", hook_fentry - hook_none, (hook_fentry - hook_none) / (op_bpf - native));
    println!("| P2 loop without a hook site | {plain:.2} | 1.00 |");
    println!(
        "| P2 hook site, nothing attached | {hook_none:.2} | {:.2} x no site |",
        hook_none / plain.max(1e-9)
    );
    println!(
        "| P2 hook site, fentry attached | {hook_fentry:.2} | {:.2} x nothing attached |",
        hook_fentry / hook_none
    );
    println!(
        "| load+attach jobd_swap (ms, median) | {:.1} | |",
        median(load_ms)
    );
    println!("| verifier insns processed, jobd_swap (all programs) | {insns} | |");
    Ok(Outcome::Pass)
}
