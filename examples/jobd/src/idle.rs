//! Idle hook sites skip the call: with nothing attached to a hook's
//! function, JOBD_HOOK() tests the function's ftrace site and returns (see
//! the generated jobd_bpf.h). A kprobe past that site (idle.bpf.c) counts
//! the function's runs without tracing its entry: none while it is idle,
//! every one while an fentry program traces it, none again after detach.

#[cfg(modless_bpf_objects)]
pub fn run() -> anyhow::Result<()> {
    use crate::{check, run_jobs};
    use jobd_demo::idle::IdleSkelBuilder;
    use modless_loader::{load_skel, open_skel, SkelStorage};
    const JOBS: u64 = 20;

    let mut storage = SkelStorage::uninit();
    let open = open_skel("idle.bpf.o", IdleSkelBuilder::default(), &mut storage)?;
    let skel = load_skel("idle.bpf.o", open)?;
    let ext = skel.extension();
    let _body = ext.attach_program("count_body")?;
    let counts = || {
        let bss = skel
            .maps
            .bss_data
            .as_deref()
            .expect("idle.bpf.o has a .bss");
        (bss.bodies, bss.entries)
    };

    let (b, a) = run_jobs(JOBS as u32, 0)?;
    let completed = a.get("completed") - b.get("completed");
    check(
        &format!(
            "idle: {completed} jobs completed, the hook's function ran {} times",
            counts().0
        ),
        completed == JOBS as i64 && counts() == (0, 0),
    )?;

    let entry = ext.attach_program("count_entry")?;
    run_jobs(JOBS as u32, 0)?;
    check(
        &format!("fentry attached: (runs, entries) {:?}", counts()),
        counts() == (JOBS, JOBS),
    )?;

    drop(entry);
    run_jobs(JOBS as u32, 0)?;
    check(
        &format!("detached: idle again, (runs, entries) stay {:?}", counts()),
        counts() == (JOBS, JOBS),
    )
}

#[cfg(not(modless_bpf_objects))]
pub fn run() -> anyhow::Result<()> {
    crate::no_skeletons()
}
