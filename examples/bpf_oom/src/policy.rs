//! The policies build.rs compiled, loaded through modless-loader as a Rust
//! program embedding modless would.

use anyhow::Context;
use modless_loader::{Extension, LoadError, OpenExtension, OpsLink};

/// An object build.rs compiled from bpf/NAME.bpf.c.
macro_rules! object {
    ($name:literal) => {
        concat!(env!("OUT_DIR"), "/", $name, ".bpf.o")
    };
}

pub const LARGEST_LEAF: &str = object!("largest_leaf");
pub const CLAIM_ONLY: &str = object!("claim_only");
pub const TRIGGER: &str = object!("trigger");
pub const BAD_OTHER_TYPE: &str = object!("bad_other_type");
pub const BAD_REENTER: &str = object!("bad_reenter");
pub const BAD_NO_HANDLER: &str = object!("bad_no_handler");

pub fn open(path: &str) -> Result<Extension, LoadError> {
    OpenExtension::file(path)?.load()
}

/// A loaded policy and its ops map, attached.
#[derive(Debug)]
pub struct Policy {
    pub ext: Extension,
    pub map: &'static str,
    pub link: Option<OpsLink>,
}

impl Policy {
    pub fn load(path: &str, map: &'static str) -> anyhow::Result<Self> {
        let ext = open(path).with_context(|| format!("loading {path}"))?;
        Ok(Self {
            ext,
            map,
            link: None,
        })
    }

    pub fn attach(&mut self) -> Result<(), LoadError> {
        self.link = Some(self.ext.attach_ops(self.map)?);
        Ok(())
    }

    pub fn detach(&mut self) -> anyhow::Result<()> {
        if let Some(l) = self.link.take() {
            l.detach()?;
        }
        Ok(())
    }

    pub fn counter(&self, var: &str) -> anyhow::Result<u64> {
        Ok(self.ext.global_u64(var)?)
    }

    /// Runs the object's `SEC("syscall")` program `name` once.
    pub fn run(&self, name: &str) -> Result<(), LoadError> {
        self.ext.test_run(name).map(drop)
    }
}
