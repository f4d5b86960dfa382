//! What a compiled `.bpf.o` contains, as libbpf sees it (programs, maps).
//!
//! Opening an object parses the ELF and BTF only; nothing is loaded into the
//! kernel, so this needs no privileges.

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use crate::error::{BuildError, Result};

/// One BPF program of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramInfo {
    /// Function name.
    pub name: String,
    /// ELF section (`SEC("...")`), e.g. `fentry/do_unlinkat`, `struct_ops/x`.
    pub section: String,
    /// libbpf's name of the program type, e.g. `tracing`, `struct_ops`.
    pub prog_type: String,
}

/// One map of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapInfo {
    /// Map name (struct_ops maps are named after their variable).
    pub name: String,
    /// libbpf's name of the map type, e.g. `struct_ops`, `array`.
    pub map_type: String,
}

/// Programs and maps of a BPF object file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object file.
    pub path: PathBuf,
    /// Programs in libbpf's order.
    pub programs: Vec<ProgramInfo>,
    /// Maps in libbpf's order (includes `.bss`/`.rodata`-style internal maps).
    pub maps: Vec<MapInfo>,
}

/// An opened (not loaded) `bpf_object`, closed on drop.
struct OpenObject(NonNull<libbpf_sys::bpf_object>);

impl Drop for OpenObject {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `bpf_object__open_file` and is closed
        // only here.
        unsafe { libbpf_sys::bpf_object__close(self.0.as_ptr()) }
    }
}

fn owned(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: libbpf returns NUL-terminated strings owned by the object (or
    // static), valid while the object is open, which the caller ensures.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

impl ObjectInfo {
    /// Opens `path` with libbpf and lists its programs and maps.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let open_err = |source| BuildError::ObjectOpen {
            path: path.to_path_buf(),
            source,
        };
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| open_err(io::Error::from(io::ErrorKind::InvalidInput)))?;
        // SAFETY: `c` is NUL-terminated for the call; NULL opts = defaults.
        let raw = unsafe { libbpf_sys::bpf_object__open_file(c.as_ptr(), std::ptr::null()) };
        let err = io::Error::last_os_error();
        let obj = OpenObject(NonNull::new(raw).ok_or_else(|| open_err(err))?);

        let mut programs = Vec::new();
        let mut prog: *mut libbpf_sys::bpf_program = std::ptr::null_mut();
        loop {
            // SAFETY: `obj` is open; `prog` is NULL or the previous program
            // of this object, as the iterator requires.
            prog = unsafe { libbpf_sys::bpf_object__next_program(obj.0.as_ptr(), prog) };
            if prog.is_null() {
                break;
            }
            // SAFETY: `prog` is a live program of the open `obj`; the type
            // string is static in libbpf.
            let (name, section, prog_type) = unsafe {
                (
                    owned(libbpf_sys::bpf_program__name(prog)),
                    owned(libbpf_sys::bpf_program__section_name(prog)),
                    owned(libbpf_sys::libbpf_bpf_prog_type_str(
                        libbpf_sys::bpf_program__type(prog),
                    )),
                )
            };
            programs.push(ProgramInfo {
                name,
                section,
                prog_type,
            });
        }

        let mut maps = Vec::new();
        let mut map: *mut libbpf_sys::bpf_map = std::ptr::null_mut();
        loop {
            // SAFETY: as for programs: `map` is NULL or the previous map.
            map = unsafe { libbpf_sys::bpf_object__next_map(obj.0.as_ptr(), map) };
            if map.is_null() {
                break;
            }
            // SAFETY: `map` is a live map of the open `obj`.
            let (name, map_type) = unsafe {
                (
                    owned(libbpf_sys::bpf_map__name(map)),
                    owned(libbpf_sys::libbpf_bpf_map_type_str(
                        libbpf_sys::bpf_map__type(map),
                    )),
                )
            };
            maps.push(MapInfo { name, map_type });
        }
        Ok(Self {
            path: path.to_path_buf(),
            programs,
            maps,
        })
    }

    /// The program whose function is `name`.
    pub fn program(&self, name: &str) -> Option<&ProgramInfo> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The map called `name`.
    pub fn map(&self, name: &str) -> Option<&MapInfo> {
        self.maps.iter().find(|m| m.name == name)
    }
}
