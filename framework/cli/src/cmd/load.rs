//! `modless load OBJ.bpf.o [--set NAME=VALUE]... [--max-entries MAP=N]...
//! [--cgroup DIR] [--for SECONDS] [--stats SECONDS [--json]]`: prepare,
//! attach everything, hold (printing per-program counters), detach.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use modless_loader::{Counter, Extension, OpenExtension, OpsLink, ProgramStats, Stopped};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF object (struct_ops, fentry/fexit/fmod_ret, cgroup programs).
    object: PathBuf,
    /// The cgroup v2 directory cgroup programs attach to (they run for
    /// every process below it).
    #[arg(long, value_name = "DIR", default_value = modless_loader::ROOT_CGROUP)]
    cgroup: PathBuf,
    /// Detach after this many seconds [default: until SIGINT/SIGTERM].
    #[arg(long = "for", value_name = "SECONDS")]
    seconds: Option<u64>,
    /// Set a global (`const volatile` in .rodata, or .data/.bss) before load, typed
    /// from the object's BTF: integers, bools, enums by name, char arrays (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = name_value)]
    set: Vec<(String, String)>,
    /// The declaration the object implements (repeatable): when the verifier
    /// refuses a kfunc call, say which ops it allows the kfunc from.
    #[arg(long)]
    decl: Vec<PathBuf>,
    /// Create map MAP with N entries instead of the object's size (repeatable).
    #[arg(long = "max-entries", value_name = "MAP=N", value_parser = map_entries)]
    max_entries: Vec<(String, u32)>,
    /// Every SECONDS, print each program's runs and mean run time over the
    /// interval (the kernel's BPF_ENABLE_STATS counters) and its verified
    /// instructions, and how much each counter the object declares grew
    /// (globals tagged `btf_decl_tag("modless:counter")`).
    #[arg(long, value_name = "SECONDS")]
    stats: Option<f64>,
    /// With --stats: one JSON object per program and counter and interval, one a line.
    #[arg(long, requires = "stats")]
    json: bool,
}

fn name_value(s: &str) -> Result<(String, String), String> {
    let (n, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: want NAME=VALUE"))?;
    Ok((n.trim().to_string(), v.to_string()))
}

fn map_entries(s: &str) -> Result<(String, u32), String> {
    let (m, n) = name_value(s)?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: N must be a whole number up to {}", u32::MAX))?;
    Ok((m, n))
}

/// Opens the object and applies `--set` and `--max-entries`, printing each.
fn prepare(args: &Args) -> modless_loader::Result<OpenExtension> {
    let mut open = OpenExtension::file(&args.object)?;
    for k in open.kernel_enums() {
        match k.value {
            Some(v) => println!(
                "set {} = {v} ({v:#x}): the kernel's {} (enum {})",
                k.var, k.enumerator, k.enum_name
            ),
            None => println!(
                "left {} as built: this kernel's BTF has no enumerator {}",
                k.var, k.enumerator
            ),
        }
    }
    for (map, n) in &args.max_entries {
        let was = open.max_entries(map)?;
        open.set_max_entries(map, *n)?;
        println!("set max_entries of map {map} to {n} (was {was})");
    }
    for (name, value) in &args.set {
        let s = open.set_var(name, value)?;
        println!("set {} ({} in {}) = {}", s.name, s.ty, s.section, s.shown);
    }
    Ok(open)
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Before anything is attached: a signal that arrives while the kernel
    // enables the extension must still end in a clean detach.
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let ext = match prepare(&args).and_then(|o| o.load()) {
        Ok(e) => e,
        Err(e) => {
            let text = e.to_string();
            eprintln!("modless: error: {text}");
            if let Some(hint) = kfunc_hint(&text, &args.object, &args.decl) {
                eprintln!("modless: hint: {hint}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let attached = match ext.attach_all_in(&args.cgroup) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("modless: error: {e}");
            // e.g. sched_ext's ops.init failed: the exit op said why
            print_why(&ext, &[]);
            return Ok(ExitCode::FAILURE);
        }
    };
    for s in ext.skipped_members() {
        println!(
            "left out {}.{}: this kernel lacks it and it is declared if_missing = \"zero\"",
            s.map, s.member
        );
    }
    for o in &attached.ops {
        println!("attached struct_ops map {}", o.map());
    }
    for h in &attached.hooks {
        match h.cgroup() {
            Some(c) => println!(
                "attached program {} ({}) to cgroup {}",
                h.program(),
                h.section(),
                c.display()
            ),
            None => println!("attached program {} ({})", h.program(), h.section()),
        }
    }
    for s in ext.program_stats()? {
        println!("  {}: verifier processed {} insns", s.name, s.verified_insns);
    }
    let deadline = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    println!(
        "holding {}; {}",
        args.object.display(),
        match args.seconds {
            Some(s) => format!("detaching in {s} s"),
            None => "SIGINT/SIGTERM detaches".into(),
        }
    );
    let mut stats = match args.stats {
        Some(secs) => Some(StatsPrinter::start(&ext, secs, args.json)?),
        None => None,
    };
    // The record is not cleared: the object is fresh, so anything in it
    // was written by a stop during or right after the attach.
    while !STOP.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        if let Some(s) = stats.as_mut() {
            s.tick(&ext)?;
        }
        for o in &attached.ops {
            let Some(stop) = unrequested_stop(&ext, o)? else {
                continue;
            };
            eprintln!(
                "modless: error: the kernel stopped struct_ops map {}: {}",
                o.map(),
                stop.seen
            );
            print_why(&ext, &stop.kernel_log);
            drop(attached);
            return Ok(ExitCode::FAILURE);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(attached);
    println!("detached");
    if let Some(r) = ext.exit_record() {
        println!("exit record: kind {} code {}: {}", r.kind, r.code, r.reason);
    }
    Ok(ExitCode::SUCCESS)
}

/// `--stats`: the kernel's run counters, on while it lives, and the
/// object's declared counters, printed as deltas every interval.
struct StatsPrinter {
    _enabled: std::os::fd::OwnedFd,
    every: Duration,
    json: bool,
    last: Instant,
    prev: Vec<ProgramStats>,
    prev_counters: Vec<Counter>,
}

impl StatsPrinter {
    fn start(ext: &Extension, secs: f64, json: bool) -> anyhow::Result<Self> {
        let every = Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| anyhow::anyhow!("--stats {secs}: give a positive number of seconds"))?;
        Ok(Self {
            _enabled: modless_loader::enable_run_stats()?,
            every,
            json,
            last: Instant::now(),
            prev: ext.program_stats()?,
            prev_counters: ext.counters()?,
        })
    }

    fn tick(&mut self, ext: &Extension) -> anyhow::Result<()> {
        if self.last.elapsed() < self.every {
            return Ok(());
        }
        let now = ext.program_stats()?;
        let delta: Vec<ProgramStats> = now
            .iter()
            .map(|n| match self.prev.iter().find(|p| p.id == n.id) {
                Some(p) => n.since(p),
                None => n.clone(),
            })
            .collect();
        let counters = ext.counters()?;
        let grown: Vec<Counter> = counters
            .iter()
            .map(|c| match self.prev_counters.iter().find(|p| p.name == c.name) {
                Some(p) => c.since(p),
                None => c.clone(),
            })
            .collect();
        if self.json {
            for d in &delta {
                println!("{}", d.to_json());
            }
            for c in &grown {
                println!("{}", c.to_json());
            }
        } else {
            println!("stats over {:.1} s:", self.last.elapsed().as_secs_f64());
            print!("{}", modless_loader::stats_table(&delta));
            if !grown.is_empty() {
                print!("{}", modless_loader::counters_table(&grown));
            }
        }
        self.last = Instant::now();
        self.prev = now;
        self.prev_counters = counters;
        Ok(())
    }
}

/// A stop nobody asked for: the kernel detached the table, sched_ext
/// disabled it, or its exit op ran.
fn unrequested_stop(ext: &Extension, o: &OpsLink) -> anyhow::Result<Option<Stopped>> {
    if let Some(stop) = o.stopped()? {
        return Ok(Some(stop));
    }
    Ok(ext.exit_record().map(|_| Stopped {
        seen: "its exit op ran".into(),
        kernel_log: Vec::new(),
    }))
}

/// The exit record and the kernel's log lines, on stderr.
fn print_why(ext: &Extension, kernel_log: &[String]) {
    if let Some(r) = ext.exit_record() {
        eprintln!("  exit record: kind {} code {}: {}", r.kind, r.code, r.reason);
        if let Some(m) = r.message {
            eprintln!("  {m}");
        }
    }
    for line in kernel_log {
        eprintln!("  kernel: {line}");
    }
}

/// For a verifier refusal of a kfunc call ("calling kernel function X is
/// not allowed"): what the declarations say about X, or how to find out.
fn kfunc_hint(error: &str, object: &Path, decls: &[PathBuf]) -> Option<String> {
    let kfunc = error
        .split("calling kernel function ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    let lint = |decl: &str| format!("`modless lint {} {decl}` checks this before loading", object.display());
    if decls.is_empty() {
        return Some(format!(
            "the kernel does not let this program call {kfunc}; {} (it names the ops the \
             declaration allows {kfunc} from), or pass --decl DECL here",
            lint("DECL")
        ));
    }
    for path in decls {
        let Ok(d) = modless_decl::load(path) else {
            continue;
        };
        if let Some(k) = d.kfuncs.iter().find(|k| k.name() == kfunc) {
            let from = match &k.scope {
                modless_decl::kfuncs::OpScope::AnyOp => "any op".to_string(),
                modless_decl::kfuncs::OpScope::Ops(ops) => format!("ops {}", ops.join(", ")),
            };
            return Some(format!(
                "{} allows {kfunc} from {from} only; {}",
                path.display(),
                lint(&path.display().to_string())
            ));
        }
    }
    Some(format!(
        "{kfunc} is not declared in {}: the kernel's own rules refused it",
        decls
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::kfunc_hint;
    use std::path::{Path, PathBuf};

    const REFUSAL: &str = "program jobd_bad_select was rejected by the verifier: \
        calling kernel function bpf_jobd_job_acquire is not allowed";

    #[test]
    fn a_kfunc_refusal_names_the_declared_ops() {
        let jobd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobd/jobd.toml");
        let hint = kfunc_hint(REFUSAL, Path::new("p.bpf.o"), &[jobd]).unwrap();
        assert!(hint.contains("allows bpf_jobd_job_acquire from ops "), "{hint}");
        assert!(hint.contains("`modless lint p.bpf.o "), "{hint}");
    }

    #[test]
    fn without_a_declaration_it_points_to_lint() {
        let hint = kfunc_hint(REFUSAL, Path::new("p.bpf.o"), &[]).unwrap();
        assert!(hint.contains("modless lint p.bpf.o DECL"), "{hint}");
        assert!(kfunc_hint("invalid mem access", Path::new("p"), &[PathBuf::new()]).is_none());
    }
}
