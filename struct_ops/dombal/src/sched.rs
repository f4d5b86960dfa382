//! Loading and attaching the dombal BPF scheduler through modless-loader:
//! open -> load (verifier) -> configure -> attach_ops -> stats / exit record.

use std::time::Duration;

use modless_loader::{ExitRecord, ExtensionOf, OpsLink, SkelStorage};

use crate::abi::DomStats;
use crate::error::DombalError;
use crate::sysfs;
use crate::topology::Topology;

#[cfg(modless_bpf_objects)]
modless_loader::skeleton!(mod bpf = "dombal");
// its `struct sched_ext_ops` map is typed by the declaration
#[cfg(modless_bpf_objects)]
sched_ext_ops_data!(decl: bpf);
#[cfg(modless_bpf_objects)]
use crate::decl;

/// The object, for what reads it whole (`dombal features`); empty when the
/// crate was built without clang or a kernel.
pub(crate) static OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dombal.bpf.o"));
/// What errors call the object.
pub(crate) const OBJECT_NAME: &str = "dombal.bpf.o";

/// The struct_ops map of the object.
const OPS_MAP: &str = "dombal_ops";

/// Which scheduler to load (one object, configured apart).
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
/// the kernel run it. Its object lives in the caller's [`SkelStorage`].
#[derive(Debug)]
pub struct Loaded<'obj> {
    skel: Skel<'obj>,
    topology: Topology,
}

#[cfg(modless_bpf_objects)]
type Skel<'obj> = modless_loader::LoadedSkel<bpf::DombalSkel<'obj>>;
/// Without the object there is nothing to load: never constructed.
#[cfg(not(modless_bpf_objects))]
#[derive(Debug)]
struct Skel<'obj>(std::convert::Infallible, std::marker::PhantomData<&'obj ()>);

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

impl<'obj> Loaded<'obj> {
    /// Opens `variant`'s object in `storage`, sets its configuration for
    /// `topology` and `t`, and loads it (the verifier runs here).
    pub fn load(
        storage: &'obj mut SkelStorage,
        variant: Variant,
        topology: &Topology,
        t: Tunables,
    ) -> Result<Self, DombalError> {
        check_free()?;
        Ok(Self {
            skel: open_load(storage, variant, topology, t)?,
            topology: topology.clone(),
        })
    }

    /// What ops.exit() recorded, once the scheduler has exited.
    pub fn exit_record(&self) -> Option<ExitRecord> {
        self.extension().exit_record()
    }

    /// The domains this scheduler was configured with.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Registers the struct_ops map: the kernel switches tasks to dombal
    /// until the link is dropped or [`Loaded::detach`]ed.
    pub fn attach(&self) -> Result<OpsLink, DombalError> {
        check_free()?;
        let link = match self.extension().attach_ops(OPS_MAP) {
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

/// Opens the object, sets its `.rodata` through the typed skeleton (and,
/// for the broken twin, its ops table's name and timeout), and loads it.
#[cfg(modless_bpf_objects)]
fn open_load<'obj>(
    storage: &'obj mut SkelStorage,
    variant: Variant,
    topology: &Topology,
    t: Tunables,
) -> Result<Skel<'obj>, DombalError> {
    let builder = bpf::DombalSkelBuilder::default();
    let mut open = modless_loader::open_skel(OBJECT_NAME, builder, storage)?;
    let ro = open
        .maps
        .rodata_data
        .as_deref_mut()
        .ok_or(DombalError::Missing {
            kind: "section",
            name: ".rodata".into(),
        })?;
    ro.nr_domains = topology.domains.len() as u32;
    ro.hyst_pct = t.hyst_pct;
    ro.balance_interval_ns = t.balance_interval.as_nanos() as u64;
    ro.time_slice_ns = t.slice.map_or(0, |s| s.as_nanos() as u64);
    for (cpu, dom) in topology.cpu_dom().into_iter().enumerate() {
        ro.cpu_dom[cpu] = dom;
    }
    if let Variant::Broken { starve_tgid } = variant {
        ro.starve_tgid = starve_tgid;
        decl::SchedExtOpsData::from(open.struct_ops.dombal_ops_mut())
            .set_timeout_ms(2000) // the watchdog test waits for this
            .set_name(variant.ops_name())?;
    }
    Ok(modless_loader::load_skel(OBJECT_NAME, open)?)
}

#[cfg(not(modless_bpf_objects))]
fn open_load<'obj>(
    _: &'obj mut SkelStorage,
    _: Variant,
    _: &Topology,
    _: Tunables,
) -> Result<Skel<'obj>, DombalError> {
    Err(DombalError::NotBuilt(OBJECT_NAME))
}

#[cfg(modless_bpf_objects)]
impl Loaded<'_> {
    /// The loaded object (program stats, maps, globals).
    pub fn extension(&self) -> ExtensionOf<'_> {
        self.skel.extension()
    }

    /// Per-domain statistics, as the balancer last published them (read
    /// from the object's mapped `.bss`, typed by the skeleton).
    pub fn dom_stats(&self) -> Result<Vec<DomStats>, DombalError> {
        let bss = self
            .skel
            .maps
            .bss_data
            .as_deref()
            .ok_or(DombalError::Missing {
                kind: "section",
                name: ".bss".into(),
            })?;
        let n = self.topology.domains.len();
        Ok(bss.dom_stats[..n].iter().map(DomStats::from).collect())
    }
}

#[cfg(not(modless_bpf_objects))]
impl Loaded<'_> {
    /// The loaded object (program stats, maps, globals).
    pub fn extension(&self) -> ExtensionOf<'_> {
        match self.skel.0 {}
    }

    /// Per-domain statistics, as the balancer last published them.
    pub fn dom_stats(&self) -> Result<Vec<DomStats>, DombalError> {
        match self.skel.0 {}
    }
}

#[cfg(modless_bpf_objects)]
impl From<&bpf::types::dombal_dom_stats> for DomStats {
    fn from(s: &bpf::types::dombal_dom_stats) -> Self {
        Self {
            load: s.load,
            runnable_weight: s.runnable_weight,
            nr_tasks: s.nr_tasks,
            enqueued: s.enqueued,
            dispatched_local: s.dispatched_local,
            stolen: s.stolen,
            direct: s.direct,
            migrated_in: s.migrated_in,
            migrated_out: s.migrated_out,
            rehomed: s.rehomed,
            balance_rounds: s.balance_rounds,
        }
    }
}

// Every field of the C struct is copied above.
#[cfg(modless_bpf_objects)]
const _: () =
    assert!(std::mem::size_of::<bpf::types::dombal_dom_stats>() == std::mem::size_of::<DomStats>());
