//! Runs in the guest: load an fentry program, make N getpgid() calls, and
//! check that the program saw exactly those N calls from this process.

use anyhow::{bail, Context};
use libbpf_rs::{MapCore, MapFlags, ObjectBuilder};

static OBJ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/smoke.bpf.o"));
const CALLS: u64 = 100;

fn main() -> anyhow::Result<()> {
    let obj = ObjectBuilder::default()
        .open_memory(OBJ)
        .context("opening smoke.bpf.o")?
        .load()
        .context("loading smoke.bpf.o (the verifier log is above)")?;
    let prog = obj
        .progs_mut()
        .find(|p| p.name() == "count_getpgid")
        .context("program count_getpgid missing from the object")?;
    let _link = prog
        .attach()
        .context("attaching fentry/__x64_sys_getpgid")?;

    for _ in 0..CALLS {
        // SAFETY: getpgid(0) has no memory effects.
        unsafe { libc::getpgid(0) };
    }
    let map = obj
        .maps()
        .find(|m| m.name() == "calls")
        .context("map calls missing")?;
    let key = std::process::id().to_ne_bytes();
    let seen = match map
        .lookup(&key, MapFlags::ANY)
        .context("reading map calls")?
    {
        Some(v) => u64::from_ne_bytes(v[..8].try_into().context("short map value")?),
        None => 0,
    };
    println!(
        "fentry/__x64_sys_getpgid saw {seen} of {CALLS} calls from pid {}",
        std::process::id()
    );
    if seen != CALLS {
        bail!("expected exactly {CALLS} calls, the program counted {seen}");
    }
    Ok(())
}
