//! Loading an object and attaching its programs where the caller needs
//! libbpf's errno (libbpf-rs's errors keep only its kind): the loader's
//! error classification tells EPERM from EACCES from EINVAL.

use std::ffi::{CStr, OsStr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::ptr::NonNull;

use libbpf_rs::{AsRawLibbpf, Link, Object, ObjectBuilder, OpenObject, Program, ProgramMut};

use crate::{check, last_errno};

/// Loads `open` into the kernel (the verifier runs here); on failure the
/// object is closed and the errno returned.
pub fn load(open: OpenObject) -> Result<Object, i32> {
    // SAFETY: `open` owns a live, not yet loaded bpf_object for the call.
    check(unsafe { libbpf_sys::bpf_object__load(open.as_libbpf_object().as_ptr()) })?;
    // SAFETY: the object was just loaded; `take_ptr` hands its ownership
    // over, so exactly one of OpenObject and Object closes it.
    Ok(unsafe { Object::from_ptr(open.take_ptr()) })
}

/// The link libbpf just returned, or the errno it left for a NULL.
pub(crate) fn link(raw: *mut libbpf_sys::bpf_link) -> Result<Link, i32> {
    let errno = last_errno();
    let ptr = NonNull::new(raw).ok_or(errno)?;
    // SAFETY: libbpf made the link and hands its ownership over.
    Ok(unsafe { Link::from_ptr(ptr) })
}

/// Attaches `prog` where its section says (fentry/..., fmod_ret/...).
pub fn attach_program(prog: &ProgramMut<'_>) -> Result<Link, i32> {
    // SAFETY: `prog` is a loaded program, live for the call.
    link(unsafe { libbpf_sys::bpf_program__attach(prog.as_libbpf_object().as_ptr()) })
}

/// Attaches cgroup program `prog` to the cgroup open as `cgroup`.
pub fn attach_cgroup(prog: &ProgramMut<'_>, cgroup: BorrowedFd<'_>) -> Result<Link, i32> {
    // SAFETY: `prog` is a loaded program and the fd open for the call; the
    // link takes its own reference to the cgroup.
    link(unsafe {
        libbpf_sys::bpf_program__attach_cgroup(prog.as_libbpf_object().as_ptr(), cgroup.as_raw_fd())
    })
}

/// Runs `prog` once through BPF_PROG_RUN with no context or data (what a
/// `SEC("syscall")` program takes); its return value, or the errno.
pub fn test_run(prog: &Program<'_>) -> Result<u32, i32> {
    let mut opts = libbpf_sys::bpf_test_run_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_test_run_opts>() as _,
        ..Default::default()
    };
    // SAFETY: `prog` borrows a loaded program of a live object, so its fd is
    // open for the call; `opts` is sized and names no buffers (all null), so
    // the kernel writes only `opts` itself.
    check(unsafe { libbpf_sys::bpf_prog_test_run_opts(prog.as_fd().as_raw_fd(), &mut opts) })?;
    Ok(opts.retval)
}

/// The kernel BTF file `builder` makes libbpf resolve against, if set
/// (`ObjectBuilder::btf_custom_path`); `None`: the running kernel's.
pub fn btf_custom_path(builder: &ObjectBuilder) -> Option<PathBuf> {
    // SAFETY: the opts live inside `builder`, borrowed for this call.
    let path = unsafe { builder.as_libbpf_object().as_ref() }.btf_custom_path;
    if path.is_null() {
        return None;
    }
    // SAFETY: a non-null btf_custom_path points at the NUL-terminated
    // CString `builder` owns, alive as long as the borrow.
    let c = unsafe { CStr::from_ptr(path) };
    Some(PathBuf::from(OsStr::from_bytes(c.to_bytes())))
}
