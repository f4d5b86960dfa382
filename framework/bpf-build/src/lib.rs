//! Compile BPF C without hand-assembling clang flags.
//!
//! ```text
//! prog.bpf.c ─┐
//! -I dirs    ─┼─ BpfBuild::compile ─ clang -target bpf ... ─ prog.bpf.o ─ ObjectInfo::read
//! BTF        ─┘   ├─ vmlinux.h   (modless-btf, cached by BTF hash)
//!                 └─ <bpf/*.h>   (libbpf headers embedded at build time)
//! ```
//!
//! clang is found as `$MODLESS_CLANG`, then `clang-19`, then `clang`
//! (>= 17). Generated files live under [`default_cache_dir`] unless
//! [`BpfBuild::cache_dir`] says otherwise.
#![deny(missing_docs, missing_debug_implementations)]

mod build_script;
mod cache;
mod clang;
mod compile;
mod error;
mod libbpf_headers;
mod object_info;
mod objects;
mod target_kernel;

pub use build_script::{build_script_vmlinux, write_placeholders};
pub use cache::{cache_root, default_cache_dir, CACHE_ENV, OLD_CACHE_ENV};
pub use clang::{Clang, CLANG_ENV, MIN_CLANG_MAJOR};
pub use compile::{compile_file, BpfBuild, Compiled, BPF_CFLAGS};
pub use error::{BuildError, Result};
pub use libbpf_headers::{install_libbpf_headers, LIBBPF_HEADERS};
pub use object_info::{MapInfo, ObjectInfo, ProgramInfo};
pub use objects::{bpf_sources, BpfObjects, OBJECTS_CFG};
pub use target_kernel::{target_kernel_tree, target_vmlinux, KERNEL_TREE_ENV};
