//! Every raw libbpf call of modless (and the module syscalls), each
//! behind a safe function.
//!
//! libbpf-rs's safe API covers opening, programs, maps, links and the
//! object's BTF; this module holds only what it lacks (and the calls whose
//! errno the loader's error classification needs). Handles come in
//! as libbpf-rs borrows, so nothing here outlives the object it reads, and
//! no function here takes a raw pointer from its caller.

mod image;
mod info;
mod kmod;
mod link;
mod object;
mod print;

pub(crate) use image::{open_btf, read_live, value_type_id, write_live};
pub(crate) use info::{enable_run_stats, prog_info};
pub(crate) use kmod::{delete_module, finit_module};
pub(crate) use link::{attach_struct_ops, update_map};
pub(crate) use object::{attach_cgroup, attach_program, load};
pub(crate) use print::install_print;

/// A libbpf return value: `>= 0` as is, else the errno it carries.
fn check(ret: i32) -> Result<i32, i32> {
    if ret < 0 {
        Err(-ret)
    } else {
        Ok(ret)
    }
}

/// errno of the libbpf call just made; EINVAL if libbpf left none.
fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL)
}
