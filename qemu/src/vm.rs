//! One guest boot: prepare the run directory, start QEMU, follow the console,
//! enforce the deadline, and collect what the guest left behind.

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::accel::Accel;
use crate::console::{self, Event, Scanner};
use crate::error::{Error, IoContext, Result};
use crate::gdb;
use crate::initramfs;
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::qmp::Qmp;
use crate::report::{self, GuestFailure, RunReport};
use crate::snapshot::{self, Saved};
use crate::suite::TestSpec;
use crate::topology::Topology;
use crate::tty;

const INIT: &str = include_str!("../guest/init.sh");

/// A stuck boot ran no test, so it is booted once more.
const BOOT_RETRIES: usize = 1;

enum Attempt {
    Finished(Box<RunReport>),
    /// No userspace within BOOT_TIMEOUT; what the console showed.
    Hung(String),
    /// QEMU did not restore the saved boot; why.
    NotRestored(String),
}

/// How the guest comes up.
enum Start<'a> {
    /// The kernel boots to the harness's init.
    Cold,
    /// From this initramfs's wait: the boot being saved, or a saved one
    /// restored (both start QEMU with one command line, as a restore needs).
    Saved(&'a Path),
}

/// A saved boot to restore, and the initramfs it was booted with.
struct Resume {
    saved: Saved,
    initrd: PathBuf,
}

pub struct Boot<'a> {
    pub kernel: &'a Kernel,
    pub topology: &'a Topology,
    pub accel: Accel,
    pub tests: &'a [TestSpec],
    /// The guest's working directory: shared read-write at the same path.
    pub cwd: PathBuf,
    /// Host paths shown read-only over the guest's tmpfs (see `views`).
    pub views: Vec<PathBuf>,
    pub run_dir: PathBuf,
    pub timeout: Duration,
    pub append: Option<String>,
    /// Copy the console to stderr as it arrives.
    pub echo_console: bool,
    /// A guest that has not reached userspace by then is stuck (TCG boots
    /// take 3 to 15 s here).
    pub boot_timeout: Duration,
    /// QEMU's gdb stub (`--gdb`).
    pub gdb: Option<gdb::Stub>,
    pub machine: Machine,
    /// The cache that holds saved boots (`snapshot`): the guest is restored
    /// from one, saved first if there is none. None boots every time.
    pub saved_boots: Option<PathBuf>,
}

impl Boot<'_> {
    /// Boots, retrying when a boot hangs before userspace: that is a boot
    /// that ran no test, and the hang stays in the report.
    pub fn run(&self) -> Result<RunReport> {
        let started = Instant::now();
        self.check_paths()?;
        let mut resume = self.saved_boot()?;
        let mut hangs = Vec::new();
        loop {
            match self.attempt(resume.as_ref())? {
                Attempt::Finished(mut report) => {
                    report.boot_hangs = hangs;
                    return Ok(*report);
                }
                Attempt::NotRestored(why) => {
                    eprintln!("[qemu] the saved boot was not restored ({why}); booting instead");
                    if let Some(r) = resume.take() {
                        r.saved.forget();
                    }
                }
                Attempt::Hung(detail) if hangs.len() < BOOT_RETRIES => {
                    eprintln!("[qemu] {detail}; booting again");
                    hangs.push(detail);
                    // Again from the kernel's start, not from the same saved state.
                    if let Some(r) = resume.take() {
                        r.saved.forget();
                    }
                }
                Attempt::Hung(detail) => return Ok(self.hung_report(hangs, detail, started)),
            }
        }
    }

    /// The saved boot this run restores, saved now if there is none yet; None
    /// when the run boots (asked to, a person at the console or a debugger,
    /// or the boot could not be saved: then the boot itself says why).
    fn saved_boot(&self) -> Result<Option<Resume>> {
        let Some(cache) = &self.saved_boots else {
            return Ok(None);
        };
        if self.interactive()
            || self.gdb.is_some()
            || self.tests.is_empty()
            || self.append.as_deref().is_some_and(names_init)
        {
            return Ok(None);
        }
        let initrd = match &self.kernel.initrd {
            Some(i) => i.clone(),
            None => initramfs::plain(cache)?,
        };
        // The per-run paths appear only in the shares' host side, which a
        // restore may change: the key leaves them out.
        let start = Start::Saved(&initrd);
        let neutral = self.command(Path::new("-"), &start, Path::new("/"), Path::new("/"));
        let argv: Vec<OsString> = neutral.get_args().map(|a| a.to_owned()).collect();
        let files = [
            self.kernel.boot_file(),
            initrd.clone(),
            snapshot::on_path(neutral.get_program().to_str().unwrap_or_default()),
        ];
        let saved = Saved::for_guest(&cache.join("saved-boots"), &argv, &files);
        if !saved.exists() {
            eprintln!(
                "[qemu] saving this kernel's boot for the runs that follow (--cold-boot: never)"
            );
            let socket = self.run_dir.join("save-qmp.sock");
            let mut qemu = self.command(Path::new("-"), &start, &self.cwd, &self.run_dir);
            qemu.args(qmp_args(&socket));
            match saved.save(qemu, &socket, self.boot_timeout) {
                Ok(took) => eprintln!("[qemu] boot saved in {:.2} s", took.as_secs_f64()),
                Err(why) => {
                    eprintln!("[qemu] the boot was not saved ({why}); booting instead");
                    return Ok(None);
                }
            }
        }
        Ok(Some(Resume { saved, initrd }))
    }

    fn check_paths(&self) -> Result<()> {
        for (what, p) in [
            ("working directory", &self.cwd),
            ("run directory", &self.run_dir),
        ] {
            if p.to_string_lossy()
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(Error::BadPath {
                    what,
                    path: p.clone(),
                });
            }
        }
        // Views travel one per line in a file, so only a line break is a problem.
        if let Some(p) = self
            .views
            .iter()
            .find(|p| p.to_string_lossy().chars().any(|c| c.is_control()))
        {
            return Err(Error::BadPath {
                what: "host path",
                path: p.clone(),
            });
        }
        Ok(())
    }

    fn attempt(&self, resume: Option<&Resume>) -> Result<Attempt> {
        self.prepare()?;
        let console_path = self.run_dir.join("console.log");
        let started = Instant::now();
        let interactive = self.interactive();
        let socket = self.run_dir.join("qmp.sock");
        let mut qemu = match resume {
            Some(r) => {
                let mut c = self.command(
                    &console_path,
                    &Start::Saved(&r.initrd),
                    &self.cwd,
                    &self.run_dir,
                );
                c.args(qmp_args(&socket));
                c.arg("-incoming")
                    .arg(format!("file:{}", r.saved.state().display()));
                c
            }
            None => self.command(&console_path, &Start::Cold, &self.cwd, &self.run_dir),
        };
        write_command(&qemu, &self.run_dir.join("qemu.cmd"))?;
        let _terminal = interactive.then(tty::Saved::take);
        if interactive {
            // QEMU writes the console log itself (`logfile=`), from empty.
            fs::File::create(&console_path)
                .ctx(|| format!("creating {}", console_path.display()))?;
            qemu.stdin(Stdio::inherit()).stdout(Stdio::inherit());
        } else if resume.is_some() {
            // The run's parameters reach the restored guest on its console.
            qemu.stdin(Stdio::piped()).stdout(Stdio::piped());
        } else {
            qemu.stdin(Stdio::null()).stdout(Stdio::piped());
        }
        let mut child = qemu
            .stderr(
                fs::File::create(self.run_dir.join("qemu.stderr"))
                    .ctx(|| "creating qemu.stderr".into())?,
            )
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::ToolMissing(
                    "qemu-system-x86_64".into(),
                    "apt-get install -t bookworm-backports qemu-system-x86".into(),
                ),
                _ => Error::Io {
                    context: "starting qemu-system-x86_64".into(),
                    source: e,
                },
            })?;

        if let Some(stub) = &self.gdb {
            eprint!("{}", stub.instructions(self.kernel));
        }
        // Held open to the end: a closed console input is not an idle one.
        let _console_input = match resume {
            Some(_) => match self.hand_over(&mut child, &socket) {
                Ok(input) => Some(input),
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stderr =
                        fs::read_to_string(self.run_dir.join("qemu.stderr")).unwrap_or_default();
                    return Ok(Attempt::NotRestored(match stderr.trim() {
                        "" => why,
                        said => format!("{why}; QEMU: {said}"),
                    }));
                }
            },
            None => None,
        };
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (console, mut log): (Box<dyn Read + Send>, Option<fs::File>) = if interactive {
            let f = fs::File::open(&console_path)
                .ctx(|| format!("opening {}", console_path.display()))?;
            (Box::new(tty::Follow::new(f, stop.clone())), None)
        } else {
            let log = fs::File::create(&console_path)
                .ctx(|| format!("creating {}", console_path.display()))?;
            (Box::new(child.stdout.take().expect("piped")), Some(log))
        };
        let echo = self.echo_console && !interactive;
        let first_line = Arc::new(OnceLock::new());
        let first = first_line.clone();
        let reader = std::thread::spawn(move || {
            let mut scanner = Scanner::default();
            let mut buf = Vec::new();
            let mut r = BufReader::new(console);
            while matches!(r.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
                let _ = first.set(Instant::now());
                if let Some(log) = &mut log {
                    let _ = log.write_all(&buf);
                }
                let line = String::from_utf8_lossy(&buf);
                if echo {
                    eprint!("{line}");
                }
                for ev in scanner.feed(&line) {
                    let _ = tx.send((ev, Instant::now()));
                }
                buf.clear();
            }
        });

        let mut events = Vec::new();
        let mut userspace = false;
        let boot_deadline = started + self.boot_timeout.min(self.timeout);
        let mut hung = false;
        let timed_out = wait_until(&mut child, started + self.timeout, || {
            for (ev, at) in rx.try_iter() {
                if !interactive {
                    self.progress(&ev, at - started);
                }
                userspace |= matches!(ev, Event::InitStarted);
                events.push((ev, at));
            }
            hung = !userspace && Instant::now() >= boot_deadline;
            hung
        })?;
        stop.store(true, Ordering::Release);
        let _ = reader.join();
        events.extend(rx.try_iter());
        let total = started.elapsed();
        if hung
            && !events
                .iter()
                .any(|(ev, _)| matches!(ev, Event::InitStarted))
        {
            let n = (1..).find(|n| !self.run_dir.join(format!("console-hang-{n}.log")).exists());
            let kept = self
                .run_dir
                .join(format!("console-hang-{}.log", n.unwrap_or(0)));
            let _ = fs::rename(&console_path, &kept);
            let last = fs::read_to_string(&kept).unwrap_or_default();
            let last = last
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("(empty console)");
            return Ok(Attempt::Hung(format!(
                "no userspace within {} s (last console line: {}; log: {})",
                self.boot_timeout.as_secs(),
                last.trim(),
                kept.display()
            )));
        }

        let mut failures = Vec::new();
        let mut console_splats = Vec::new();
        let mut dropped = 0;
        let secs = |at: Instant| Some((at - started).as_secs_f64());
        let mut phases = report::Phases {
            first_console_s: first_line.get().copied().and_then(secs),
            ..Default::default()
        };
        for (ev, at) in events {
            match ev {
                Event::InitStarted => phases.userspace_s = secs(at),
                Event::Splat(s) => console_splats.push(s),
                Event::InitError(detail) => failures.push(GuestFailure::InitError { detail }),
                Event::Dropped(n) => dropped += n,
                Event::TestBegin(_) => phases.first_test_s = phases.first_test_s.or(secs(at)),
                Event::TestEnd(_) => phases.last_test_end_s = secs(at),
                Event::Done => phases.done_s = secs(at),
            }
        }
        let boot_s = phases.userspace_s;
        let done = self.run_dir.join("done").is_file();
        // Without a log (the guest died), the console is all there is.
        let kmsg = fs::read_to_string(self.run_dir.join("kmsg.log"))
            .ok()
            .filter(|_| done);
        let logged = kmsg.as_deref().map(console::splats_in).unwrap_or_default();
        let splats = console::merge(logged, console_splats);
        failures.extend(splats.into_iter().map(GuestFailure::Splat));
        if dropped > 0 && !kmsg.as_deref().is_some_and(console::log_is_whole) {
            failures.push(GuestFailure::LogLost { dropped });
        }
        if timed_out {
            failures.push(GuestFailure::Timeout {
                seconds: self.timeout.as_secs(),
            });
        } else if !done
            && !failures
                .iter()
                .any(|f| matches!(f, GuestFailure::InitError { .. }))
        {
            failures.push(GuestFailure::EarlyExit {
                detail: self.early_exit_detail(&console_path, boot_s.is_some()),
            });
        }

        let results = report::parse_results(
            &fs::read_to_string(self.run_dir.join("results")).unwrap_or_default(),
        );
        let tests = self
            .tests
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let output = fs::read_to_string(self.run_dir.join(format!("out/{i}.log")))
                    .unwrap_or_default();
                report::judge(
                    &t.name,
                    results.iter().copied().find(|r| r.index == i),
                    output,
                )
            })
            .collect();
        Ok(Attempt::Finished(Box::new(RunReport {
            kernel: self.kernel.label.clone(),
            accel: self.accel.describe().into(),
            topology: self.topology.describe(),
            boot_s,
            total_s: total.as_secs_f64(),
            tests,
            failures,
            boot_hangs: Vec::new(),
            phases,
            console_log: console_path.display().to_string(),
            run_dir: self.run_dir.display().to_string(),
            restored: resume.map(|r| r.saved.dir().display().to_string()),
        })))
    }

    /// Waits until QEMU runs the restored guest, then gives it this run's
    /// parameters (not before: bytes that reach the serial port while its
    /// state loads are overwritten by the saved one).
    fn hand_over(
        &self,
        child: &mut Child,
        socket: &Path,
    ) -> std::result::Result<ChildStdin, String> {
        let deadline = Instant::now() + self.boot_timeout;
        let mut qmp = Qmp::connect(socket, deadline).map_err(|e| format!("QMP socket: {e}"))?;
        loop {
            match qmp.status() {
                Ok(s) if s == "running" => break,
                Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Ok(s) => return Err(format!("still {s} after {} s", self.boot_timeout.as_secs())),
                Err(e) => return Err(e.to_string()),
            }
        }
        let run = self.run_dir.display().to_string();
        let line = snapshot::run_parameters(&[
            ("modless_init", format!("{run}/init.sh")),
            ("modless_run", run),
            ("modless_cwd", self.cwd.display().to_string()),
        ]);
        let mut input = child.stdin.take().expect("piped");
        input
            .write_all(line.as_bytes())
            .map_err(|e| format!("writing to the guest's console: {e}"))?;
        Ok(input)
    }

    /// Every boot hung: no test ran, and the run fails saying so.
    fn hung_report(&self, hangs: Vec<String>, detail: String, started: Instant) -> RunReport {
        RunReport {
            kernel: self.kernel.label.clone(),
            accel: self.accel.describe().into(),
            topology: self.topology.describe(),
            boot_s: None,
            total_s: started.elapsed().as_secs_f64(),
            tests: self
                .tests
                .iter()
                .map(|t| report::judge(&t.name, None, String::new()))
                .collect(),
            failures: vec![GuestFailure::BootHang { detail }],
            boot_hangs: hangs,
            phases: Default::default(),
            console_log: self.run_dir.join("console.log").display().to_string(),
            run_dir: self.run_dir.display().to_string(),
            restored: None,
        }
    }

    fn prepare(&self) -> Result<()> {
        let d = &self.run_dir;
        // `out/` here, not by the guest's init: one process fewer in the guest.
        for sub in ["cmd", "out"] {
            fs::create_dir_all(d.join(sub)).ctx(|| format!("creating {}", d.display()))?;
        }
        let init = d.join("init.sh");
        fs::write(&init, INIT).ctx(|| format!("writing {}", init.display()))?;
        fs::set_permissions(&init, fs::Permissions::from_mode(0o755))
            .ctx(|| "chmod init.sh".into())?;
        let mut list = String::new();
        for (i, t) in self.tests.iter().enumerate() {
            // Names travel in a tab-separated file; keep them on one line.
            let name: String = t
                .name
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            // "-", not empty: the guest's `read` folds adjacent tabs into one.
            let hung = t
                .hung_task_timeout
                .map_or_else(|| "-".to_string(), |s| s.to_string());
            let mode = if t.interactive { "tty" } else { "" };
            list.push_str(&format!("{name}\t{}\t{hung}\t{mode}\n", t.timeout));
            fs::write(d.join(format!("cmd/{i}.sh")), &t.run)
                .ctx(|| "writing test script".into())?;
        }
        fs::write(d.join("tests"), list).ctx(|| "writing test list".into())?;
        let views: String = self
            .views
            .iter()
            .map(|p| format!("{}\n", p.display()))
            .collect();
        fs::write(d.join("views"), views).ctx(|| "writing views".into())
    }

    /// A `--shell` boot: the console is the user's terminal.
    fn interactive(&self) -> bool {
        self.tests.iter().any(|t| t.interactive)
    }

    /// QEMU's command line; `cwd` and `run` are the shares' host paths.
    fn command(&self, console_log: &Path, start: &Start, cwd: &Path, run: &Path) -> Command {
        let mut c = Command::new("qemu-system-x86_64");
        c.args(self.accel.qemu_args());
        c.args(self.machine.qemu_args());
        c.args(["-nodefaults", "-display", "none", "-no-reboot"]);
        if self.interactive() {
            // Ctrl-C goes to the guest; Ctrl-A x quits QEMU (the monitor shares the line).
            c.arg("-chardev").arg(format!(
                "stdio,id=con,mux=on,signal=off,logfile={}",
                console_log.display()
            ));
            c.args([
                "-serial",
                "chardev:con",
                "-mon",
                "chardev=con,mode=readline",
            ]);
        } else {
            c.args(["-serial", "stdio"]);
        }
        c.args(self.topology.qemu_args());
        if let Some(stub) = &self.gdb {
            c.args(stub.qemu_args());
        }
        c.arg("-kernel").arg(self.kernel.boot_file());
        let initrd = match start {
            Start::Cold => self.kernel.initrd.as_deref(),
            Start::Saved(initrd) => Some(*initrd),
        };
        if let Some(initrd) = initrd {
            c.arg("-initrd").arg(initrd);
        }
        c.arg("-append").arg(self.cmdline(start));
        let m = self.machine;
        c.args(m.share_args("root", Path::new("/"), "/dev/root", true));
        c.args(m.share_args("mlcwd", cwd, "mlcwd", false));
        c.args(m.share_args("mlrun", run, "mlrun", false));
        c
    }

    /// `no_timer_check`: under TCG on a busy host the IO-APIC timer check
    /// can miss its ticks and panic the boot ("IO-APIC + timer doesn't work!").
    /// `printk.time=1`: the log init copies at the end stamps each line with
    /// its time (modless's config has no PRINTK_TIME) though busybox reads it.
    /// A saved boot's command line names no per-run path: the initramfs reads
    /// those once restored.
    fn cmdline(&self, start: &Start) -> String {
        let run_params = match start {
            Start::Cold => format!(
                "init={run}/init.sh modless_init={run}/init.sh modless_run={run} modless_cwd={cwd}",
                run = self.run_dir.display(),
                cwd = self.cwd.display(),
            ),
            Start::Saved(_) => "modless_wait=1".to_string(),
        };
        let mut s = format!(
            "console=ttyS0 8250.nr_uarts=1 panic=-1 quiet loglevel=5 printk.devkmsg=on printk.time=1 no_timer_check \
             root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro \
             {run_params} modless_cpus={cpus} modless_nodes={nodes}",
            // What was asked for, so a test can check the guest has it.
            cpus = self.topology.cpus,
            nodes = self.topology.nodes,
        );
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        if let Some(lpj) = preset_lpj(&cpuinfo, self.kernel) {
            s.push_str(&format!(" lpj={lpj}"));
        }
        if self.accel.is_tcg() {
            s.push_str(&tcg_tsc_params(&cpuinfo));
        }
        s.push_str(self.machine.kernel_params());
        if self.gdb.is_some() {
            // Symbols at vmlinux's addresses (tinyconfig has no KASLR; a given image may).
            s.push_str(" nokaslr");
        }
        if let Some(term) = self.interactive().then(tty::term).flatten() {
            s.push_str(&format!(" modless_term={term}"));
        }
        if let Some(extra) = &self.append {
            s.push(' ');
            s.push_str(extra);
        }
        s
    }

    /// One line on stderr per milestone, so a long run shows where it is.
    fn progress(&self, ev: &Event, at: Duration) {
        let t = at.as_secs_f64();
        let n = self.tests.len();
        match ev {
            Event::InitStarted => eprintln!("[qemu] {t:6.2} s  guest userspace is up"),
            Event::TestBegin(i) if n > 1 => {
                let name = self.tests.get(*i).map_or("", |t| t.name.as_str());
                eprintln!("[qemu] {t:6.2} s  test {}/{n}: {name}", i + 1);
            }
            Event::Splat(s) => eprintln!("[qemu] {t:6.2} s  kernel: {}", s.line),
            _ => {}
        }
    }

    fn early_exit_detail(&self, console: &Path, reached_init: bool) -> String {
        let stderr = fs::read_to_string(self.run_dir.join("qemu.stderr")).unwrap_or_default();
        if !reached_init && !stderr.trim().is_empty() {
            return format!("QEMU: {}", stderr.trim());
        }
        let text = fs::read_to_string(console).unwrap_or_default();
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("(empty console)");
        format!("last console line: {}", last.trim())
    }
}

/// `lpj=` for the guest: each secondary CPU otherwise calibrates its delay
/// loop, which under TCG fails its quick method and falls back to counting
/// jiffies (about 0.15 s a CPU). The value only has to be plausible: x86
/// delays use the TSC. The guest's TSC runs at the host's rate (TCG and KVM).
fn preset_lpj(cpuinfo: &str, kernel: &Kernel) -> Option<u64> {
    lpj(cpuinfo, &kernel.config())
}

/// The host's clock in whole kHz, as the kernel's own tsc_khz is.
fn host_khz(cpuinfo: &str) -> Option<u64> {
    let mhz: f64 = cpuinfo
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    Some((mhz * 1000.0) as u64).filter(|&k| k > 0)
}

/// Loops per jiffy at the host's clock and the kernel's HZ (250 when its
/// config is not at hand: Debian's images).
fn lpj(cpuinfo: &str, config: &str) -> Option<u64> {
    let hz: u64 = config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_HZ="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(250);
    let khz = host_khz(cpuinfo)?;
    (hz > 0).then(|| khz * 1000 / hz)
}

/// Under TCG every vCPU reads the host's own TSC, so it is synchronized and
/// constant: `tsc=reliable` skips the per-CPU warp test at bring-up and the
/// clocksource watchdog (which, on a loaded host, times out reading remote
/// CPUs and can demote the TSC to the HPET, whose every read is emulated);
/// `tsc_early_khz=` skips the early calibration against the PIT and HPET.
fn tcg_tsc_params(cpuinfo: &str) -> String {
    let mut s = " tsc=reliable".to_string();
    if let Some(khz) = host_khz(cpuinfo) {
        s.push_str(&format!(" tsc_early_khz={khz}"));
    }
    s
}

/// Whether kernel parameters choose init or give it arguments: a saved boot
/// runs the initramfs's init, which would ignore them.
fn names_init(params: &str) -> bool {
    params
        .split_whitespace()
        .any(|w| w == "--" || w.starts_with("init=") || w.starts_with("rdinit="))
}

/// QEMU's machine protocol on a unix socket, for saving and restoring.
fn qmp_args(socket: &Path) -> [String; 2] {
    let _ = fs::remove_file(socket);
    [
        "-qmp".into(),
        format!("unix:{},server=on,wait=off", socket.display()),
    ]
}

/// Saves the QEMU command line, quoted for a shell, to boot the guest again by hand.
fn write_command(cmd: &Command, path: &Path) -> Result<()> {
    let words: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|w| crate::suite::shell_quote(&w.to_string_lossy()))
        .collect();
    fs::write(path, words.join(" ") + "\n").ctx(|| format!("writing {}", path.display()))
}

/// Waits for QEMU to exit, calling `tick` meanwhile; kills it at the
/// deadline or when `tick` says so. True if the deadline killed it.
fn wait_until(
    child: &mut Child,
    deadline: Instant,
    mut tick: impl FnMut() -> bool,
) -> Result<bool> {
    loop {
        if tick() {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(false);
        }
        if child
            .try_wait()
            .ctx(|| "waiting for QEMU".into())?
            .is_some()
        {
            return Ok(false);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lpj_is_the_hosts_clock_over_the_kernels_hz() {
        let cpuinfo = "processor\t: 0\ncpu MHz\t\t: 2100.000\nflags\t: fpu\n";
        assert_eq!(
            lpj(cpuinfo, "CONFIG_HZ_250=y\nCONFIG_HZ=250\n"),
            Some(8_400_000)
        );
        assert_eq!(lpj(cpuinfo, "CONFIG_HZ=1000\n"), Some(2_100_000));
        assert_eq!(lpj(cpuinfo, ""), Some(8_400_000), "an image: HZ 250");
        assert_eq!(lpj("processor\t: 0\n", ""), None, "no clock, no lpj=");
        assert_eq!(lpj("cpu MHz\t: 0.000\n", ""), None);
    }

    fn boot_for<'a>(kernel: &'a Kernel, topology: &'a Topology) -> Boot<'a> {
        Boot {
            kernel,
            topology,
            accel: Accel::Tcg,
            tests: &[],
            cwd: "/home/dev/linux".into(),
            views: Vec::new(),
            run_dir: "/cache/runs/17-1-0".into(),
            timeout: Duration::from_secs(60),
            append: None,
            echo_console: false,
            boot_timeout: Duration::from_secs(60),
            gdb: None,
            machine: Machine::Microvm,
            saved_boots: None,
        }
    }

    #[test]
    fn a_saved_boot_is_the_same_for_every_run() {
        let kernel = Kernel {
            image: "/k/bzImage".into(),
            tree: None,
            label: "k".into(),
            initrd: None,
        };
        let topology = Topology::new(Some(2), "1G", None).unwrap();
        let boot = boot_for(&kernel, &topology);
        let cold = boot.cmdline(&Start::Cold);
        assert!(cold.contains(" init=/cache/runs/17-1-0/init.sh "), "{cold}");
        assert!(cold.contains(" modless_cwd=/home/dev/linux "), "{cold}");
        let initrd = Path::new("/cache/initramfs/plain/initramfs.cpio");
        let saved = boot.cmdline(&Start::Saved(initrd));
        assert!(
            !saved.contains("/cache/runs") && !saved.contains("/home/dev"),
            "{saved}"
        );
        assert!(saved.contains(" modless_wait=1 "), "{saved}");
        let args = |cwd: &str, run: &str| -> Vec<String> {
            boot.command(
                Path::new("-"),
                &Start::Saved(initrd),
                Path::new(cwd),
                Path::new(run),
            )
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
        };
        let one = args("/home/dev/linux", "/cache/runs/17-1-0");
        let two = args("/tmp/elsewhere", "/cache/runs/18-1-0");
        let differ: Vec<(&String, &String)> =
            one.iter().zip(&two).filter(|(a, b)| a != b).collect();
        assert_eq!(
            differ.len(),
            2,
            "only the two shares' host paths: {differ:?}"
        );
        assert!(
            differ.iter().all(|(a, _)| a.starts_with("local,id=ml")),
            "{differ:?}"
        );
        assert!(one
            .windows(2)
            .any(|w| w[0] == "-initrd" && w[1] == initrd.to_str().unwrap()));
    }

    #[test]
    fn parameters_that_choose_init_boot_cold() {
        assert!(names_init("init=/bin/sleep -- 1000"));
        assert!(names_init("quiet rdinit=/x"));
        assert!(!names_init("watchdog_thresh=1 initcall_debug"));
    }

    #[test]
    fn tcg_trusts_the_hosts_tsc_at_the_hosts_clock() {
        let cpuinfo = "processor\t: 0\ncpu MHz\t\t: 2100.010\n";
        assert_eq!(
            tcg_tsc_params(cpuinfo),
            " tsc=reliable tsc_early_khz=2100010"
        );
        assert_eq!(tcg_tsc_params("processor\t: 0\n"), " tsc=reliable");
    }
}
