//! modless-qemu: build or reuse a kernel, boot it under QEMU, run tests inside,
//! and report truthfully. `scripts/run-qemu.sh` is the front door.

mod accel;
mod console;
mod error;
mod gdb;
mod grid;
mod initramfs;
mod junit;
mod kernel;
mod machine;
mod matrix;
mod matrix_run;
mod patches;
mod qmp;
mod report;
mod runs;
mod shard;
mod snapshot;
mod suite;
mod topology;
mod tty;
mod views;
mod vm;

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use accel::{Accel, AccelChoice};
use kernel::{Kernel, KernelSource};
use machine::Machine;
use suite::TestSpec;
use topology::Topology;

/// Exit status when the guest itself failed (panic, splat, early exit).
const GUEST_FAILED: u8 = 125;
/// Exit status when the run hit its timeout.
const TIMED_OUT: u8 = 124;
const DEFAULT_TIMEOUT: u64 = 600;
/// A shell or debugging session lasts as long as its user wants (a week).
const SHELL_TIMEOUT: u64 = 7 * 24 * 3600;

#[derive(Debug, Parser)]
#[command(
    name = "modless-qemu",
    about = "Boot a mainline kernel in QEMU and run tests inside it",
    after_help = "With no command, runs every suite in qemu/suites/ (one boot each; a suite's [guest] table\n\
                  sets its CPUs, memory, NUMA layout, timeout, kernel parameters and hung-task timeout).\n\
                  With `-- CMD ARGS...`, runs CMD in the guest (cwd as on the host) and exits with its status.\n\
                  The guest has tmpfs on /tmp, /run, /var/tmp and /root; paths named on the command line\n\
                  there (CMD's arguments, --suite files) are shown read-only at their own path.\n\
                  Exit status 124: the run timed out; 125: the guest failed (panic, oops, WARN, BUG,\n\
                  UBSAN, RCU stall, lockup, hung task, kernel messages lost, or exit before the end marker).\n\
                  Tests exiting 77 are skipped."
)]
struct Cli {
    /// Boot this bzImage (it must have virtio-9p, virtio-pci and a serial console built in).
    #[arg(long, conflicts_with_all = ["kernel_tree", "kernel_version"])]
    kernel: Option<PathBuf>,
    /// With --kernel: the image's modules (default: beside it or /lib/modules/RELEASE);
    /// when 9p is a module there, an initramfs loads it.
    #[arg(long, requires = "kernel")]
    modules: Option<PathBuf>,
    /// Boot this built kernel tree: its vmlinux through the PVH entry point when its config has CONFIG_PVH=y, else its bzImage.
    #[arg(long, conflicts_with = "kernel_version")]
    kernel_tree: Option<PathBuf>,
    /// Build Debian's linux-source-VERSION with modless's config (cached).
    #[arg(long, default_value = "7.3")]
    kernel_version: String,
    /// Apply this patch file, or this directory's *.patch files in name order
    /// (a `git format-patch` series), to the source before building
    /// (repeatable; after a suite's [kernel] patches). Cached by content.
    #[arg(long, value_name = "DIR|FILE", conflicts_with_all = ["kernel", "kernel_tree"])]
    kernel_patch: Vec<PathBuf>,
    /// A config line the built kernel must have, e.g. CONFIG_BPF_OOM=y
    /// (repeatable; added to modless's fragment; the build fails if it does not hold).
    #[arg(long, value_name = "CONFIG_X=V", conflicts_with_all = ["kernel", "kernel_tree"])]
    kernel_config: Vec<String>,
    /// With --kernel-version: debug (lockdep, UBSAN: for tests) or fast (for benchmarks).
    #[arg(long, value_enum, default_value_t = kernel::Profile::Debug)]
    kernel_profile: kernel::Profile,
    /// Number of guest CPUs [default: 4, or NODESxCPUS from --numa].
    #[arg(long)]
    cpus: Option<u32>,
    /// Guest memory, e.g. 1G or 768M [default: 1G].
    #[arg(long)]
    mem: Option<String>,
    /// NUMA layout: NODES, or NODESxCPUS (e.g. 2x2); each node is one socket.
    #[arg(long)]
    numa: Option<String>,
    /// Seconds before QEMU is killed and the run fails [default: 600].
    #[arg(long)]
    timeout: Option<u64>,
    /// Seconds a boot may take to reach userspace before it counts as stuck
    /// and is retried once (no test has run by then).
    #[arg(long, default_value_t = 90)]
    boot_timeout: u64,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the results as JUnit XML to this file (one testsuite per boot,
    /// plus a testcase per boot for guest failures outside the tests).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Run this suite file (repeatable) instead of every suite in qemu/suites/.
    #[arg(long, conflicts_with = "command")]
    suite: Vec<PathBuf>,
    /// Run only part K of N of the suites (every N-th in name order, from the
    /// K-th), or of the --matrix cells, so N CI runners together run each once.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["command", "shell"])]
    shard: Option<shard::Shard>,
    /// Accelerator: auto uses KVM only if a KVM guest boots on this host.
    #[arg(long, value_enum, default_value_t = AccelChoice::Auto)]
    accel: AccelChoice,
    /// Under TCG, one host thread per vCPU (multi) or all on one (single);
    /// overrides a suite's `tcg_threads`.
    #[arg(long, value_enum)]
    tcg_threads: Option<suite::TcgThreads>,
    /// Extra kernel command-line parameters.
    #[arg(long)]
    append: Option<String>,
    /// An interactive shell in the guest on this terminal (cwd, kernel, topology
    /// and mounts as a test run); leaving it ends the guest with its status.
    /// Ctrl-C reaches the guest; Ctrl-A x quits QEMU.
    #[arg(long, conflicts_with_all = ["command", "suite"])]
    shell: bool,
    /// Start QEMU's gdb stub on 127.0.0.1:PORT [default: 1234], the guest
    /// paused until a debugger continues it; prints the gdb command line
    /// (the tree's vmlinux; the kernel boots with nokaslr). No time limit
    /// unless --timeout gives one.
    #[arg(long, value_name = "PORT", num_args = 0..=1, default_missing_value = "1234")]
    gdb: Option<u16>,
    /// With --gdb: let the guest run without waiting for a debugger.
    #[arg(long, requires = "gdb")]
    gdb_no_wait: bool,
    /// Keep this run's directory (console.log, kmsg.log, results, each test's
    /// output and script, the QEMU command line) until removed by hand, and
    /// print its path; otherwise only the 30 newest runs are kept.
    #[arg(long)]
    keep: bool,
    /// Copy the guest console to stderr as it arrives.
    #[arg(long)]
    console: bool,
    /// Boot the kernel for every run. By default a run restores the kernel's
    /// saved boot (stopped before the host's root is mounted, saved by the
    /// first run of that kernel, topology and command line), which under TCG
    /// saves most of a short run.
    #[arg(long)]
    cold_boot: bool,
    /// Print every test's output, not only the failing ones'.
    #[arg(short, long)]
    verbose: bool,
    /// Build or find the kernel, print its tree (for module builds) and exit.
    #[arg(long)]
    print_kernel_tree: bool,
    /// Run the cells of this kernel x suite matrix file (qemu/matrix.toml):
    /// a cell that runs must pass; one that does not is reported with the
    /// file's reason; a table of every cell ends the run.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "command", "shell", "suite", "kernel", "kernel_tree", "kernel_version",
        "kernel_patch", "kernel_config", "gdb", "print_kernel_tree",
    ])]
    matrix: Option<PathBuf>,
    /// With --matrix: only these kernels (the file's names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAMES", requires = "matrix")]
    kernels: Vec<String>,
    /// With --matrix: only these suites (the file's names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAMES", requires = "matrix")]
    suites: Vec<String>,
    /// With --matrix: boot every cell that runs once per topology, instead of
    /// the file's or the suite's: N (CPUs) or NxC (N NUMA nodes of C CPUs).
    #[arg(long, value_delimiter = ',', value_name = "T,...", requires = "matrix")]
    topologies: Vec<String>,
    /// With --matrix: print the linux-source versions its selected cells
    /// build (for scripts/deps.sh), and exit.
    #[arg(long, requires = "matrix")]
    print_kernel_versions: bool,
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
    if let Some(path) = &cli.matrix {
        return matrix_run::run(cli, path);
    }
    let cache = cache_dir();
    // The reference tree (no --suite) is the plain build whatever suites exist.
    let suites = if cli.print_kernel_tree && cli.suite.is_empty() {
        Vec::new()
    } else {
        load_suites(cli)?
    };
    let kernel = kernel_source(cli, &suites)?.acquire(&cache)?;
    if cli.print_kernel_tree {
        let tree = kernel
            .tree
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("{} has no tree", kernel.label))?;
        println!("{}", tree.display());
        return Ok(ExitCode::SUCCESS);
    }
    // One command, or the shell: the run exits with its status.
    let single = !cli.command.is_empty() || cli.shell;
    let env = RunEnv::new(cli, cache)?;
    let mut reports = Vec::new();
    for suite in &suites {
        let report = env.boot(cli, suite, &kernel, None)?;
        if single && report.failures.is_empty() && !cli.verbose {
            // Like `vng --exec`: the command's own output, then a one-line verdict.
            if let Some(t) = report.tests.first() {
                print!("{}", t.output);
            }
        }
        eprint!("{}", report.summary(cli.verbose && !single));
        if cli.keep {
            eprintln!("[qemu] run directory kept: {}", report.run_dir);
        }
        reports.push(report);
    }
    if let Some(path) = &cli.json {
        let json = serde_json::json!({ "runs": &reports });
        std::fs::write(path, serde_json::to_string_pretty(&json)?)?;
        eprintln!("results: {}", path.display());
    }
    if let Some(path) = &cli.junit {
        let runs: Vec<(&str, &report::RunReport)> = suites
            .iter()
            .map(|s| s.name.as_str())
            .zip(&reports)
            .collect();
        std::fs::write(path, junit::render(&runs, &[]))?;
        eprintln!("JUnit results: {}", path.display());
    }
    if reports.len() > 1 {
        let failed: Vec<&str> = suites
            .iter()
            .zip(&reports)
            .filter(|(_, r)| !r.passed())
            .map(|(s, _)| s.name.as_str())
            .collect();
        eprintln!(
            "{} suites: {}",
            reports.len(),
            if failed.is_empty() {
                "all passed".to_string()
            } else {
                format!("failed: {}", failed.join(", "))
            }
        );
    }
    let codes: Vec<u8> = reports.iter().map(|r| exit_code(r, single)).collect();
    Ok(ExitCode::from(worst(&codes)))
}

/// The worst outcome decides: a timeout, then a guest failure, then tests.
fn worst(codes: &[u8]) -> u8 {
    [TIMED_OUT, GUEST_FAILED]
        .into_iter()
        .find(|c| codes.contains(c))
        .unwrap_or_else(|| codes.iter().copied().find(|&c| c != 0).unwrap_or(0))
}

/// What every boot of a run shares.
struct RunEnv {
    cache: PathBuf,
    cwd: PathBuf,
    views: Vec<PathBuf>,
    /// A person at a shell or a debugger: no time limit unless asked.
    attended: bool,
    gdb: Option<gdb::Stub>,
}

impl RunEnv {
    fn new(cli: &Cli, cache: PathBuf) -> anyhow::Result<Self> {
        let cwd = std::env::current_dir()?.canonicalize()?;
        Ok(RunEnv {
            views: host_views(cli, &cwd),
            cache,
            cwd,
            attended: cli.shell || cli.gdb.is_some(),
            gdb: cli.gdb.map(|port| gdb::Stub {
                port,
                wait: !cli.gdb_no_wait,
            }),
        })
    }

    /// Boots `suite` on `kernel`: its own guest, or `topo` instead (the
    /// matrix's topology axis); the command line's options win over both.
    fn boot(
        &self,
        cli: &Cli,
        suite: &suite::Suite,
        kernel: &Kernel,
        topo: Option<&matrix::TopoSpec>,
    ) -> anyhow::Result<report::RunReport> {
        let g = &suite.guest;
        let (cpus, numa) = match topo {
            Some(t) => t.parts()?,
            None => (g.cpus, g.numa.as_deref()),
        };
        let numa = cli.numa.as_deref().or(numa);
        let mem = cli.mem.as_deref().or(g.mem.as_deref()).unwrap_or("1G");
        let topology = Topology::new(cli.cpus.or(cpus), mem, numa)?;
        let accel = choose_accel(cli.accel, kernel, &topology, &self.cache)?
            .with_tcg_threads(cli.tcg_threads.or(g.tcg_threads));
        let append = [g.append.as_deref(), cli.append.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let machine = Machine::for_guest(kernel, topology.nodes);
        let n = suite.tests.len();
        eprintln!(
            "[qemu] {}: booting {} under {} on {} with {} ({n} test{})",
            suite.name,
            kernel.label,
            accel.describe(),
            machine.name(),
            topology.describe(),
            if n == 1 { "" } else { "s" }
        );
        let boot = vm::Boot {
            kernel,
            topology: &topology,
            accel,
            tests: &suite.tests,
            cwd: self.cwd.clone(),
            views: self.views.clone(),
            run_dir: runs::new_run_dir(&self.cache, cli.keep)?,
            timeout: Duration::from_secs(cli.timeout.or(g.timeout).unwrap_or(if self.attended {
                SHELL_TIMEOUT
            } else {
                DEFAULT_TIMEOUT
            })),
            append: (!append.is_empty()).then_some(append),
            echo_console: cli.console,
            // A guest held at a breakpoint is not a stuck boot.
            boot_timeout: Duration::from_secs(if self.gdb.is_some() {
                SHELL_TIMEOUT
            } else {
                cli.boot_timeout
            }),
            gdb: self.gdb,
            machine,
            saved_boots: (!cli.cold_boot).then(|| self.cache.clone()),
        };
        Ok(boot.run()?)
    }
}

fn load_suites(cli: &Cli) -> anyhow::Result<Vec<suite::Suite>> {
    if cli.shell {
        return Ok(vec![suite::Suite {
            name: "shell".into(),
            guest: Default::default(),
            kernel: Default::default(),
            tests: vec![TestSpec::shell(tty::size())],
        }]);
    }
    if !cli.command.is_empty() {
        let timeout = cli.timeout.unwrap_or(DEFAULT_TIMEOUT);
        return Ok(vec![suite::Suite {
            name: "command".into(),
            guest: Default::default(),
            kernel: Default::default(),
            tests: vec![TestSpec::from_argv(&cli.command, timeout)],
        }]);
    }
    let paths = if cli.suite.is_empty() {
        default_suites()?
    } else {
        cli.suite.clone()
    };
    let paths = match cli.shard {
        Some(shard) => {
            let mine = shard.select(paths);
            let names: Vec<String> = mine.iter().map(|p| p.display().to_string()).collect();
            eprintln!(
                "[qemu] shard {}/{}: {}",
                shard.k,
                shard.n,
                if names.is_empty() {
                    "no suite (more shards than suites)".into()
                } else {
                    names.join(", ")
                }
            );
            mine
        }
        None => paths,
    };
    Ok(paths
        .iter()
        .map(|p| suite::load_suite(p))
        .collect::<Result<Vec<_>, _>>()?)
}

/// The kernel this run boots: one per run, so the suites must agree on
/// their `[kernel]` table (modules are built for one tree).
fn kernel_source(cli: &Cli, suites: &[suite::Suite]) -> anyhow::Result<KernelSource> {
    let spec = one_kernel_spec(suites)?;
    let given = match (&cli.kernel, &cli.kernel_tree) {
        (Some(img), _) => Some(KernelSource::Image {
            image: img.clone(),
            modules: cli.modules.clone(),
        }),
        (_, Some(tree)) => Some(KernelSource::Tree(tree.clone())),
        _ => None,
    };
    if let Some(given) = given {
        if !spec.is_empty() {
            eprintln!(
                "[kernel] the suite's [kernel] patches and config are not applied: \
                 the given kernel boots as it is"
            );
        }
        if let (KernelSource::Tree(t), false) = (&given, spec.config.is_empty()) {
            kernel::warn_missing(&t.join(".config"), &spec.config);
        }
        return Ok(given);
    }
    debian_source(cli, &cli.kernel_version, &spec)
}

/// Debian's linux-source-`version` with a suite's `[kernel]` table, then the
/// command line's patches and config lines.
fn debian_source(
    cli: &Cli,
    version: &str,
    spec: &suite::KernelSpec,
) -> anyhow::Result<KernelSource> {
    let root = repo_root();
    let mut paths: Vec<PathBuf> = spec.patches.iter().map(|p| root.join(p)).collect();
    paths.extend(cli.kernel_patch.iter().cloned());
    let mut config = spec.config.clone();
    config.extend(cli.kernel_config.iter().cloned());
    Ok(KernelSource::Debian {
        version: version.to_string(),
        profile: cli.kernel_profile,
        changes: kernel::Changes::new(patches::expand(&paths)?, config)?,
    })
}

/// The `[kernel]` table every suite of the run shares (empty: the default build).
fn one_kernel_spec(suites: &[suite::Suite]) -> anyhow::Result<suite::KernelSpec> {
    let Some(first) = suites.first() else {
        return Ok(Default::default());
    };
    let differ: Vec<&suite::Suite> = suites.iter().filter(|s| s.kernel != first.kernel).collect();
    if differ.is_empty() {
        return Ok(first.kernel.clone());
    }
    let describe = |s: &suite::Suite| {
        if s.kernel.is_empty() {
            format!("{} (the default kernel)", s.name)
        } else {
            format!(
                "{} (patches {:?}, config {:?})",
                s.name, s.kernel.patches, s.kernel.config
            )
        }
    };
    anyhow::bail!(
        "these suites need different kernels: {} and {}; one run boots one kernel, \
         so run them with separate `--suite` invocations",
        describe(first),
        differ
            .iter()
            .map(|s| describe(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The repository root: what a suite's `[kernel]` paths are relative to.
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The paths named on the command line (the command's words, the suite
/// files) that the guest's tmpfs would hide, each said once on stderr.
fn host_views(cli: &Cli, cwd: &Path) -> Vec<PathBuf> {
    let suites: Vec<String> = cli.suite.iter().map(|p| p.display().to_string()).collect();
    let words: Vec<&str> = cli
        .command
        .iter()
        .chain(&suites)
        .map(String::as_str)
        .collect();
    let views = views::views(&words, cwd, &[cwd]);
    for v in &views {
        eprintln!("[qemu] {} is shown read-only in the guest", v.display());
    }
    views
}

fn exit_code(report: &report::RunReport, single: bool) -> u8 {
    let timed_out = |f: &report::GuestFailure| matches!(f, report::GuestFailure::Timeout { .. });
    if report.failures.iter().any(timed_out) {
        return TIMED_OUT;
    }
    if !report.failures.is_empty() {
        return GUEST_FAILED;
    }
    if single {
        let rc = report.tests.first().and_then(|t| t.exit_code).unwrap_or(1);
        return u8::try_from(rc).unwrap_or(1);
    }
    u8::from(!report.passed())
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
        views: Vec::new(),
        run_dir: runs::new_run_dir(cache, false)?,
        timeout: Duration::from_secs(20),
        append: None,
        echo_console: false,
        boot_timeout: Duration::from_secs(20),
        gdb: None,
        machine: Machine::for_guest(kernel, topo.nodes),
        saved_boots: None,
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

/// Every suite in qemu/suites/, in name order.
fn default_suites() -> anyhow::Result<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(name: &str, patches: &[&str]) -> suite::Suite {
        suite::Suite {
            name: name.into(),
            guest: Default::default(),
            kernel: suite::KernelSpec {
                patches: patches.iter().map(PathBuf::from).collect(),
                config: Vec::new(),
            },
            tests: Vec::new(),
        }
    }

    #[test]
    fn suites_of_one_run_must_agree_on_their_kernel() {
        let a = suite("a", &[]);
        let b = suite("b", &[]);
        let oom = suite("oom", &["examples/bpf_oom/patches"]);
        assert!(one_kernel_spec(&[a.clone(), b]).unwrap().is_empty());
        assert_eq!(
            one_kernel_spec(std::slice::from_ref(&oom)).unwrap(),
            oom.kernel
        );
        let err = one_kernel_spec(&[a, oom]).unwrap_err().to_string();
        assert!(
            err.contains("a (the default kernel)") && err.contains("oom (patches"),
            "{err}"
        );
    }

    /// A suite's patches are the repository's and come first; the command
    /// line's follow; a bad one fails before any kernel work.
    #[test]
    fn the_command_lines_patches_follow_the_suites() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("0009-debug.patch");
        std::fs::write(&mine, "--- a/x\n+++ b/x\n").unwrap();
        let cli = Cli::parse_from([
            "modless-qemu",
            "--kernel-patch",
            mine.to_str().unwrap(),
            "--kernel-config",
            "CONFIG_B=y",
        ]);
        // A file of this repository stands in for a suite's patch.
        let mut s = suite("s", &["qemu/Cargo.toml"]);
        s.kernel.config = vec!["CONFIG_A=y".into()];
        let KernelSource::Debian { changes, .. } = kernel_source(&cli, &[s]).unwrap() else {
            panic!("a Debian build")
        };
        let paths: Vec<&Path> = changes.patches.iter().map(|p| p.path.as_path()).collect();
        assert_eq!(
            paths,
            [repo_root().join("qemu/Cargo.toml").as_path(), &mine]
        );
        assert_eq!(changes.config, ["CONFIG_A=y", "CONFIG_B=y"]);

        let gone = suite("s", &["no/such/patches"]);
        let err = kernel_source(&cli, &[gone]).unwrap_err().to_string();
        assert!(err.contains("no/such/patches"), "{err}");
    }

    #[test]
    fn a_given_kernel_is_not_patched() {
        let err =
            Cli::try_parse_from(["modless-qemu", "--kernel-tree", "/t", "--kernel-patch", "p"])
                .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
