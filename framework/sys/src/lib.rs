//! Every raw libbpf call of modless (and the module syscalls), each behind
//! a safe function: the one place `unsafe` meets C.
//!
//! It sits at the bottom of the crate graph so that both ends can use it:
//! modless-btf (the first crate of the data flow, which may not depend on
//! the loader) reads BTF and prints C through [`btf`]; modless-loader loads,
//! attaches and reads objects through the rest. libbpf-rs's safe API covers
//! opening, programs, maps, links and an object's BTF; this crate holds only
//! what it lacks, and the calls whose errno the loader's error
//! classification needs. Handles are owned here or come in as libbpf-rs
//! borrows, so nothing handed out outlives what it reads, and no function
//! takes a raw pointer from its caller.
#![deny(missing_docs, missing_debug_implementations)]

pub mod btf;
mod image;
mod info;
mod kmod;
mod link;
mod object;
mod print;

pub use image::{open_btf, read_live, value_type_id, write_live};
pub use info::{enable_run_stats, prog_info, ProgInfo};
pub use kmod::{delete_module, finit_module};
pub use link::{attach_struct_ops, update_map};
pub use object::{attach_cgroup, attach_program, btf_custom_path, load, test_run};
pub use print::install_print;

/// A libbpf return value: `>= 0` as is, else the errno it carries.
fn check(ret: i32) -> Result<i32, i32> {
    if ret < 0 {
        Err(-ret)
    } else {
        Ok(ret)
    }
}

/// errno of the libbpf call just made; EINVAL if libbpf left none.
pub fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL)
}
