//! `modless load OBJ.bpf.o [--for SECONDS]`: attach everything, hold, detach.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use modless_loader::OpenExtension;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF object (any struct_ops/fentry/fexit/fmod_ret object).
    object: PathBuf,
    /// Detach after this many seconds [default: until SIGINT/SIGTERM].
    #[arg(long = "for", value_name = "SECONDS")]
    seconds: Option<u64>,
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
    let ext = match OpenExtension::file(&args.object).and_then(|o| o.load()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("modless: error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let attached = match ext.attach_all() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("modless: error: {e}");
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
        println!("attached program {} ({})", h.program(), h.section());
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
    ext.clear_exit_record();
    let mut gone = vec![false; attached.ops.len()];
    while !STOP.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        for (o, gone) in attached.ops.iter().zip(gone.iter_mut()) {
            if !*gone && !o.is_attached().unwrap_or(true) {
                *gone = true;
                println!("the kernel detached struct_ops map {}", o.map());
                if let Some(r) = ext.exit_record() {
                    println!("  exit kind {} code {}: {}", r.kind, r.code, r.reason);
                    if let Some(m) = r.message {
                        println!("  {m}");
                    }
                }
            }
        }
        // nothing left to hold
        if attached.hooks.is_empty() && !gone.is_empty() && gone.iter().all(|g| *g) {
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
