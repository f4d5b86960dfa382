//! The two struct_ops link calls libbpf-rs lacks from a shared handle:
//! attaching a map of a loaded object, and swapping a link's map.

use libbpf_rs::{AsRawLibbpf, Link, Map};

use crate::check;

/// Registers struct_ops map `map` (of a loaded object); the errno when
/// libbpf refuses.
pub fn attach_struct_ops(map: &Map<'_>) -> Result<Link, i32> {
    // SAFETY: `map` is a loaded map, live for the call; libbpf checks its
    // type and returns a new link or NULL with errno set.
    let raw = unsafe { libbpf_sys::bpf_map__attach_struct_ops(map.as_libbpf_object().as_ptr()) };
    crate::object::link(raw)
}

/// Atomically replaces the struct_ops map behind `link` with `map`.
pub fn update_map(link: &mut Link, map: &Map<'_>) -> Result<(), i32> {
    // SAFETY: both handles are live for the call; libbpf copies what it
    // needs (the map's fd) into the kernel and keeps no pointer to `map`.
    check(unsafe {
        libbpf_sys::bpf_link__update_map(
            link.as_libbpf_object().as_ptr(),
            map.as_libbpf_object().as_ptr(),
        )
    })?;
    Ok(())
}
