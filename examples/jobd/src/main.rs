//! jobd's tests, run inside the QEMU guest (qemu/suites/jobd.toml): the module
//! and its BTF, a BPF policy changing placement, hot-swap and detach, the
//! verifier enforcing jobd.toml, and tracing programs on the hook sites.
//!
//! Usage: jobd-guest-tests SCENARIO (module-btf | policy | verifier | hooks |
//! race | bench); `bench` is qemu/benches/dispatch.toml's, it asserts nothing.

// without the objects, only their fallback `run` is used
#[cfg_attr(not(modless_bpf_objects), allow(dead_code))]
mod bench;
mod idle;
mod objects;
mod procfs;
#[cfg_attr(not(modless_bpf_objects), allow(dead_code))]
mod race;

use anyhow::{bail, ensure, Context};
use jobd_demo::decl;
use modless_loader::kmod;
use procfs::Stats;
use std::path::Path;
use std::sync::Arc;

/// The module's name, as /sys/module shows it.
pub(crate) const MODULE: &str = "jobd";

fn main() -> anyhow::Result<()> {
    if !kmod::is_loaded(MODULE) {
        let ko = Path::new(env!("CARGO_MANIFEST_DIR")).join("module/jobd.ko");
        kmod::load(&ko, "").with_context(|| {
            format!(
                "loading {} (scripts/build-modules.sh builds it)",
                ko.display()
            )
        })?;
    }
    modless_guest_test::main(&[
        ("module-btf", module_btf),
        ("policy", policy),
        ("verifier", verifier),
        ("hooks", hooks),
        ("idle-sites", idle::run),
        ("race", race::run),
        ("bench", bench::run),
    ])
}

pub(crate) use modless_guest_test::check;

/// The module's BTF carries the generated ops type, kfuncs and hook sites.
fn module_btf() -> anyhow::Result<()> {
    let vmlinux = Arc::new(modless_btf::Btf::running_vmlinux()?);
    let btf = modless_btf::Btf::running_module(MODULE, vmlinux)?;
    let ops = btf.find_struct(decl::OPS_TYPE)?;
    for m in decl::OPS_CALLBACKS.iter().chain(&["name", "flags"]) {
        check(
            &format!("struct {} has member {m}", decl::OPS_TYPE),
            ops.member(m).is_some(),
        )?;
    }
    btf.find_struct(decl::OPS_VALUE_TYPE)
        .context("the struct_ops value type is registered")?;
    let kfuncs: Vec<String> = btf
        .kfuncs(modless_btf::TypeScope::Own)?
        .into_iter()
        .map(|f| f.name)
        .collect();
    // The bpf_kfunc decl tags come from the kernel's BTF tooling (6.13+ with
    // a recent pahole); where vmlinux has none either, check presence only.
    let untagged = !vmlinux_kfuncs_tagged()?;
    for k in decl::KFUNCS {
        if untagged {
            check(
                &format!("kfunc {k} is in jobd's BTF (this kernel does not tag kfuncs)"),
                btf.find_func(k).is_ok(),
            )?;
            continue;
        }
        check(
            &format!("kfunc {k} is tagged bpf_kfunc in jobd's BTF"),
            kfuncs.iter().any(|n| n == k),
        )?;
    }
    for h in decl::FENTRY_HOOKS.iter().chain(decl::FMOD_RET_HOOKS) {
        let f = btf.find_func(h)?;
        println!("  hook {}", f.proto_c);
    }
    let stub = format!("{}__select_domain", decl::OPS_TYPE);
    check(
        &format!("cfi stub {stub} is in BTF"),
        btf.find_func(&stub).is_ok(),
    )
}

/// Whether this kernel's own kfuncs carry the `bpf_kfunc` decl tag.
fn vmlinux_kfuncs_tagged() -> anyhow::Result<bool> {
    let vmlinux = modless_btf::Btf::running_vmlinux()?;
    Ok(!vmlinux.kfuncs(modless_btf::TypeScope::Own)?.is_empty())
}

/// Submits jobs, waits for them, and returns the stats before and after.
fn run_jobs(count: u32, cost: u32) -> anyhow::Result<(Stats, Stats)> {
    let before = Stats::read()?;
    procfs::submit(count, cost)?;
    procfs::drain()?;
    Ok((before, Stats::read()?))
}

/// Placement follows the attached policy; hot-swap and detach hand over
/// cleanly; the data members set from Rust are what the kernel runs with.
#[cfg(modless_bpf_objects)]
fn policy() -> anyhow::Result<()> {
    use decl::JobdOpsData;
    use jobd_demo::policy::PolicySkelBuilder;
    use modless_loader::{load_skel, open_skel, SkelStorage};
    const JOBS: u32 = 40;
    // policy.bpf.c's `enum policy_stat`
    const SELECT: usize = 0;
    const DONE: usize = 3;
    let (b, a) = run_jobs(JOBS, 50)?;
    let placed = a.placed_since(&b);
    let last = placed.len() - 1;
    println!("  default placement: {placed:?}");
    check("default policy is in charge", a.policy == "default")?;
    check(
        "the default spreads jobs over every domain",
        placed.iter().all(|&n| n > 0),
    )?;

    let mut storage = SkelStorage::uninit();
    let mut open = open_skel("policy.bpf.o", PolicySkelBuilder::default(), &mut storage)?;
    // pack_first's C leaves flags 0 and names it "pack_first"
    JobdOpsData::from(open.struct_ops.pack_first_mut())
        .set_name("first.rs")?
        .set_flags(decl::JOBD_OPS_F_STRICT)?;
    let skel = load_skel("policy.bpf.o", open)?;
    let obj = skel.extension();
    let stat = |i: usize| skel.maps.bss_data.as_deref().map_or(0, |b| b.stats[i]);
    // a map handle names the map of its own object only
    let mut other_storage = SkelStorage::uninit();
    let other = open_skel(
        "policy.bpf.o",
        PolicySkelBuilder::default(),
        &mut other_storage,
    )?;
    let other = load_skel("policy.bpf.o", other)?;
    let refused = obj.attach_ops(&other.maps.pack_first);
    check(
        "another object's map handle is refused",
        matches!(&refused, Err(e) if e.to_string().contains("another object's")),
    )?;
    drop((refused, other));
    let mut link = obj.attach_ops(&skel.maps.pack_first)?;
    let (b, a) = run_jobs(JOBS, 50)?;
    let placed = a.placed_since(&b);
    println!(
        "  pack_first placement: {placed:?}, ran: {:?}",
        a.ran_since(&b)
    );
    check(
        &format!("the name set from Rust shows in /proc/jobd ({})", a.policy),
        a.policy == "first.rs",
    )?;
    check(
        "the flags set from Rust reached the kernel",
        a.get("flags") == decl::JOBD_OPS_F_STRICT as i64,
    )?;
    check(
        "pack_first put every job in domain 0",
        placed[0] == i64::from(JOBS) && placed[1..].iter().all(|&n| n == 0),
    )?;
    check(
        "never_balance kept them there",
        a.ran_since(&b)[0] == i64::from(JOBS),
    )?;
    check(
        "BPF select_domain ran once per job",
        stat(SELECT) == u64::from(JOBS),
    )?;
    check(
        "BPF job_done ran once per job",
        stat(DONE) == u64::from(JOBS),
    )?;
    check("no job reference leaked", a.get("live") == 0)?;

    // Atomic replacement of the running table.
    link.swap(&obj, &skel.maps.pack_last)?;
    let (b, a) = run_jobs(JOBS, 50)?;
    let placed = a.placed_since(&b);
    println!("  after hot-swap to pack_last: {placed:?}");
    check("hot-swap: pack_last is in charge", a.policy == "pack_last")?;
    check(
        "pack_last put every job in the last domain",
        placed[last] == i64::from(JOBS),
    )?;
    check(
        "flags were copied by init_member",
        a.get("flags") == decl::JOBD_OPS_F_STRICT as i64,
    )?;
    let exit_stat = |kind: i32| stat(DONE + kind as usize);
    check(
        "the replaced instance's exit op got JOBD_EXIT_SWAP",
        exit_stat(decl::JOBD_EXIT_SWAP) == 1 && exit_stat(decl::JOBD_EXIT_UNREG) == 0,
    )?;
    let kind = |obj: &modless_loader::ExtensionOf<'_>| obj.exit_record().map(|r| r.kind);
    check(
        "the loader reads the exit record of the skeleton's object: swapped",
        kind(&obj) == Some(decl::JOBD_EXIT_SWAP.into()),
    )?;

    drop(link);
    let (b, a) = run_jobs(JOBS, 50)?;
    let placed = a.placed_since(&b);
    println!("  after detach: {placed:?}");
    check(
        "detach: the default takes over",
        a.policy == "default" && placed.iter().all(|&n| n > 0),
    )?;
    check(
        "every job ran exactly once",
        a.get("double_runs") == 0 && a.get("live") == 0,
    )?;
    check(
        "the detached instance's exit op got JOBD_EXIT_UNREG",
        exit_stat(decl::JOBD_EXIT_UNREG) == 1 && exit_stat(decl::JOBD_EXIT_EJECT) == 0,
    )?;
    check(
        "... and its exit record says so",
        kind(&obj) == Some(decl::JOBD_EXIT_UNREG.into()),
    )?;
    check(
        "the module refuses to unload while a policy object exists",
        kmod::unload(MODULE).is_err(),
    )
}

/// Each rule of jobd.toml that the kernel enforces, broken once; the test
/// checks the kernel's own words in the log, not just that loading failed.
fn verifier() -> anyhow::Result<()> {
    let cases: [(&str, objects::Embedded, &str); 4] = [
        (
            "a kfunc from an op not allowed to call it",
            objects::BAD_KFUNC_IN_OP,
            "calling kernel function bpf_jobd_job_acquire is not allowed",
        ),
        (
            "a released reference used again",
            objects::BAD_USE_AFTER_RELEASE,
            "invalid mem access",
        ),
        (
            "a write outside the allowlist",
            objects::BAD_WRITE,
            "no write support to jobd_job at off 16",
        ),
        (
            "a sleepable program on a non-sleepable op",
            objects::BAD_SLEEPABLE,
            "attach to unsupported member select_domain of struct jobd_ops",
        ),
    ];
    for (what, obj, needle) in cases {
        match objects::load(obj) {
            Ok(_) => bail!(
                "{what}: {}.bpf.o loaded, but the kernel must reject it",
                obj.0
            ),
            Err(e) => {
                let msg = format!("{e:#}");
                let line = msg.lines().find(|l| l.contains(needle)).unwrap_or("");
                println!("  {what}: {}", line.trim());
                check(&format!("rejected, log says {needle:?}"), !line.is_empty())?;
            }
        }
    }
    // A table without its required op is refused when libbpf writes it
    // into the kernel; jobd's validate says which op is missing.
    let err = match objects::load(objects::BAD_MISSING_REQUIRED) {
        Ok(obj) => obj
            .attach_ops("bad_missing")
            .err()
            .context("a table without select_domain attached")?
            .into(),
        Err(e) => e,
    };
    println!(
        "  a missing required op: {}",
        format!("{err:#}").lines().next().unwrap_or("")
    );
    check(
        "a missing required op is refused",
        format!("{err:#}").contains("Invalid argument"),
    )?;
    let log = kernel_log()?;
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("required op select_domain is missing"))
        .unwrap_or("");
    println!("  kernel log: {}", line.trim());
    check("the kernel log names the missing op", !line.is_empty())?;

    // init_member refuses a name outside [A-Za-z0-9_.] and says why.
    let err = match objects::load(objects::BAD_NAME) {
        Ok(obj) => obj
            .attach_ops("bad_name")
            .err()
            .context("a table named \"no spaces!\" attached")?
            .into(),
        Err(e) => e,
    };
    println!(
        "  a bad name: {}",
        format!("{err:#}").lines().next().unwrap_or("")
    );
    let log = kernel_log()?;
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("jobd_ops: name must be 1 to 15 of [A-Za-z0-9_.]"))
        .unwrap_or("");
    println!("  kernel log: {}", line.trim());
    check(
        "a bad policy name is refused, and the log says why",
        !line.is_empty(),
    )
}

/// The kernel's log buffer, as dmesg reads it (syslog(2)).
fn kernel_log() -> anyhow::Result<String> {
    const SYSLOG_ACTION_READ_ALL: libc::c_int = 3;
    let mut buf = vec![0u8; 1 << 20];
    // SAFETY: klogctl writes at most buf.len() bytes into buf.
    let n = unsafe {
        libc::klogctl(
            SYSLOG_ACTION_READ_ALL,
            buf.as_mut_ptr().cast(),
            buf.len() as libc::c_int,
        )
    };
    ensure!(
        n >= 0,
        "syslog(READ_ALL): {}",
        std::io::Error::last_os_error()
    );
    buf.truncate(n as usize);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// fmod_ret on the admission hook vetoes jobs of the cost set from Rust
/// through trace.bpf.o's typed skeleton; fentry on the completion hook sees
/// every job.
#[cfg(modless_bpf_objects)]
fn hooks() -> anyhow::Result<()> {
    use jobd_demo::trace::TraceSkelBuilder;
    use modless_loader::{load_skel, open_skel, SkelStorage};
    const VETO: u64 = 7;

    let mut storage = SkelStorage::uninit();
    let mut open = open_skel("trace.bpf.o", TraceSkelBuilder::default(), &mut storage)?;
    let rodata = open.maps.rodata_data.as_deref_mut().context("no .rodata")?;
    check(
        &format!("veto_cost is 13 as compiled ({})", rodata.veto_cost),
        rodata.veto_cost == 13,
    )?;
    rodata.veto_cost = VETO;
    let skel = load_skel("trace.bpf.o", open)?;
    let ext = skel.extension();
    let links = ext.attach_all()?;

    let (b, a) = run_jobs(25, 13)?;
    let completed = a.get("completed") - b.get("completed");
    check(
        &format!("veto_cost = {VETO} set from Rust: 25 cost-13 jobs admitted ({completed} ran)"),
        a.get("rejected") == b.get("rejected") && completed == 25,
    )?;
    let (b, a) = run_jobs(30, VETO as u32)?;
    let rejected = a.get("rejected") - b.get("rejected");
    check(
        &format!("fmod_ret on jobd_admit vetoed all 30 cost-{VETO} jobs (rejected {rejected})"),
        rejected == 30,
    )?;
    check(
        "vetoed jobs never ran",
        a.get("completed") == b.get("completed"),
    )?;
    // The jobs are drained: nothing writes .bss while it is read.
    let bss = skel.maps.bss_data.as_deref().context("no .bss")?;
    check(
        &format!("the program counted 30 vetoes in .bss ({})", bss.vetoed),
        bss.vetoed == 30,
    )?;
    check(
        &format!(
            "fentry on jobd_job_complete saw every one of the 25 ({})",
            bss.completions
        ),
        bss.completions == 25,
    )?;
    let counters: Vec<(String, u64)> = ext
        .counters()?
        .into_iter()
        .map(|c| (c.name, c.value))
        .collect();
    check(
        &format!("the declared counters, as `modless load --stats` reads them: {counters:?}"),
        counters == [("completions".into(), 25), ("vetoed".into(), 30)],
    )?;
    drop(links);
    let (_, after) = run_jobs(5, VETO as u32)?;
    check(
        "detached: the hook's default admits again",
        after.get("rejected") == a.get("rejected"),
    )
}

/// Without the objects, the scenarios that need their skeletons say why.
#[cfg(not(modless_bpf_objects))]
fn policy() -> anyhow::Result<()> {
    no_skeletons()
}

#[cfg(not(modless_bpf_objects))]
fn hooks() -> anyhow::Result<()> {
    no_skeletons()
}

#[cfg(not(modless_bpf_objects))]
pub(crate) fn no_skeletons() -> anyhow::Result<()> {
    bail!(
        "jobd's BPF objects and skeletons were not built (no clang or target kernel when jobd \
         was built): run scripts/run-qemu.sh once, then build again"
    )
}
