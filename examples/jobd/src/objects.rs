//! The objects the kernel must refuse (bpf/bad_*.bpf.c), opened and loaded
//! through modless-loader (its errors carry libbpf's log, the verifier's
//! among it); the policies load through their skeletons (`jobd_demo`).

use anyhow::Context;
use modless_loader::{Extension, OpenExtension};

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

pub const BAD_KFUNC_IN_OP: Embedded = object!("bad_kfunc_in_op");
pub const BAD_USE_AFTER_RELEASE: Embedded = object!("bad_use_after_release");
pub const BAD_WRITE: Embedded = object!("bad_write");
pub const BAD_SLEEPABLE: Embedded = object!("bad_sleepable");
pub const BAD_MISSING_REQUIRED: Embedded = object!("bad_missing_required");
pub const BAD_NAME: Embedded = object!("bad_name");

pub fn open((name, bytes): Embedded) -> anyhow::Result<OpenExtension> {
    anyhow::ensure!(
        !bytes.is_empty(),
        "{name}.bpf.o is an empty placeholder: jobd was built without clang or a target \
         kernel; run scripts/run-qemu.sh once (it builds the kernel), then build again"
    );
    OpenExtension::bytes(&format!("{name}.bpf.o"), bytes)
        .with_context(|| format!("opening {name}.bpf.o"))
}

/// Opens and loads; a rejection carries libbpf's log, verifier output included.
pub fn load(obj: Embedded) -> anyhow::Result<Extension> {
    Ok(open(obj)?.load()?)
}
