//! The BPF objects built from bpf/, and libbpf's log, kept for error reports.

use anyhow::Context;
use libbpf_rs::{Object, ObjectBuilder, OpenObject, PrintLevel};
use std::sync::Mutex;

/// An object built by build.rs: its name and its bytes.
pub type Embedded = (&'static str, &'static [u8]);

macro_rules! object {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".bpf.o")) as &[u8],
        )
    };
}

pub const POLICY: Embedded = object!("policy");
pub const TRACE: Embedded = object!("trace");
pub const BAD_KFUNC_IN_OP: Embedded = object!("bad_kfunc_in_op");
pub const BAD_USE_AFTER_RELEASE: Embedded = object!("bad_use_after_release");
pub const BAD_WRITE: Embedded = object!("bad_write");
pub const BAD_SLEEPABLE: Embedded = object!("bad_sleepable");
pub const BAD_MISSING_REQUIRED: Embedded = object!("bad_missing_required");
pub const BAD_NAME: Embedded = object!("bad_name");

static LOG: Mutex<String> = Mutex::new(String::new());

/// Routes libbpf's messages (the verifier log among them) into a buffer.
pub fn capture_libbpf_log() {
    libbpf_rs::set_print(Some((PrintLevel::Debug, |_, msg| {
        LOG.lock().unwrap().push_str(&msg)
    })));
}

/// Everything libbpf said since the last call.
pub fn take_log() -> String {
    std::mem::take(&mut *LOG.lock().unwrap())
}

pub fn open((name, bytes): Embedded) -> anyhow::Result<OpenObject> {
    anyhow::ensure!(
        !bytes.is_empty(),
        "{name}.bpf.o is an empty placeholder: jobd was built without clang or a target \
         kernel; run scripts/run-qemu.sh once (it builds the kernel), then build again"
    );
    ObjectBuilder::default()
        .open_memory(bytes)
        .with_context(|| format!("opening {name}.bpf.o"))
}

/// Opens and loads; a rejection carries libbpf's log, verifier output included.
pub fn load(obj: Embedded) -> anyhow::Result<Object> {
    take_log();
    let name = obj.0;
    open(obj)?
        .load()
        .map_err(|e| anyhow::anyhow!("loading {name}.bpf.o: {e}\n{}", take_log()))
}
