//! Loading and attaching the dombal BPF scheduler: `Loaded` -> `Attached`.

use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use libbpf_rs::{Link, MapCore, MapFlags, Object, ObjectBuilder};

use crate::abi::{bytes_of, from_bytes, Config, DomStats, ExitInfoRaw};
use crate::error::DombalError;
use crate::exit::ExitInfo;
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

    fn object_name(self) -> &'static str {
        match self {
            Self::Dombal => "dombal.bpf.o",
            Self::Broken { .. } => "dombal_broken.bpf.o",
        }
    }

    fn object(self) -> &'static [u8] {
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

/// A loaded (verified) scheduler, not yet attached.
#[derive(Debug)]
pub struct Loaded {
    obj: Object,
    variant: Variant,
    topology: Topology,
}

/// An attached scheduler; dropping it detaches.
#[must_use = "dropping Attached detaches the scheduler"]
#[derive(Debug)]
pub struct Attached {
    link: Option<Link>,
    loaded: Loaded,
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
        let open = ObjectBuilder::default()
            .open_memory(variant.object())
            .map_err(DombalError::bpf("opening the dombal BPF object"))?;
        let obj = open
            .load()
            .map_err(DombalError::bpf("loading dombal (verifier)"))?;
        let loaded = Self {
            obj,
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

    fn map(&self, name: &str) -> Result<libbpf_rs::Map<'_>, DombalError> {
        self.obj
            .maps()
            .find(|m| m.name() == name)
            .ok_or_else(|| DombalError::Missing {
                kind: "map",
                name: name.into(),
            })
    }

    fn update<K: crate::abi::Pod, V: crate::abi::Pod>(
        &self,
        map: &str,
        key: &K,
        value: &V,
    ) -> Result<(), DombalError> {
        self.map(map)?
            .update(bytes_of(key), bytes_of(value), MapFlags::ANY)
            .map_err(DombalError::bpf(format!("writing map {map}")))
    }

    fn lookup<T: crate::abi::Pod>(&self, map: &str, key: u32) -> Result<T, DombalError> {
        let bytes = self
            .map(map)?
            .lookup(&key.to_ne_bytes(), MapFlags::ANY)
            .map_err(DombalError::bpf(format!("reading map {map}")))?
            .ok_or_else(|| DombalError::Missing {
                kind: "map entry in",
                name: map.into(),
            })?;
        from_bytes(&bytes).ok_or_else(|| DombalError::Missing {
            kind: "value layout of map",
            name: map.into(),
        })
    }

    /// Instructions the verifier processed, per program (`verified_insns`).
    pub fn verified_insns(&self) -> Result<Vec<(String, u32)>, DombalError> {
        let mut out = Vec::new();
        for prog in self.obj.progs() {
            let mut info = libbpf_sys::bpf_prog_info::default();
            let mut len = std::mem::size_of_val(&info) as u32;
            // SAFETY: the fd is a live program fd borrowed from `prog`; info
            // and len point at a correctly sized, writable bpf_prog_info.
            let ret = unsafe {
                libbpf_sys::bpf_prog_get_info_by_fd(prog.as_fd().as_raw_fd(), &mut info, &mut len)
            };
            if ret != 0 {
                return Err(DombalError::Bpf {
                    what: format!("querying program {:?}", prog.name()),
                    source: libbpf_rs::Error::from(std::io::Error::from_raw_os_error(-ret)),
                });
            }
            out.push((
                prog.name().to_string_lossy().into_owned(),
                info.verified_insns,
            ));
        }
        Ok(out)
    }

    /// Per-domain statistics, as the balancer last published them.
    pub fn dom_stats(&self) -> Result<Vec<DomStats>, DombalError> {
        (0..self.topology.domains.len() as u32)
            .map(|d| self.lookup("dom_stats", d))
            .collect()
    }

    /// The kernel's exit record, once the scheduler has exited.
    pub fn exit_info(&self) -> Result<Option<ExitInfo>, DombalError> {
        let raw: ExitInfoRaw = self.lookup("exit_info", 0)?;
        Ok(ExitInfo::from_raw(&raw))
    }

    /// The domains this scheduler was configured with.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Registers the struct_ops map: the kernel switches tasks to dombal.
    pub fn attach(mut self) -> Result<Attached, DombalError> {
        check_free()?;
        let link = {
            let mut map = self
                .obj
                .maps_mut()
                .find(|m| m.name() == OPS_MAP)
                .ok_or_else(|| DombalError::Missing {
                    kind: "struct_ops map",
                    name: OPS_MAP.into(),
                })?;
            match map.attach_struct_ops() {
                Ok(link) => link,
                // EBUSY: another scheduler won the race since check_free().
                Err(e) => {
                    check_free()?;
                    return Err(DombalError::bpf("attaching dombal_ops")(e));
                }
            }
        };
        // The kernel reports enable-time failures through ops.exit(), not
        // through the attach result.
        if let Some(exit) = self.exit_info()? {
            drop(link);
            return Err(DombalError::EnableFailed(Box::new(exit)));
        }
        Ok(Attached {
            link: Some(link),
            loaded: self,
        })
    }
}

impl Attached {
    /// The loaded object's queries (stats, exit info, verifier counts).
    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// The kernel's exit record if it has ejected the scheduler.
    pub fn exited(&self) -> Result<Option<ExitInfo>, DombalError> {
        self.loaded.exit_info()
    }

    /// Detaches, waits for sched_ext to read `disabled`, and returns the
    /// exit record (an orderly detach reads `UNREG`).
    pub fn detach(mut self) -> Result<Option<ExitInfo>, DombalError> {
        drop(self.link.take());
        sysfs::wait_state("disabled", Duration::from_secs(5));
        self.loaded.exit_info()
    }
}
