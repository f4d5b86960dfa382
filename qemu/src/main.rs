//! modless-qemu: build or reuse a kernel, boot it under QEMU, run tests inside,
//! and report truthfully. `scripts/run-qemu.sh` is the front door.

mod accel;
mod console;
mod error;
mod kernel;
mod report;
mod suite;
mod topology;
mod vm;

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use accel::{Accel, AccelChoice};
use kernel::{Kernel, KernelSource};
use suite::TestSpec;
use topology::Topology;

/// Exit status when the guest itself failed (panic, splat, early exit).
const GUEST_FAILED: u8 = 125;
/// Exit status when the run hit its timeout.
const TIMED_OUT: u8 = 124;

#[derive(Debug, Parser)]
#[command(
    name = "modless-qemu",
    about = "Boot a mainline kernel in QEMU and run tests inside it",
    after_help = "With no command, runs the smoke suite (qemu/suites/smoke.toml).\n\
                  With `-- CMD ARGS...`, runs CMD in the guest (cwd as on the host) and exits with its status.\n\
                  Exit status 124: the run timed out; 125: the guest failed (panic, oops, WARN, BUG,\n\
                  UBSAN, RCU stall, lockup, hung task, or exit before the end marker). Tests exiting 77 are skipped."
)]
struct Cli {
    /// Boot this bzImage (it must have virtio-9p, virtio-pci and a serial console built in).
    #[arg(long, conflicts_with_all = ["kernel_tree", "kernel_version"])]
    kernel: Option<PathBuf>,
    /// Boot the bzImage of this built kernel tree.
    #[arg(long, conflicts_with = "kernel_version")]
    kernel_tree: Option<PathBuf>,
    /// Build Debian's linux-source-VERSION with modless's config (cached).
    #[arg(long, default_value = "7.3")]
    kernel_version: String,
    /// Number of guest CPUs [default: 4, or NODESxCPUS from --numa].
    #[arg(long)]
    cpus: Option<u32>,
    /// Guest memory, e.g. 1G or 768M.
    #[arg(long, default_value = "1G")]
    mem: String,
    /// NUMA layout: NODES, or NODESxCPUS (e.g. 2x2); each node is one socket.
    #[arg(long)]
    numa: Option<String>,
    /// Seconds before QEMU is killed and the run fails.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Run the tests of this suite file instead of the smoke suite.
    #[arg(long, conflicts_with = "command")]
    suite: Option<PathBuf>,
    /// Accelerator: auto uses KVM only if a KVM guest boots on this host.
    #[arg(long, value_enum, default_value_t = AccelChoice::Auto)]
    accel: AccelChoice,
    /// Extra kernel command-line parameters.
    #[arg(long)]
    append: Option<String>,
    /// Copy the guest console to stderr as it arrives.
    #[arg(long)]
    console: bool,
    /// Print every test's output, not only the failing ones'.
    #[arg(short, long)]
    verbose: bool,
    /// Build or find the kernel, print its tree (for module builds) and exit.
    #[arg(long)]
    print_kernel_tree: bool,
    /// Command to run in the guest.
    #[arg(last = true)]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("modless-qemu: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let cache = cache_dir();
    let source = match (&cli.kernel, &cli.kernel_tree) {
        (Some(img), _) => KernelSource::Image(img.clone()),
        (_, Some(tree)) => KernelSource::Tree(tree.clone()),
        _ => KernelSource::Debian {
            version: cli.kernel_version.clone(),
        },
    };
    let kernel = source.acquire(&cache)?;
    if cli.print_kernel_tree {
        let tree = kernel
            .tree
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("{} has no tree", kernel.label))?;
        println!("{}", tree.display());
        return Ok(ExitCode::SUCCESS);
    }
    let topology = Topology::new(cli.cpus, &cli.mem, cli.numa.as_deref())?;
    let accel = choose_accel(cli.accel, &kernel, &topology, &cache)?;
    let single = !cli.command.is_empty();
    let tests = if single {
        vec![TestSpec::from_argv(&cli.command, cli.timeout)]
    } else {
        let path = cli.suite.clone().unwrap_or_else(default_suite);
        suite::load_suite(&path)?
    };
    let cwd = std::env::current_dir()?.canonicalize()?;
    eprintln!(
        "[qemu] booting {} under {} with {} ({} test{})",
        kernel.label,
        accel.describe(),
        topology.describe(),
        tests.len(),
        if tests.len() == 1 { "" } else { "s" }
    );
    let boot = vm::Boot {
        kernel: &kernel,
        topology: &topology,
        accel,
        tests: &tests,
        cwd,
        run_dir: new_run_dir(&cache)?,
        timeout: Duration::from_secs(cli.timeout),
        append: cli.append.clone(),
        echo_console: cli.console,
    };
    let report = boot.run()?;
    if single && report.failures.is_empty() && !cli.verbose {
        // Like `vng --exec`: the command's own output, then a one-line verdict.
        if let Some(t) = report.tests.first() {
            print!("{}", t.output);
        }
    }
    eprint!("{}", report.summary(cli.verbose && !single));
    if let Some(path) = &cli.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        eprintln!("results: {}", path.display());
    }
    Ok(exit_code(&report, single))
}

fn exit_code(report: &report::RunReport, single: bool) -> ExitCode {
    if report
        .failures
        .iter()
        .any(|f| matches!(f, report::GuestFailure::Timeout { .. }))
    {
        return ExitCode::from(TIMED_OUT);
    }
    if !report.failures.is_empty() {
        return ExitCode::from(GUEST_FAILED);
    }
    if single {
        let rc = report.tests.first().and_then(|t| t.exit_code).unwrap_or(1);
        return ExitCode::from(u8::try_from(rc).unwrap_or(1));
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn choose_accel(
    choice: AccelChoice,
    kernel: &Kernel,
    topo: &Topology,
    cache: &Path,
) -> anyhow::Result<Accel> {
    match choice {
        AccelChoice::Kvm => return Ok(Accel::Kvm),
        AccelChoice::Tcg => return Ok(Accel::Tcg),
        AccelChoice::Auto if !accel::kvm_device_usable() => return Ok(Accel::Tcg),
        AccelChoice::Auto => {}
    }
    // /dev/kvm opens, but some hosts (nested or PVM) still cannot run a guest:
    // boot once with KVM and remember the verdict for this host kernel.
    let host = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let verdict_file = cache.join(format!("kvm-verdict-{}", host.trim()));
    if let Ok(v) = std::fs::read_to_string(&verdict_file) {
        return Ok(if v.trim() == "kvm" {
            Accel::Kvm
        } else {
            Accel::Tcg
        });
    }
    eprintln!("[qemu] /dev/kvm is present; checking that a KVM guest boots here ...");
    let probe = vm::Boot {
        kernel,
        topology: topo,
        accel: Accel::Kvm,
        tests: &[],
        cwd: std::env::temp_dir(),
        run_dir: new_run_dir(cache)?,
        timeout: Duration::from_secs(20),
        append: None,
        echo_console: false,
    }
    .run()?;
    let accel = if probe.failures.is_empty() {
        Accel::Kvm
    } else {
        Accel::Tcg
    };
    if accel == Accel::Tcg {
        let why = probe
            .failures
            .first()
            .map(|f| f.describe())
            .unwrap_or_default();
        eprintln!("[qemu] KVM guest did not boot ({why}); using TCG");
    }
    std::fs::write(
        &verdict_file,
        if accel == Accel::Kvm { "kvm" } else { "tcg" },
    )?;
    Ok(accel)
}

fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MODLESS_CACHE") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/var/tmp"));
    base.join("modless")
}

fn default_suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/smoke.toml")
}

/// A fresh directory for one boot; only the newest runs are kept.
fn new_run_dir(cache: &Path) -> anyhow::Result<PathBuf> {
    const KEEP: usize = 30;
    let runs = cache.join("runs");
    std::fs::create_dir_all(&runs)?;
    let mut old: Vec<PathBuf> = std::fs::read_dir(&runs)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    old.sort();
    for p in old.iter().take(old.len().saturating_sub(KEEP)) {
        let _ = std::fs::remove_dir_all(p);
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let dir = runs.join(format!("{stamp}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
