//! What libbpf-rs does not reach of an object: its BTF before load, a
//! map's BTF value type, and the live (mmap()ed) image of a loaded
//! `.bss`/`.data` map.

use libbpf_rs::btf::Btf;
use libbpf_rs::{AsRawLibbpf, OpenObject};

/// The BTF of an opened (not yet loaded) object, borrowed from it.
pub fn open_btf(obj: &OpenObject) -> Option<Btf<'_>> {
    let raw = obj.as_libbpf_object();
    // SAFETY: `obj` owns the bpf_object for the whole borrow, so the
    // reference (and the Btf tied to it) cannot outlive it.
    let obj_ref = unsafe { raw.as_ref() };
    Btf::from_bpf_object(obj_ref).ok().flatten()
}

/// The BTF type id of `map`'s value (for a struct_ops map before load,
/// the object's own struct type; for an internal map, its DATASEC).
pub fn value_type_id<M: AsRawLibbpf<LibbpfType = libbpf_sys::bpf_map>>(map: &M) -> u32 {
    // SAFETY: `map` is a live libbpf-rs map handle for the call; the getter
    // only reads the map.
    unsafe { libbpf_sys::bpf_map__btf_value_type_id(map.as_libbpf_object().as_ptr()) }
}

/// The live image of a loaded internal map: its start and length, or
/// `None` for a map libbpf did not mmap().
fn live_image(map: &libbpf_rs::Map<'_>) -> Option<(*mut u8, usize)> {
    let mut len = 0u64;
    // SAFETY: `map` is a map of a loaded object, live for the call; for an
    // mmap()able internal map libbpf returns its mapping and length.
    let data =
        unsafe { libbpf_sys::bpf_map__initial_value(map.as_libbpf_object().as_ptr(), &mut len) };
    (!data.is_null()).then_some((data.cast(), usize::try_from(len).ok()?))
}

/// Copies `out.len()` bytes at `offset` of `map`'s live image; `false` when
/// the map has none or the range is outside it.
pub fn read_live(map: &libbpf_rs::Map<'_>, offset: usize, out: &mut [u8]) -> bool {
    let Some((data, len)) = live_image(map) else {
        return false;
    };
    if !fits(offset, out.len(), len) {
        return false;
    }
    // SAFETY: the range is inside the mapping, which lives as long as the
    // loaded object `map` borrows. The program may write it concurrently,
    // so it is copied out byte-wise, never referenced.
    unsafe { std::ptr::copy_nonoverlapping(data.add(offset), out.as_mut_ptr(), out.len()) };
    true
}

/// Writes `value` at `offset` of `map`'s live image (`.bss`/`.data` are
/// mapped read-write); `false` as for [`read_live`].
pub fn write_live(map: &libbpf_rs::Map<'_>, offset: usize, value: &[u8]) -> bool {
    let Some((data, len)) = live_image(map) else {
        return false;
    };
    if !fits(offset, value.len(), len) {
        return false;
    }
    // SAFETY: the range is inside the writable mapping, alive as above; the
    // source is `value.len()` bytes of a separate allocation.
    unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), data.add(offset), value.len()) };
    true
}

/// Whether `n` bytes at `offset` lie inside `len` bytes.
fn fits(offset: usize, n: usize, len: usize) -> bool {
    offset.checked_add(n).is_some_and(|end| end <= len)
}
