//! Loading and attaching the dombal BPF scheduler through modless-loader:
//! open -> load (verifier) -> configure -> attach_ops -> stats / exit record.

use std::time::Duration;

use modless_loader::{ExitRecord, Extension, OpenExtension, OpsLink};

use crate::abi::{bytes_of, from_bytes, Config, DomStats, Pod};
use crate::error::DombalError;
use crate::sysfs;
use crate::topology::Topology;

static DOMBAL_OBJ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dombal.bpf.o"));
static BROKEN_OBJ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dombal_broken.bpf.o"));

/// The struct_ops map both objects define.
const OPS_MAP: &str = "dombal_ops";

/// Which BPF object to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The balancer.
    Dombal,
    /// The deliberately broken twin: never dispatches any task of
    /// `starve_tgid`, with a 2 s watchdog timeout (for the watchdog test).
    Broken { starve_tgid: i32 },
}

impl Variant {
    /// `ops.name`, as `/sys/kernel/sched_ext/root/ops` shows it.
    pub fn ops_name(self) -> &'static str {
        match self {
            Self::Dombal => "dombal",
            Self::Broken { .. } => "dombal_broken",
        }
    }

    pub(crate) fn object_name(self) -> &'static str {
        match self {
            Self::Dombal => "dombal.bpf.o",
            Self::Broken { .. } => "dombal_broken.bpf.o",
        }
    }

    pub(crate) fn object(self) -> &'static [u8] {
        match self {
            Self::Dombal => DOMBAL_OBJ,
            Self::Broken { .. } => BROKEN_OBJ,
        }
    }
}

/// Tunables; the defaults suit a small guest.
#[derive(Debug, Clone, Copy)]
pub struct Tunables {
    /// Balance when (max - min) exceeds this percentage of the mean load.
    pub hyst_pct: u32,
    /// How often the BPF timer balances.
    pub balance_interval: Duration,
    /// Time slice; `None` is sched_ext's default (20 ms).
    pub slice: Option<Duration>,
}

impl Default for Tunables {
    fn default() -> Self {
        Self {
            hyst_pct: 20,
            balance_interval: Duration::from_millis(100),
            slice: None,
        }
    }
}

/// A loaded (verified) and configured scheduler; [`Loaded::attach`] makes
/// the kernel run it.
#[derive(Debug)]
pub struct Loaded {
    ext: Extension,
    variant: Variant,
    topology: Topology,
}

/// Fails unless sched_ext exists and no scheduler is attached.
pub fn check_free() -> Result<(), DombalError> {
    if !sysfs::present() {
        return Err(DombalError::NoSchedExt);
    }
    match sysfs::state().as_deref() {
        Some("disabled") => Ok(()),
        other => Err(DombalError::AlreadyAttached {
            ops: sysfs::root_ops().unwrap_or_else(|| "unknown".into()),
            state: other.unwrap_or("unknown").into(),
        }),
    }
}

impl Loaded {
    /// Opens and loads `variant`'s object for `topology` (the verifier runs
    /// here) and fills its configuration maps.
    pub fn load(variant: Variant, topology: &Topology, t: Tunables) -> Result<Self, DombalError> {
        check_free()?;
        if variant.object().is_empty() {
            return Err(DombalError::NotBuilt(variant.object_name()));
        }
        let ext = OpenExtension::bytes(variant.object_name(), variant.object())?.load()?;
        let loaded = Self {
            ext,
            variant,
            topology: topology.clone(),
        };
        loaded.configure(t)?;
        Ok(loaded)
    }

    fn configure(&self, t: Tunables) -> Result<(), DombalError> {
        let cfg = Config {
            nr_doms: self.topology.domains.len() as u32,
            hyst_pct: t.hyst_pct,
            balance_interval_ns: t.balance_interval.as_nanos() as u64,
            slice_ns: t.slice.map_or(0, |s| s.as_nanos() as u64),
            starve_tgid: match self.variant {
                Variant::Broken { starve_tgid } => starve_tgid,
                Variant::Dombal => 0,
            },
            pad: 0,
        };
        self.update("config", &0u32, &cfg)?;
        for (cpu, dom) in self.topology.cpu_dom().iter().enumerate() {
            self.update("cpu_dom", &(cpu as u32), dom)?;
        }
        Ok(())
    }

    fn update<K: Pod, V: Pod>(&self, map: &str, key: &K, value: &V) -> Result<(), DombalError> {
        Ok(self.ext.map_update(map, bytes_of(key), bytes_of(value))?)
    }

    fn lookup<T: Pod>(&self, map: &str, key: u32) -> Result<T, DombalError> {
        let bytes = self
            .ext
            .map_lookup(map, &key.to_ne_bytes())?
            .ok_or_else(|| DombalError::Missing {
                kind: "map entry in",
                name: map.into(),
            })?;
        from_bytes(&bytes).ok_or_else(|| DombalError::Missing {
            kind: "value layout of map",
            name: map.into(),
        })
    }

    /// The loaded object (program stats, maps, globals).
    pub fn extension(&self) -> &Extension {
        &self.ext
    }

    /// Per-domain statistics, as the balancer last published them.
    pub fn dom_stats(&self) -> Result<Vec<DomStats>, DombalError> {
        (0..self.topology.domains.len() as u32)
            .map(|d| self.lookup("dom_stats", d))
            .collect()
    }

    /// What ops.exit() recorded, once the scheduler has exited.
    pub fn exit_record(&self) -> Option<ExitRecord> {
        self.ext.exit_record()
    }

    /// The domains this scheduler was configured with.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Registers the struct_ops map: the kernel switches tasks to dombal
    /// until the link is dropped or [`Loaded::detach`]ed.
    pub fn attach(&self) -> Result<OpsLink, DombalError> {
        check_free()?;
        let link = match self.ext.attach_ops(OPS_MAP) {
            Ok(link) => link,
            // EBUSY: another scheduler won the race since check_free().
            Err(e) => {
                check_free()?;
                return Err(e.into());
            }
        };
        // The kernel reports enable-time failures through ops.exit(), not
        // through the attach result.
        if let Some(exit) = self.exit_record() {
            drop(link);
            return Err(DombalError::EnableFailed(Box::new(exit)));
        }
        Ok(link)
    }

    /// Detaches `link`, waits for sched_ext to read `disabled`, and returns
    /// the exit record (an orderly detach reads `UNREG`).
    pub fn detach(&self, link: OpsLink) -> Result<Option<ExitRecord>, DombalError> {
        link.detach()?;
        sysfs::wait_state("disabled", Duration::from_secs(5));
        Ok(self.exit_record())
    }
}
