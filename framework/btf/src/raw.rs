//! modless-sys's views of BTF records, as this crate uses them.

use std::ffi::CStr;

pub(crate) use modless_sys::btf::{kind, member_offset};

use crate::btf::Btf;

/// The string at `off` in `btf`'s string section (base strings included).
pub(crate) fn str_at(btf: &Btf, off: u32) -> &CStr {
    btf.raw().str_at(off)
}
