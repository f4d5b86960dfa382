//! `dombal bench`: a fixed CPU-bound workload under the default scheduler and
//! under dombal in the same boot; prints, never asserts.

use std::time::{Duration, Instant};

use crate::error::DombalError;
use crate::exit::{describe, is_error};
use crate::sched::{Loaded, Tunables, Variant};
use crate::stats::{imbalance, load_imbalance};
use crate::topology::Topology;
use crate::workload::Spinners;
use modless_loader::SkelStorage;

/// `dombal bench` options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// CPU-bound tasks (threads).
    #[arg(long, default_value_t = 8)]
    pub tasks: usize,
    /// CPU seconds of work per task, calibrated once and fixed for both runs.
    #[arg(long, default_value_t = 1.0)]
    pub cpu_secs: f64,
    /// Sampling period of the imbalance series, in milliseconds.
    #[arg(long, default_value_t = 250)]
    pub sample_ms: u64,
    /// Milliseconds the tasks start pinned to domain 0 before being released.
    #[arg(long, default_value_t = 300)]
    pub skew_ms: u64,
}

/// One run's figures.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    /// Work units per second over the whole run.
    pub throughput: f64,
    /// Wall time.
    pub wall: Duration,
    /// (ms since start, placement max/mean, dombal load max/mean if attached).
    pub series: Vec<(u128, f64, Option<f64>)>,
}

/// Placement imbalance: max/mean of how many tasks last ran in each domain.
pub fn placement_imbalance(topo: &Topology, cpus: &[Option<u32>]) -> f64 {
    let dom = topo.cpu_dom();
    let mut counts = vec![0.0; topo.domains.len()];
    for c in cpus.iter().flatten() {
        if let Some(&d) = dom.get(*c as usize) {
            counts[d as usize] += 1.0;
        }
    }
    imbalance(&counts)
}

fn calibrate(cpus: &[u32]) -> std::io::Result<f64> {
    let s = Spinners::start(1, cpus, None)?;
    let t = Instant::now();
    std::thread::sleep(Duration::from_millis(400));
    let (units, cpu) = (s.iterations()[0], s.cpu_ns()[0]);
    drop(s);
    let secs = if cpu > 0 {
        cpu as f64 / 1e9
    } else {
        t.elapsed().as_secs_f64()
    };
    Ok(units as f64 / secs.max(1e-3))
}

fn run_once(
    topo: &Topology,
    args: &BenchArgs,
    units: u64,
    sched: Option<&Loaded>,
) -> Result<RunResult, DombalError> {
    let io = |source| DombalError::Sysfs {
        path: "/proc/self/task".into(),
        source,
    };
    let start = Instant::now();
    let s = Spinners::start(args.tasks, &topo.domains[0], Some(units)).map_err(io)?;
    let mut released = false;
    let mut series = Vec::new();
    loop {
        std::thread::sleep(Duration::from_millis(args.sample_ms));
        if !released && start.elapsed() >= Duration::from_millis(args.skew_ms) {
            s.set_affinity(&topo.all_cpus()).map_err(io)?;
            released = true;
        }
        let done = s.iterations().iter().all(|&i| i >= units);
        let load = match sched {
            Some(a) => Some(load_imbalance(&a.dom_stats()?)),
            None => None,
        };
        series.push((
            start.elapsed().as_millis(),
            placement_imbalance(topo, &s.last_cpus()),
            load,
        ));
        if done {
            break;
        }
    }
    let total: u64 = s.iterations().iter().sum();
    s.join();
    let wall = start.elapsed();
    Ok(RunResult {
        throughput: total as f64 / wall.as_secs_f64(),
        wall,
        series,
    })
}

fn print_run(name: &str, r: &RunResult) {
    println!(
        "bench: {name}: wall {:.2} s, throughput {:.0} units/s",
        r.wall.as_secs_f64(),
        r.throughput
    );
    for (ms, placement, load) in &r.series {
        match load {
            Some(l) => println!("bench: {name}: t={ms:>6} ms placement max/mean {placement:.2} dombal load max/mean {l:.3}"),
            None => println!("bench: {name}: t={ms:>6} ms placement max/mean {placement:.2}"),
        }
    }
}

/// Runs the benchmark and prints the comparison.
pub fn run(args: &BenchArgs, tunables: Tunables) -> anyhow::Result<()> {
    let topo = Topology::detect()?;
    crate::sched::check_free()?;
    let rate = calibrate(&topo.all_cpus())?;
    let units = ((rate * args.cpu_secs) as u64).max(10);
    println!(
        "bench: {} tasks x {units} units ({:.1} CPU s each at {rate:.0} units/s), {} domains, \
         pinned to dom0 for the first {} ms",
        args.tasks,
        args.cpu_secs,
        topo.domains.len(),
        args.skew_ms
    );

    let default = run_once(&topo, args, units, None)?;
    print_run("default", &default);

    let mut storage = SkelStorage::uninit();

    let loaded = Loaded::load(&mut storage, Variant::Dombal, &topo, tunables)?;
    for p in loaded.extension().program_stats()? {
        println!(
            "bench: verifier processed {:>6} insns: {}",
            p.verified_insns, p.name
        );
    }
    let link = loaded.attach()?;
    let ours = run_once(&topo, args, units, Some(&loaded));
    let exit = loaded.detach(link)?;
    let ours = ours?;
    print_run("dombal", &ours);
    if let Some(e) = exit.filter(is_error) {
        anyhow::bail!("dombal was ejected during the benchmark: {}", describe(&e));
    }

    let settled = |r: &RunResult| {
        let tail: Vec<f64> = r
            .series
            .iter()
            .skip(r.series.len() / 2)
            .map(|s| s.1)
            .collect();
        tail.iter().sum::<f64>() / tail.len().max(1) as f64
    };
    println!(
        "bench: throughput dombal/default {:.3}; mean placement max/mean over the second half: default {:.2}, dombal {:.2}",
        ours.throughput / default.throughput,
        settled(&default),
        settled(&ours)
    );
    Ok(())
}
