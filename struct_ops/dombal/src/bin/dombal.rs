//! `dombal`: load the domain balancer, print stats, report how it ended.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use dombal::exit::describe;
use dombal::{bench, stats, Loaded, Topology, Tunables, Variant};
use modless_loader::SkelStorage;

#[derive(Parser, Debug)]
#[command(name = "dombal", about = "sched_ext domain load balancer")]
struct Cli {
    /// Verbose: print how many instructions the verifier processed per program.
    #[arg(short, long)]
    verbose: bool,
    /// Print per-domain load, migrations and dispatch counts every SECS seconds.
    #[arg(long, value_name = "SECS")]
    stats: Option<f64>,
    /// Balance when max - min load exceeds this percentage of the mean.
    #[arg(long, default_value_t = 20)]
    hyst_pct: u32,
    /// Balancing period of the BPF timer, in milliseconds.
    #[arg(long, default_value_t = 100)]
    interval_ms: u64,
    /// Time slice in microseconds (default: sched_ext's 20 ms).
    #[arg(long)]
    slice_us: Option<u64>,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print which sched_ext operations this kernel has, through which kfunc,
    /// and dombal's fallback where it lacks one; load nothing.
    Features,
    /// Compare a fixed CPU-bound workload under the default scheduler and
    /// under dombal; print imbalance over time, throughput and verifier counts.
    Bench(bench::BenchArgs),
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: on_signal only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
    }
}

fn main() {
    // libbpf's own words travel in modless-loader's errors (the verifier
    // log among them); its warnings go to stderr.
    let cli = Cli::parse();
    let result = match &cli.cmd {
        Some(Cmd::Bench(args)) => bench::run(args, tunables(&cli)),
        Some(Cmd::Features) => print_features(),
        None => run(&cli),
    };
    if let Err(e) = result {
        eprintln!("dombal: error: {e:#}");
        std::process::exit(1);
    }
}

fn print_features() -> anyhow::Result<()> {
    for f in dombal::features::detect()? {
        println!("dombal: kernel: {f}");
    }
    Ok(())
}

fn tunables(cli: &Cli) -> Tunables {
    Tunables {
        hyst_pct: cli.hyst_pct,
        balance_interval: Duration::from_millis(cli.interval_ms),
        slice: cli.slice_us.map(Duration::from_micros),
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    install_signal_handlers();
    let topo = Topology::detect()?;
    println!(
        "dombal: {} domains from {:?}: {}",
        topo.domains.len(),
        topo.source,
        topo.domains
            .iter()
            .enumerate()
            .map(|(i, c)| format!("dom{i}={}", dombal::topology::format_cpulist(c)))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if cli.verbose {
        print_features()?; // reads all of vmlinux's BTF: seconds under TCG
    }
    let mut storage = SkelStorage::uninit();
    let loaded = Loaded::load(&mut storage, Variant::Dombal, &topo, tunables(cli))?;
    if cli.verbose {
        for p in loaded.extension().program_stats()? {
            println!(
                "dombal: verifier processed {} insns for {}",
                p.verified_insns, p.name
            );
        }
    }
    let link = loaded.attach()?;
    println!(
        "dombal: attached (sched_ext state {}, ops {})",
        dombal::sysfs::state().unwrap_or_default(),
        dombal::sysfs::root_ops().unwrap_or_default()
    );

    let interval = cli.stats.map(Duration::from_secs_f64);
    let mut last = Instant::now();
    let mut prev = loaded.dom_stats()?;
    while !STOP.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        if let Some(exit) = loaded.exit_record() {
            println!(
                "dombal: the kernel ejected the scheduler: {}",
                describe(&exit)
            );
            if let Some(dump) = &exit.dump {
                println!("dombal: debug dump:\n{dump}");
            }
            anyhow::bail!("ejected: {}", describe(&exit));
        }
        if interval.is_some_and(|iv| last.elapsed() >= iv) {
            last = Instant::now();
            let now = loaded.dom_stats()?;
            print!("{}", stats::report(&topo, &now, &prev));
            prev = now;
        }
    }
    let exit = loaded.detach(link).context("detaching")?;
    println!(
        "dombal: detached on signal ({}); sched_ext state {}",
        exit.map_or_else(|| "no exit record".into(), |e| describe(&e)),
        dombal::sysfs::state().unwrap_or_default()
    );
    Ok(())
}
