//! Rust mirrors of bpf/dombal.h, the types BPF and userspace share.

/// Mirrors `DOMBAL_MAX_DOMS`.
pub const MAX_DOMS: usize = 8;
/// Mirrors `DOMBAL_MAX_CPUS`.
pub const MAX_CPUS: usize = 64;
/// Mirrors `DOMBAL_LOAD_SHIFT`: an always-runnable task of weight w has load w << 10.
pub const LOAD_SHIFT: u32 = 10;

/// `struct dombal_config`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Config {
    pub nr_doms: u32,
    pub hyst_pct: u32,
    pub balance_interval_ns: u64,
    pub slice_ns: u64,
    pub starve_tgid: i32,
    pub pad: u32,
}

/// `struct dombal_dom_stats`.
#[repr(C)]
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

/// Plain-old-data that may be copied to and from map value bytes.
///
/// # Safety
/// Implementors are `repr(C)`, contain only integers and integer arrays, and
/// every bit pattern is a valid value.
pub unsafe trait Pod: Copy {}
// SAFETY: repr(C), integers only.
unsafe impl Pod for Config {}
// SAFETY: repr(C), integers only.
unsafe impl Pod for DomStats {}
// SAFETY: an integer.
unsafe impl Pod for u32 {}

/// The bytes of `v`, as a map update wants them.
pub fn bytes_of<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: T is Pod (no padding-dependent invariants, no pointers); the
    // slice covers exactly *v and borrows it.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
}

/// Reads a `T` from map value bytes; `None` when the size differs.
pub fn from_bytes<T: Pod>(bytes: &[u8]) -> Option<T> {
    if bytes.len() != std::mem::size_of::<T>() {
        return None;
    }
    // SAFETY: the length matches and any bit pattern is a valid T (Pod);
    // read_unaligned copes with the Vec's alignment.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_c_header() {
        assert_eq!(std::mem::size_of::<Config>(), 32);
        assert_eq!(std::mem::size_of::<DomStats>(), 11 * 8);
    }

    #[test]
    fn round_trips_through_bytes() {
        let c = Config {
            nr_doms: 2,
            hyst_pct: 20,
            balance_interval_ns: 5,
            slice_ns: 7,
            starve_tgid: -1,
            pad: 0,
        };
        let back: Config = from_bytes(bytes_of(&c)).unwrap();
        assert_eq!(back.starve_tgid, -1);
        assert_eq!(back.slice_ns, 7);
        assert!(from_bytes::<Config>(&[0u8; 3]).is_none());
    }
}
