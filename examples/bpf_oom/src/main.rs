//! The BPF OOM example's tests, run inside the QEMU guest on the kernel with
//! examples/bpf_oom/patches applied (examples/bpf_oom/suite.toml). Each
//! scenario builds its own cgroup v2 tree, OOMs it, and checks who died.
//!
//! Usage: bpf-oom-guest-tests SCENARIO
//!   (victims | claim | declare | exiting | verifier | exclusive | churn)

mod cgroup;
mod hog;
mod kmsg;
mod policy;

use anyhow::{bail, ensure};
use modless_guest_test::check;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cgroup::Cgroup;
use hog::{End, Hog};
use modless_loader::LoadError;
use policy::Policy;

/// How long a resolved OOM may take under TCG on a busy host; a hang is
/// what this catches, not slowness.
const PROGRESS: Duration = Duration::from_secs(120);

fn main() -> anyhow::Result<()> {
    modless_guest_test::main(&[
        ("victims", victims),
        ("claim", claim),
        ("declare", declare),
        ("exiting", exiting),
        ("verifier", verifier),
        ("exclusive", exclusive),
        ("churn", churn),
    ])
}

/// The v2 selftest's shape: an 80 MiB cgroup with a 40 MiB leaf ("big",
/// oom_score_adj 0) and a 20 MiB one ("small", oom_score_adj 1000). The
/// kernel's heuristic picks small (its adj outweighs its size); a
/// largest-leaf rule picks big. Either kill leaves room for "grow".
struct Scene {
    parent: Cgroup,
    big: Cgroup,
    small: Cgroup,
    grow: Cgroup,
    big_hog: Hog,
    small_hog: Hog,
    /// The kernel log before anything in the scene could OOM.
    log: kmsg::Mark,
}

/// Who died in a scene, the kills each leaf's memory.events counted, and
/// the pids of the kernel's "Killed process" lines in order.
#[derive(Debug)]
struct Outcome {
    big_killed: bool,
    small_killed: bool,
    big_kills: u64,
    small_kills: u64,
    grow_kills: u64,
    kills: Vec<i32>,
    big_pid: i32,
    small_pid: i32,
}

/// The scene's two candidate victims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    Big,
    Small,
}

impl Victim {
    fn name(self) -> &'static str {
        match self {
            Victim::Big => "big",
            Victim::Small => "small",
        }
    }

    fn other(self) -> Victim {
        match self {
            Victim::Big => Victim::Small,
            Victim::Small => Victim::Big,
        }
    }
}

impl Outcome {
    fn pid(&self, v: Victim) -> i32 {
        match v {
            Victim::Big => self.big_pid,
            Victim::Small => self.small_pid,
        }
    }

    fn killed(&self, v: Victim) -> bool {
        match v {
            Victim::Big => self.big_killed,
            Victim::Small => self.small_killed,
        }
    }

    /// oom_kill in the victim's leaf memory.events.
    fn cgroup_kills(&self, v: Victim) -> u64 {
        match v {
            Victim::Big => self.big_kills,
            Victim::Small => self.small_kills,
        }
    }
}

/// How many times the scene's OOM could run the killer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ooms {
    /// One out_of_memory() call (bpf_out_of_memory()): one kill at most.
    One,
    /// A faulting task's charge, retried while the victim exits.
    Retried,
}

/// `victim` was the first to die, and grow (the task that overflowed, adj
/// -500) lived. A second kill can only follow a retried charge, and is the
/// kernel's race, not the policy's: exit_mmap() sets MMF_OOM_SKIP, hiding
/// the exiting victim from the OOM killer, before tlb_finish_mmu() frees
/// (and uncharges) its pages (mm/mmap.c), so a retry in that window OOMs
/// again and the killer moves on. It is reported; with one kill, the other
/// candidate must have lived.
fn killed_first(o: &Outcome, victim: Victim, killer: &str, ooms: Ooms) -> anyhow::Result<()> {
    let (name, pid) = (victim.name(), o.pid(victim));
    check(
        &format!(
            "{killer} killed {name} (pid {pid}) first and its memory.events counts it; grow was not killed"
        ),
        o.kills.first() == Some(&pid)
            && o.killed(victim)
            && o.cgroup_kills(victim) >= 1
            && o.grow_kills == 0,
    )?;
    let other = victim.other();
    if ooms == Ooms::Retried && o.kills.len() > 1 {
        println!(
            "[note] a retried charge OOMed again while {name} exited (kills in order: {:?}): \
             the kernel's MMF_OOM_SKIP-before-uncharge window in exit_mmap()",
            o.kills
        );
        return Ok(());
    }
    check(
        &format!(
            "one kill: {other} lived; oom_kill 1 in {name}'s memory.events, 0 in {other}'s",
            other = other.name()
        ),
        o.kills.len() == 1
            && !o.killed(other)
            && o.cgroup_kills(victim) == 1
            && o.cgroup_kills(other) == 0,
    )
}

impl Scene {
    fn new(name: &str) -> anyhow::Result<Self> {
        let parent = cgroup::limited(name, 80)?;
        let big = parent.child("big")?;
        let small = parent.child("small")?;
        let grow = parent.child("grow")?;
        cgroup::ensure_memory(&big)?;
        let big_hog = Hog::holding(big.procs_path(), 40, 0)?;
        let small_hog = Hog::holding(small.procs_path(), 20, 1000)?;
        println!(
            "  {}: 80 MiB; big: 40 MiB (pid {}, adj 0), small: 20 MiB (pid {}, adj 1000)",
            parent.path.display(),
            big_hog.pid,
            small_hog.pid
        );
        Ok(Self {
            parent,
            big,
            small,
            grow,
            big_hog,
            small_hog,
            log: kmsg::mark()?,
        })
    }

    fn outcome(&mut self) -> anyhow::Result<Outcome> {
        // a victim's SIGKILL is on its way; give it time to be reaped
        let _ = self.big_hog.wait(Duration::from_secs(2))?;
        let _ = self.small_hog.wait(Duration::from_secs(2))?;
        let o = Outcome {
            big_killed: self.big_hog.killed()?,
            small_killed: self.small_hog.killed()?,
            big_kills: self.big.oom_kills()?,
            small_kills: self.small.oom_kills()?,
            grow_kills: self.grow.oom_kills()?,
            kills: kmsg::killed_pids(&kmsg::since(&self.log)?),
            big_pid: self.big_hog.pid,
            small_pid: self.small_hog.pid,
        };
        println!("  {o:?}");
        Ok(o)
    }

    /// A 30 MiB process in "grow" (oom_score_adj -500) pushes the cgroup
    /// past 80 MiB: it must finish, so the OOM was resolved.
    fn overflow(&mut self) -> anyhow::Result<Outcome> {
        let mut grow = Hog::passing(self.grow.procs_path(), 30, -500)?;
        let end = grow.wait(PROGRESS)?;
        check(
            &format!("the process that overflowed the cgroup finished ({end:?}): no hang"),
            end == End::Exited(0),
        )?;
        self.outcome()
    }

    fn remove(self) -> anyhow::Result<()> {
        let Scene {
            parent,
            big_hog,
            small_hog,
            ..
        } = self;
        drop((big_hog, small_hog));
        cgroup::remove_tree(&parent.path)
    }
}

fn default_picks_small(o: &Outcome, ooms: Ooms) -> anyhow::Result<()> {
    killed_first(
        o,
        Victim::Small,
        "without a policy, the kernel's heuristic (oom_score_adj 1000)",
        ooms,
    )
}

/// The policy's victim differs from the kernel's, in one boot.
fn victims() -> anyhow::Result<()> {
    println!("- no policy attached");
    let mut s = Scene::new("bpf_oom_default")?;
    let o = s.overflow()?;
    s.remove()?;
    default_picks_small(&o, Ooms::Retried)?;

    println!("- largest_leaf attached");
    let mut p = Policy::load(policy::LARGEST_LEAF, "largest_leaf")?;
    p.attach()?;
    let mut s = Scene::new("bpf_oom_policy")?;
    let big_id = s.big.id()?;
    let big_pid = s.big_hog.pid;
    let ids = [&s.parent, &s.big, &s.small, &s.grow].map(|c| c.id());
    let log = kmsg::mark()?;
    let o = s.overflow()?;
    let report = kmsg::since(&log)?;
    let offlined_before = p.counter("offlined")?;
    s.remove()?;
    killed_first(
        &o,
        Victim::Big,
        "largest_leaf, by the largest leaf",
        Ooms::Retried,
    )?;
    let (ooms, kills) = (p.counter("ooms")?, p.counter("kills")?);
    check(
        &format!("the policy ran ({ooms} OOMs) and killed in big's cgroup ({kills} kills)"),
        ooms >= 1 && kills >= 1 && p.counter("victim_cgroup")? == big_id,
    )?;
    check(
        "the OOM report names the policy: \"BPF OOM policy largest_leaf: chose the victim\"",
        report.contains("BPF OOM policy largest_leaf: chose the victim"),
    )?;
    check(
        &format!("the kill line carries the policy's message and big's pid {big_pid}"),
        report.contains(&format!(
            "largest_leaf: the largest leaf memory cgroup: Killed process {big_pid} "
        )),
    )?;
    // css offline runs from a workqueue after rmdir: wait for all four
    let until = std::time::Instant::now() + PROGRESS;
    while p.counter("offlined")? < offlined_before + 4 && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    let ids: Vec<u64> = ids.into_iter().collect::<Result<_, _>>()?;
    let (n, last) = (
        p.counter("offlined")? - offlined_before,
        p.counter("offlined_id")?,
    );
    check(
        &format!(
            "the sleepable handle_cgroup_offline op ran for the 4 removed cgroups ({n} calls, last id {last})"
        ),
        n >= 4 && ids.contains(&last),
    )?;
    p.detach()
}

/// A policy that says handled but kills nothing does not stall the cgroup.
fn claim() -> anyhow::Result<()> {
    let mut p = Policy::load(policy::CLAIM_ONLY, "claim_only")?;
    p.attach()?;
    let mut s = Scene::new("bpf_oom_claim")?;
    let log = kmsg::mark()?;
    let o = s.overflow()?;
    let report = kmsg::since(&log)?;
    s.remove()?;
    let claims = p.counter("claims")?;
    check(
        &format!("claim_only ran and claimed the OOM ({claims} times)"),
        claims >= 1,
    )?;
    default_picks_small(&o, Ooms::Retried)?;
    check(
        "the kernel said it did not believe the claim, naming the policy by its declared default name",
        report.contains("BPF OOM policy bpf_oom claimed the OOM without choosing a victim"),
    )?;
    check(
        "the OOM report names the policy and says the kernel chose",
        report.contains("BPF OOM policy bpf_oom: chose none, the kernel's OOM killer chooses"),
    )?;
    p.detach()
}

/// bpf_out_of_memory() from a syscall program: the policy runs without any
/// allocation failing; with none attached the kernel's killer acts.
fn declare() -> anyhow::Result<()> {
    let trigger = Policy::load(policy::TRIGGER, "")?;
    let run = |cg: &Cgroup| declare_oom(&trigger, cg);

    let mut p = Policy::load(policy::LARGEST_LEAF, "largest_leaf")?;
    p.attach()?;
    let mut s = Scene::new("bpf_oom_declared")?;
    let r = run(&s.parent)?;
    let o = s.outcome()?;
    s.remove()?;
    check(
        &format!("bpf_out_of_memory() returned 1 (killed), got {r}"),
        r == 1,
    )?;
    killed_first(
        &o,
        Victim::Big,
        "largest_leaf, on the declared OOM,",
        Ooms::One,
    )?;
    p.detach()?;

    let mut s = Scene::new("bpf_oom_declared")?;
    let r = run(&s.parent)?;
    let o = s.outcome()?;
    s.remove()?;
    check(
        &format!("with no policy bpf_out_of_memory() returned 1, got {r}"),
        r == 1,
    )?;
    default_picks_small(&o, Ooms::One)
}

/// bpf_out_of_memory() on `cg` through the trigger program: its return.
fn declare_oom(trigger: &Policy, cg: &Cgroup) -> anyhow::Result<i64> {
    Ok(declare_ooms(trigger, cg, None)?.0)
}

/// bpf_out_of_memory() on `cg` twice in one program run when `victim` is
/// given, with whether that victim still held its memory (MMF_OOM_SKIP
/// clear) right after the second: (first, second, unreleased); the second
/// is -2 without a victim.
fn declare_ooms(
    trigger: &Policy,
    cg: &Cgroup,
    victim: Option<i32>,
) -> anyhow::Result<(i64, i64, bool)> {
    trigger
        .ext
        .set_global("cgroup_id", &cg.id()?.to_ne_bytes())?;
    trigger
        .ext
        .set_global("again", &[u8::from(victim.is_some())])?;
    trigger
        .ext
        .set_global("victim_pid", &victim.unwrap_or(0).to_ne_bytes())?;
    trigger.run("trigger_oom")?;
    Ok((
        trigger.counter("result")? as i64,
        trigger.counter("result_again")? as i64,
        trigger.counter("victim_unreleased")? == 1,
    ))
}

/// While a victim is still exiting, a second OOM in its domain waits for
/// it, as the kernel's select_bad_process() does, instead of asking the
/// policy again. One program run declares both OOMs back to back; the
/// victim (big) is pinned to a CPU a SCHED_FIFO spinner holds (RT
/// throttling off for the scene), so it cannot run its exit meanwhile.
///
/// Should big still have released its memory before the second OOM (the
/// OOM reaper, an exit the pinning did not stop), asking the policy again
/// is right, so an attempt counts only when the trigger saw big's
/// MMF_OOM_SKIP still clear right after the second OOM. Other attempts are
/// printed and repeated; none valid is a failure.
fn exiting() -> anyhow::Result<()> {
    // SAFETY: sysconf reads a constant.
    let cpus = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    ensure!(
        cpus >= 2,
        "this scenario needs 2 CPUs or more, the guest has {cpus}"
    );
    let cpu = cpus as usize - 1;
    hog::pin(0, 0, 0)?;
    // the task list dump is most of the first OOM's time on a serial console
    let _dump = Sysctl::set("vm/oom_dump_tasks", "0")?;
    let _rt = Sysctl::set("kernel/sched_rt_runtime_us", "-1")?;
    let trigger = Policy::load(policy::TRIGGER, "")?;
    let mut p = Policy::load(policy::LARGEST_LEAF, "largest_leaf")?;
    p.attach()?;
    for attempt in 1..=EXITING_ATTEMPTS {
        let (ooms_before, kills_before) = (p.counter("ooms")?, p.counter("kills")?);
        let mut s = Scene::new("bpf_oom_exiting")?;
        let spinner = Hog::spinning_fifo(cpu)?;
        hog::pin(s.big_hog.pid, cpu, 19)?;
        let (first, second, unreleased) = declare_ooms(&trigger, &s.parent, Some(s.big_hog.pid))?;
        let ooms = p.counter("ooms")? - ooms_before;
        let kills = p.counter("kills")? - kills_before;
        drop(spinner);
        let o = s.outcome()?;
        s.remove()?;
        if !unreleased {
            println!(
                "  [attempt {attempt}] big had released its memory by the second OOM (the \
                 policy was asked {ooms} times): not a test of the rule, once more"
            );
            continue;
        }
        println!("  [attempt {attempt}] big still held its memory after the second OOM");
        check(
            &format!("the first declared OOM returned 1 (killed), got {first}"),
            first == 1,
        )?;
        check(
            &format!(
                "the second, while big exits, returned 1 ({second}) and did not ask the policy \
                 (asked {ooms} times, {kills} kills)"
            ),
            second == 1 && ooms == 1 && kills == 1,
        )?;
        killed_first(&o, Victim::Big, "largest_leaf", Ooms::One)?;
        return p.detach();
    }
    bail!(
        "in {EXITING_ATTEMPTS} attempts big had always released its memory by the second OOM \
         (see the attempts above): the rule was not tested"
    )
}

/// Scenes `exiting` sets up before it gives up on a valid attempt.
const EXITING_ATTEMPTS: u32 = 4;

/// A /proc/sys value set for a scope, the old one written back on drop.
struct Sysctl {
    path: String,
    old: String,
}

impl Sysctl {
    fn set(name: &str, value: &str) -> anyhow::Result<Self> {
        let path = format!("/proc/sys/{name}");
        let old = std::fs::read_to_string(&path)?;
        std::fs::write(&path, value)?;
        Ok(Self { path, old })
    }
}

impl Drop for Sysctl {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, self.old.trim());
    }
}

fn refused(path: &str, what: &str, needle: &str) -> anyhow::Result<()> {
    match policy::open(path) {
        Ok(_) => check(&format!("{what}: refused at load (it loaded)"), false),
        Err(e) => {
            let msg = e.to_string();
            let ok = matches!(e, LoadError::VerifierRejected { .. }) && msg.contains(needle);
            if !ok {
                println!("{msg}");
            }
            check(
                &format!("{what}: the verifier refused it: \"{needle}\""),
                ok,
            )
        }
    }
}

/// `modless check --btf` of bpf_oom.toml against the running (patched) kernel.
fn check_btf() -> anyhow::Result<()> {
    let modless = std::env::current_exe()?.with_file_name("modless");
    let decl = concat!(env!("CARGO_MANIFEST_DIR"), "/bpf_oom.toml");
    let out = std::process::Command::new(&modless)
        .args(["check", "--btf", "/sys/kernel/btf/vmlinux", decl])
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("  {}", text.trim());
    check(
        "modless check --btf: bpf_oom.toml matches the running kernel",
        out.status.success(),
    )
}

/// The declaration's kfunc rules, enforced by the kernel at load.
fn verifier() -> anyhow::Result<()> {
    check_btf()?;
    refused(
        policy::BAD_OTHER_TYPE,
        "a tcp_congestion_ops program calling bpf_oom_kill_process()",
        "calling kernel function bpf_oom_kill_process is not allowed",
    )?;
    refused(
        policy::BAD_REENTER,
        "an OOM policy calling bpf_out_of_memory() (denied inside bpf_oom_ops)",
        "calling kernel function bpf_out_of_memory is not allowed",
    )?;
    let trigger = policy::open(policy::TRIGGER);
    check(
        "a syscall program calling bpf_out_of_memory() loads (the denial is per ops type)",
        trigger.is_ok(),
    )?;
    let log = kmsg::mark()?;
    let mut p = Policy::load(policy::BAD_NO_HANDLER, "bad_no_handler")?;
    let err = p.attach();
    let report = kmsg::since(&log)?;
    if let Err(e) = &err {
        println!("  {e}");
    }
    check(
        "bpf_oom_ops without handle_out_of_memory cannot attach (EINVAL)",
        matches!(&err, Err(e) if e.to_string().contains("os error 22")),
    )?;
    check(
        "the kernel says why: \"required op handle_out_of_memory is missing\"",
        report.contains("required op handle_out_of_memory is missing"),
    )
}

fn is_ebusy(r: &Result<(), LoadError>) -> bool {
    matches!(r, Err(LoadError::AlreadyAttached { source, .. }) if source.raw_os_error() == Some(libc::EBUSY))
}

/// One system-wide policy: a second attach is EBUSY with the loader's
/// explanation, and works once the first is gone.
fn exclusive() -> anyhow::Result<()> {
    let mut first = Policy::load(policy::LARGEST_LEAF, "largest_leaf")?;
    first.attach()?;
    let mut second = Policy::load(policy::CLAIM_ONLY, "claim_only")?;
    let r = second.attach();
    if let Err(e) = &r {
        println!("  {e}");
    }
    check("a second policy's attach fails with EBUSY", is_ebusy(&r))?;
    check(
        "the error says another instance is attached and what to do",
        matches!(&r, Err(e) if e.to_string().contains("another instance is already attached")
            && e.to_string().contains("detach it first")),
    )?;
    let again = first.ext.attach_ops("largest_leaf").map(drop);
    check(
        "a second link on the attached map fails with EBUSY too",
        is_ebusy(&again),
    )?;
    first.detach()?;
    let r = second.attach();
    check("after the first detaches, the second attaches", r.is_ok())?;
    second.detach()
}

/// OOMs without pause in a 16 MiB cgroup: each hog wants 32 MiB and dies,
/// each in a fresh leaf removed after it (so cgroups go offline meanwhile,
/// through the sleepable op).
fn oom_loop(parent: Cgroup, stop: Arc<AtomicBool>) -> anyhow::Result<u64> {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let leaf = parent.child(&format!("h{n}"))?;
        let mut h = Hog::passing(leaf.procs_path(), 32, 0)?;
        match h.wait(PROGRESS)? {
            End::Killed(libc::SIGKILL) => n += 1,
            e => bail!("a 32 MiB hog in a 16 MiB cgroup ended {e:?}, not OOM-killed"),
        }
        cgroup::remove_tree(&leaf.path)?;
    }
    Ok(n)
}

/// Attach and detach 100 times while OOMs keep coming: no splat (the
/// harness reads the console), every attach works, nothing leaks.
fn churn() -> anyhow::Result<()> {
    let dying_before = cgroup::dying()?;
    let parent = cgroup::limited("bpf_oom_churn", 16)?;
    let mut p = Policy::load(policy::LARGEST_LEAF, "largest_leaf")?;
    let stop = Arc::new(AtomicBool::new(false));
    let oomer = {
        let (cg, stop) = (
            Cgroup {
                path: parent.path.clone(),
            },
            stop.clone(),
        );
        std::thread::spawn(move || oom_loop(cg, stop))
    };
    let mut cycles = 0;
    // at least 100 cycles, and on until 20 OOMs went through them
    while cycles < 100 || (parent.oom_kills()? < 20 && cycles < 2000) {
        if let Err(e) = p.attach() {
            stop.store(true, Ordering::Relaxed);
            bail!("attach {} failed: {e}", cycles + 1);
        }
        std::thread::sleep(Duration::from_millis(20));
        p.detach()?;
        std::thread::sleep(Duration::from_millis(5));
        cycles += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let hog_kills = oomer.join().expect("the OOM loop does not panic")?;
    let kills = parent.oom_kills()?;
    let policy_kills = p.counter("kills")?;
    println!(
        "  {cycles} attach/detach cycles; {kills} OOM kills in the cgroup, {policy_kills} by the policy, {hog_kills} hogs killed"
    );
    check(
        &format!("{cycles} attaches all succeeded while OOMs kept happening ({kills} kills)"),
        cycles >= 100 && kills >= 20,
    )?;
    check(
        "the policy killed while attached and the kernel while detached",
        policy_kills >= 1 && policy_kills < kills,
    )?;
    check(
        "no process is left in the cgroup",
        parent.procs()?.is_empty(),
    )?;
    drop(p);
    cgroup::remove_tree(&parent.path)?;
    let dying = cgroup::wait_dying_at_most(dying_before, Duration::from_secs(60))?;
    check(
        &format!("no leaked cgroup or task: dying cgroups back to {dying_before} (now {dying})"),
        dying <= dying_before,
    )
}
