//! The dispatch benchmark (qemu/benches/dispatch.toml): figures measured side
//! by side in one guest run, printed and never asserted. It ends with the
//! three lines scripts/bench.sh repeats last:
//!   P1 attached ratio R   (BPF op via JOBD_CALL - the default called
//!                          directly) / (fentry-attached call - plain call)
//!   P1 idle ratio R       JOBD_CALL with nothing attached / the default
//!                          called directly (the same loop, see jobd_bench())
//!   P2 real-path ratio R  time per job, submitted and drained from user
//!                          space: jobd.ko (hook sites idle) / jobd_nosites.ko
//!                          (the same source, hook sites compiled out)

use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context};
use jobd_demo::bench::BenchSkelBuilder;
use jobd_demo::policy::PolicySkelBuilder;
use modless_loader::{kmod, load_skel, open_skel, SkelStorage};

use crate::procfs;

/// jobd built with its hook sites and policy calls compiled out.
const NOSITES: &str = "jobd_nosites";

/// One `bench` reading: time (in `unit`) for `loops` calls of each loop.
#[derive(Debug, Clone, Default)]
struct Reading {
    unit: String,
    loops: f64,
    op: f64,
    native: f64,
    hook: f64,
    site: f64,
    plain: f64,
}

fn reading(loops: u64) -> anyhow::Result<Reading> {
    procfs::command(&format!("bench {loops}"))?;
    let p = procfs::pairs("bench")?;
    let f = |k: &str| procfs::number::<f64>(&p, k);
    Ok(Reading {
        unit: p.get("unit").cloned().unwrap_or_default(),
        loops: f("loops")?,
        op: f("op")?,
        native: f("native")?,
        hook: f("hook")?,
        site: f("site")?,
        plain: f("plain")?,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The fastest round: a busy host only ever adds time to a TCG guest's
/// rounds, so the minimum is the figure least bent by it.
fn fastest(v: Vec<f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

fn env_or(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Seconds to submit `jobs` jobs of no cost to `module` and see them done.
fn job_path(module: &str, jobs: u64) -> anyhow::Result<f64> {
    let proc = format!("/proc/{module}");
    let t = Instant::now();
    procfs::command_to(&proc, &format!("submit {jobs} 0"))?;
    procfs::command_to(&proc, "drain 60000")?;
    Ok(t.elapsed().as_secs_f64())
}

/// P2: per-job time of the two builds, rounds alternating which goes first.
fn p2(jobs: u64, rounds: usize) -> anyhow::Result<(f64, f64)> {
    if !kmod::is_loaded(NOSITES) {
        let ko = Path::new(env!("CARGO_MANIFEST_DIR")).join("module/jobd_nosites.ko");
        kmod::load(&ko, "").with_context(|| format!("loading {}", ko.display()))?;
    }
    let (mut sites, mut none) = (vec![], vec![]);
    // one warm-up round each: slab caches, worker wake-ups
    job_path(crate::MODULE, jobs)?;
    job_path(NOSITES, jobs)?;
    for i in 0..rounds {
        if i % 2 == 0 {
            sites.push(job_path(crate::MODULE, jobs)?);
            none.push(job_path(NOSITES, jobs)?);
        } else {
            none.push(job_path(NOSITES, jobs)?);
            sites.push(job_path(crate::MODULE, jobs)?);
        }
    }
    kmod::unload(NOSITES).context("unloading jobd_nosites")?;
    let per_job = |v: Vec<f64>| fastest(v) / jobs as f64;
    Ok((per_job(sites), per_job(none)))
}

#[cfg(modless_bpf_objects)]
pub fn run() -> anyhow::Result<()> {
    let loops = env_or("MODLESS_BENCH_LOOPS", 1_000_000);
    let jobs = env_or("MODLESS_BENCH_JOBS", 200_000);
    let rounds = 7;
    ensure!(
        procfs::Stats::read()?.policy == "default",
        "the bench needs jobd without a policy"
    );
    // P2 first, with nothing attached anywhere.
    let (p2_sites, p2_none) = p2(jobs, 2 * rounds + 1)?;

    let mut storage = SkelStorage::uninit();
    let open = open_skel("bench.bpf.o", BenchSkelBuilder::default(), &mut storage)?;
    let skel = load_skel("bench.bpf.o", open)?;
    let obj = skel.extension();
    // Rounds interleave the three states so that drift hits all alike.
    let (mut idle, mut with_op, mut with_fentry) = (vec![], vec![], vec![]);
    for _ in 0..rounds {
        idle.push(reading(loops)?);
        let link = obj.attach_ops(&skel.maps.bench_ops)?;
        with_op.push(reading(loops)?);
        drop(link);
        let hook = obj.attach_program("bench_fentry")?;
        with_fentry.push(reading(loops)?);
        drop(hook);
    }
    let per =
        |v: &[Reading], f: fn(&Reading) -> f64| fastest(v.iter().map(|r| f(r) / r.loops).collect());
    let native = per(&idle, |r| r.native);
    let op_idle = per(&idle, |r| r.op);
    let op_bpf = per(&with_op, |r| r.op);
    let plain = per(&idle, |r| r.plain);
    let hook_idle = per(&idle, |r| r.hook);
    let site_idle = per(&idle, |r| r.site);
    let hook_fentry = per(&with_fentry, |r| r.hook);
    let op_added = op_bpf - native;
    let fentry_added = hook_fentry - hook_idle;

    // Load + attach of the demo policy, and what the verifier processed.
    let mut load_ms = vec![];
    let mut insns = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let mut storage = SkelStorage::uninit();
        let open = open_skel("policy.bpf.o", PolicySkelBuilder::default(), &mut storage)?;
        let policy = load_skel("policy.bpf.o", open)?;
        let e = policy.extension();
        let l = e.attach_ops(&policy.maps.pack_first)?;
        load_ms.push(t.elapsed().as_secs_f64() * 1e3);
        insns = e
            .program_stats()?
            .iter()
            .map(|s| u64::from(s.verified_insns))
            .sum::<u64>();
        drop(l);
    }

    let unit = idle.first().map_or("ns", |r| r.unit.as_str());
    println!(
        "jobd bench: {loops} calls per loop, fastest of {rounds} interleaved rounds; \
         {jobs} jobs per P2 round, fastest of {} alternating rounds",
        2 * rounds + 1
    );
    println!("| measure | {unit}/call | ratio |");
    println!("|---|---|---|");
    println!("| P1 the default called directly | {native:.2} | 1.00 |");
    println!(
        "| P1 JOBD_CALL, nothing attached | {op_idle:.2} | {:.3} x direct |",
        op_idle / native
    );
    println!(
        "| P1 JOBD_CALL, BPF op attached | {op_bpf:.2} | {:.2} x direct |",
        op_bpf / native
    );
    println!(
        "| P1 added by the op (attached - direct) | {op_added:.2} | {:.3} x fentry's |",
        op_added / fentry_added
    );
    println!(
        "| P1 added by fentry (plain call with fentry - plain call) | {fentry_added:.2} | 1.00 |"
    );
    println!("| P2 bare loop without a hook site | {plain:.2} | 1.00 |");
    println!(
        "| P2 bare loop, hook site, nothing attached | {site_idle:.2} | {:.2} x no site |",
        site_idle / plain.max(1e-9)
    );
    println!(
        "| P2 bare loop, the hook's function called | {hook_idle:.2} | {:.2} x no site |",
        hook_idle / plain.max(1e-9)
    );
    println!(
        "| P2 job path, hook sites idle (us/job) | {:.3} | {:.0} jobs/s |",
        p2_sites * 1e6,
        1.0 / p2_sites
    );
    println!(
        "| P2 job path, hook sites compiled out (us/job) | {:.3} | {:.0} jobs/s |",
        p2_none * 1e6,
        1.0 / p2_none
    );
    println!(
        "| load+attach of the demo policy (ms, median) | {:.1} | |",
        median(load_ms)
    );
    println!("| verifier insns processed, demo policy (all programs) | {insns} | |");
    println!("P1 attached ratio {:.3}", op_added / fentry_added);
    println!("P1 idle ratio {:.3}", op_idle / native);
    println!("P2 real-path ratio {:.3}", p2_sites / p2_none);
    Ok(())
}

#[cfg(not(modless_bpf_objects))]
pub fn run() -> anyhow::Result<()> {
    crate::no_skeletons()
}
