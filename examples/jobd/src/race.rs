//! select_domain called on every CPU while policies attach, hot-swap and
//! detach: every call is answered by the policy attached at that moment or
//! by the default, each policy answer is one call of that policy, and the
//! exit op runs once per swap and detach (the harness fails the test on a
//! kernel splat). jobd's race callers are kthreads, one bound to each CPU.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use jobd_demo::race::RaceSkelBuilder;
use modless_loader::{load_skel, open_skel, SkelStorage};

use crate::{check, procfs};

/// 10 rounds of attach, 100 swaps, detach: 1000 swaps, 10 detaches.
const ROUNDS: u64 = 10;
const SWAPS: u64 = 100;

/// The `race:` line of /proc/jobd: what the callers were answered.
#[derive(Debug, Default)]
struct Race {
    cpus: u64,
    idle_cpus: u64,
    default: u64,
    a: u64,
    b: u64,
    other: u64,
}

fn last_race() -> anyhow::Result<Race> {
    let p = procfs::pairs("race")?;
    let f = |k: &str| procfs::number::<u64>(&p, k);
    Ok(Race {
        cpus: f("cpus")?,
        idle_cpus: f("idle_cpus")?,
        default: f("default")?,
        a: f("a")?,
        b: f("b")?,
        other: f("other")?,
    })
}

#[cfg(modless_bpf_objects)]
pub fn run() -> anyhow::Result<()> {
    // SAFETY: sysconf has no preconditions.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    ensure!(
        online >= 2,
        "a race needs at least 2 CPUs (qemu/suites/jobd-race.toml boots 4); this guest has {online}"
    );
    let mut storage = SkelStorage::uninit();
    let open = open_skel("race.bpf.o", RaceSkelBuilder::default(), &mut storage)?;
    let skel = load_skel("race.bpf.o", open)?;
    let obj = skel.extension();
    let (race_a, race_b) = (&skel.maps.race_a, &skel.maps.race_b);
    procfs::command("race start")?;
    let t0 = Instant::now();
    let attached = (|| -> anyhow::Result<()> {
        for _ in 0..ROUNDS {
            let mut link = obj.attach_ops(race_a)?;
            for i in 0..SWAPS {
                link.swap(&obj, if i % 2 == 0 { race_b } else { race_a })?;
            }
            drop(link);
            // a moment with nothing attached: the default answers
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    })();
    let took = t0.elapsed();
    procfs::command("race stop")?;
    attached?;
    let r = last_race()?;
    // the callers stopped: nothing writes .bss while it is read
    let bss = skel.maps.bss_data.as_deref().context("no .bss")?;
    let (a_calls, b_calls) = (bss.a_calls, bss.b_calls);
    let (swap_exits, unreg_exits) = (bss.swap_exits, bss.unreg_exits);
    println!(
        "  {} swaps and {ROUNDS} detaches in {took:.1?} with callers on {} CPUs: \
         answered by the default {}, race_a {} ({a_calls} calls), race_b {} ({b_calls} calls), \
         otherwise {}; exits: {swap_exits} swap, {unreg_exits} unreg",
        ROUNDS * SWAPS,
        r.cpus,
        r.default,
        r.a,
        r.b,
        r.other
    );
    check(
        &format!("a caller ran on each of the {online} CPUs"),
        r.cpus == online as u64 && r.idle_cpus == 0,
    )?;
    check(
        "every call was answered by a policy or the default",
        r.other == 0 && r.default > 0 && r.a > 0 && r.b > 0,
    )?;
    check(
        "each policy answer was one call of that policy",
        r.a == a_calls && r.b == b_calls,
    )?;
    check(
        "the exit op ran once per swap and once per detach",
        swap_exits == ROUNDS * SWAPS && unreg_exits == ROUNDS,
    )?;
    let after = procfs::Stats::read()?;
    check(
        "detached: the default is in charge",
        after.policy == "default",
    )
}

#[cfg(not(modless_bpf_objects))]
pub fn run() -> anyhow::Result<()> {
    crate::no_skeletons()
}
