//! dombal's limits (bpf/dombal.h) and the per-domain figures it publishes.

/// Mirrors `DOMBAL_MAX_DOMS`.
pub const MAX_DOMS: usize = 8;
/// Mirrors `DOMBAL_MAX_CPUS` (the skeleton's `cpu_dom` has as many entries).
pub const MAX_CPUS: usize = 64;
/// Mirrors `DOMBAL_LOAD_SHIFT`: an always-runnable task of weight w has load w << 10.
pub const LOAD_SHIFT: u32 = 10;

/// `struct dombal_dom_stats`, copied field by field from the skeleton's
/// type (so a field renamed in C fails to compile).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DomStats {
    pub load: u64,
    pub runnable_weight: u64,
    pub nr_tasks: u64,
    pub enqueued: u64,
    pub dispatched_local: u64,
    pub stolen: u64,
    pub direct: u64,
    pub migrated_in: u64,
    pub migrated_out: u64,
    pub rehomed: u64,
    pub balance_rounds: u64,
}
