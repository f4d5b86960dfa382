//! A loaded extension: attach its ops tables and hook programs, read its
//! maps and globals.

use std::ffi::CString;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use libbpf_rs::{AsRawLibbpf, Link, MapCore, MapFlags, MapType, Object, ProgramType};

use crate::error::{classify, LoadError, Result, Step};
use crate::link::{Attached, HookLink, OpsLink};
use crate::log::capture;
use crate::members::SkippedMember;
use crate::obj_btf::{datasec_vars, name_at, struct_members, type_at, ObjMember};
use crate::watch::Watch;

/// Where cgroup programs attach unless the caller names a cgroup: the root
/// of the cgroup v2 hierarchy, so they run for every process.
pub const ROOT_CGROUP: &str = "/sys/fs/cgroup";

/// Whether `dir` is on a cgroup v2 file system (cgroup programs attach only there).
fn is_cgroup2(dir: &std::fs::File) -> bool {
    const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
    // SAFETY: statfs is plain old data; all-zero is valid.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `dir` is an open fd and `st` a writable statfs for the call.
    let r = unsafe { libc::fstatfs(dir.as_raw_fd(), &mut st) };
    r == 0 && st.f_type as i64 == CGROUP2_SUPER_MAGIC
}

/// A BPF object whose maps and programs are in the kernel.
///
/// Links made from it are independent handles: they may outlive it.
#[derive(Debug)]
pub struct Extension {
    path: PathBuf,
    obj: Object,
    load_log: String,
    skipped: Vec<SkippedMember>,
}

/// What kind of program, as the loader treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramKind {
    /// An op of a struct_ops table: attached through its map.
    StructOps,
    /// fentry/fexit/fmod_ret and other programs libbpf attaches by section.
    Hook,
    /// cgroup/sockopt, cgroup/skb, sockops...: attached to a cgroup.
    Cgroup,
    /// Run on demand (`SEC("syscall")`), never attached.
    Syscall,
}

/// One program of a loaded extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramInfo {
    /// Function name.
    pub name: String,
    /// ELF section.
    pub section: String,
    /// How it is attached.
    pub kind: ProgramKind,
}

impl Extension {
    pub(crate) fn new(
        path: PathBuf,
        obj: Object,
        load_log: String,
        skipped: Vec<SkippedMember>,
    ) -> Self {
        Self {
            path,
            obj,
            load_log,
            skipped,
        }
    }

    /// Ops members left out at load because this kernel's type lacks them
    /// and their declaration says `if_missing = "zero"`.
    pub fn skipped_members(&self) -> &[SkippedMember] {
        &self.skipped
    }

    /// The object's file or name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What libbpf said while loading (empty unless it had something to say).
    pub fn load_log(&self) -> &str {
        &self.load_log
    }

    /// The underlying libbpf-rs object, for anything not wrapped here.
    pub fn object(&self) -> &Object {
        &self.obj
    }

    /// Names of the struct_ops maps (ops tables), in object order.
    pub fn struct_ops_maps(&self) -> Vec<String> {
        self.obj
            .maps()
            .filter(|m| m.map_type() == MapType::StructOps)
            .map(|m| m.name().to_string_lossy().into_owned())
            .collect()
    }

    /// Every loaded program.
    pub fn programs(&self) -> Vec<ProgramInfo> {
        self.obj
            .progs()
            .filter(|p| p.autoload())
            .map(|p| ProgramInfo {
                name: p.name().to_string_lossy().into_owned(),
                section: p.section().to_string_lossy().into_owned(),
                kind: match p.prog_type() {
                    ProgramType::StructOps => ProgramKind::StructOps,
                    ProgramType::Syscall => ProgramKind::Syscall,
                    ProgramType::CgroupSkb
                    | ProgramType::CgroupSock
                    | ProgramType::SockOps
                    | ProgramType::CgroupDevice
                    | ProgramType::CgroupSockAddr
                    | ProgramType::CgroupSysctl
                    | ProgramType::CgroupSockopt => ProgramKind::Cgroup,
                    _ => ProgramKind::Hook,
                },
            })
            .collect()
    }

    fn available(&self, what: &str) -> String {
        match what {
            "struct_ops map" => self.struct_ops_maps().join(", "),
            _ => self
                .programs()
                .into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Program `name` of the object.
    fn program(&self, name: &str) -> Result<libbpf_rs::Program<'_>> {
        self.obj
            .progs()
            .find(|p| p.name() == name)
            .ok_or_else(|| self.not_found("program", name))
    }

    fn not_found(&self, what: &'static str, name: &str) -> LoadError {
        LoadError::NotInObject {
            object: self.path.clone(),
            what,
            name: name.to_string(),
            available: self.available(what),
        }
    }

    pub(crate) fn raw_struct_ops_map(&self, name: &str) -> Result<*mut libbpf_sys::bpf_map> {
        let cname = CString::new(name).map_err(|_| self.not_found("struct_ops map", name))?;
        // SAFETY: the object is loaded and owned by `self`; the name is NUL-terminated.
        let m = unsafe {
            libbpf_sys::bpf_object__find_map_by_name(
                self.obj.as_libbpf_object().as_ptr(),
                cname.as_ptr(),
            )
        };
        // SAFETY: `m` is NULL or a map of the object.
        if m.is_null()
            || unsafe { libbpf_sys::bpf_map__type(m) } != libbpf_sys::BPF_MAP_TYPE_STRUCT_OPS
        {
            return Err(self.not_found("struct_ops map", name));
        }
        Ok(m)
    }

    /// The struct type of struct_ops map `m` as the object names it.
    fn ops_type(&self, m: *mut libbpf_sys::bpf_map) -> String {
        let obj = self.obj.as_libbpf_object().as_ptr();
        // SAFETY: a live object; its BTF lives as long.
        let Some(btf) = NonNull::new(unsafe { libbpf_sys::bpf_object__btf(obj) }) else {
            return String::new();
        };
        // SAFETY: `m` is a map of the object; for struct_ops maps libbpf
        // keeps the object's own struct type here.
        let id = unsafe { libbpf_sys::bpf_map__btf_value_type_id(m) };
        type_at(btf, id)
            .map(|t| name_at(btf, t.name_off))
            .unwrap_or_default()
    }

    /// Attaches the struct_ops map `name` (registers the ops table).
    pub fn attach_ops(&self, name: &str) -> Result<OpsLink> {
        let m = self.raw_struct_ops_map(name)?;
        // SAFETY: `m` is a loaded struct_ops map of the object.
        let (raw, log) = capture(|| unsafe { libbpf_sys::bpf_map__attach_struct_ops(m) });
        let errno = last_errno();
        let Some(ptr) = NonNull::new(raw) else {
            return Err(classify(
                self.path.clone(),
                Step::Attach {
                    target: name.to_string(),
                    is_ops: true,
                },
                errno,
                log,
            ));
        };
        // SAFETY: libbpf made the link and hands ownership over.
        let link = unsafe { Link::from_ptr(ptr) };
        Ok(OpsLink {
            link,
            object: self.path.clone(),
            map: name.to_string(),
            watch: Watch::attached(&self.ops_type(m)),
        })
    }

    /// Attaches program `name` where its section says (fentry/..., fmod_ret/...).
    pub fn attach_program(&self, name: &str) -> Result<HookLink> {
        let prog = self.program(name)?;
        let section = prog.section().to_string_lossy().into_owned();
        let raw = prog.as_libbpf_object().as_ptr();
        // SAFETY: `raw` is a loaded program of the object.
        let (link, log) = capture(|| unsafe { libbpf_sys::bpf_program__attach(raw) });
        let errno = last_errno();
        let target = format!("{name} ({section})");
        self.hook_link(link, errno, log, target, name, section, None)
    }

    /// The [`HookLink`] for what `bpf_program__attach*` returned (`errno`,
    /// read right after the call, and libbpf's `log` explain a NULL), for
    /// program `name` of `section`.
    #[allow(clippy::too_many_arguments)]
    fn hook_link(
        &self,
        link: *mut libbpf_sys::bpf_link,
        errno: i32,
        log: String,
        target: String,
        name: &str,
        section: String,
        cgroup: Option<PathBuf>,
    ) -> Result<HookLink> {
        let Some(ptr) = NonNull::new(link) else {
            let step = Step::Attach {
                target,
                is_ops: false,
            };
            return Err(classify(self.path.clone(), step, errno, log));
        };
        // SAFETY: libbpf made the link and hands ownership over.
        let link = unsafe { Link::from_ptr(ptr) };
        Ok(HookLink {
            link,
            program: name.to_string(),
            section,
            cgroup,
        })
    }

    /// Attaches cgroup program `name` (cgroup/setsockopt, ...) to the
    /// cgroup v2 directory `cgroup`; it runs for every process below it.
    pub fn attach_cgroup(&self, name: &str, cgroup: &Path) -> Result<HookLink> {
        let prog = self.program(name)?;
        let section = prog.section().to_string_lossy().into_owned();
        let dir = std::fs::File::open(cgroup).map_err(|source| LoadError::Kernel {
            what: format!(
                "opening cgroup {} for `{name}` (a cgroup v2 directory, e.g. {ROOT_CGROUP})",
                cgroup.display()
            ),
            source,
        })?;
        if !is_cgroup2(&dir) {
            return Err(LoadError::Kernel {
                what: format!(
                    "attaching `{name}`: {} is not a cgroup v2 directory (mount cgroup2 there, or name \
                     one, e.g. --cgroup /sys/fs/cgroup/unified on a hybrid host)",
                    cgroup.display()
                ),
                source: io::Error::from_raw_os_error(libc::ENOTDIR),
            });
        }
        let raw = prog.as_libbpf_object().as_ptr();
        // SAFETY: `raw` is a loaded program of the object; the fd is open
        // for the call (the link holds its own reference to the cgroup).
        let (link, log) =
            capture(|| unsafe { libbpf_sys::bpf_program__attach_cgroup(raw, dir.as_raw_fd()) });
        let errno = last_errno();
        let target = format!("{name} ({section}) to cgroup {}", cgroup.display());
        let cgroup = Some(cgroup.to_path_buf());
        self.hook_link(link, errno, log, target, name, section, cgroup)
    }

    /// Attaches every struct_ops map, every hook program and every cgroup
    /// program (to the root cgroup, [`ROOT_CGROUP`]); on a failure what was
    /// attached so far is detached again.
    pub fn attach_all(&self) -> Result<Attached> {
        self.attach_all_in(Path::new(ROOT_CGROUP))
    }

    /// [`Extension::attach_all`] with cgroup programs attached to `cgroup`.
    pub fn attach_all_in(&self, cgroup: &Path) -> Result<Attached> {
        let mut all = Attached::default();
        for map in self.struct_ops_maps() {
            all.ops.push(self.attach_ops(&map)?);
        }
        for p in self.programs() {
            match p.kind {
                ProgramKind::Hook => all.hooks.push(self.attach_program(&p.name)?),
                ProgramKind::Cgroup => all.hooks.push(self.attach_cgroup(&p.name, cgroup)?),
                ProgramKind::StructOps | ProgramKind::Syscall => {}
            }
        }
        Ok(all)
    }

    fn map_named(&self, name: &str) -> Result<libbpf_rs::Map<'_>> {
        self.obj
            .maps()
            .find(|m| m.name() == name)
            .ok_or_else(|| LoadError::NotInObject {
                object: self.path.clone(),
                what: "map",
                name: name.to_string(),
                available: self
                    .obj
                    .maps()
                    .map(|m| m.name().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Looks `key` up in map `map`.
    pub fn map_lookup(&self, map: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let m = self.map_named(map)?;
        m.lookup(key, MapFlags::ANY).map_err(|e| LoadError::Map {
            map: map.to_string(),
            op: "lookup",
            source: io::Error::other(e.to_string()),
        })
    }

    /// Sets `key` to `value` in map `map`.
    pub fn map_update(&self, map: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let m = self.map_named(map)?;
        m.update(key, value, MapFlags::ANY)
            .map_err(|e| LoadError::Map {
                map: map.to_string(),
                op: "update",
                source: io::Error::other(e.to_string()),
            })
    }

    /// A libbpf-rs handle to map `map` (for iteration, batch ops, ring buffers).
    pub fn map(&self, map: &str) -> Result<libbpf_rs::Map<'_>> {
        self.map_named(map)
    }

    /// The kernel id of map `map` (e.g. to compare with [`OpsLink::info`]).
    pub fn map_id(&self, map: &str) -> Result<u32> {
        let m = self.map_named(map)?;
        let info = m.info().map_err(|e| LoadError::Map {
            map: map.to_string(),
            op: "info",
            source: io::Error::other(e.to_string()),
        })?;
        Ok(info.info.id)
    }

    /// The live bytes of global `var` (in `.bss` or `.data`) and its BTF type.
    fn global_slot(&self, var: &str) -> Option<(*mut u8, usize, u32)> {
        let obj = self.obj.as_libbpf_object().as_ptr();
        for sec in [".bss", ".data"] {
            for (map, name, off, size, type_id) in datasec_vars(obj, sec) {
                if name != var {
                    continue;
                }
                let mut len = 0u64;
                // SAFETY: `map` is a loaded internal map: libbpf returns its
                // live mmap()ed image of `len` bytes.
                let data = unsafe { libbpf_sys::bpf_map__initial_value(map, &mut len) };
                if data.is_null() || (off + size) as u64 > len {
                    return None;
                }
                // SAFETY: `off + size <= len`, inside the mapping.
                return Some((unsafe { data.cast::<u8>().add(off) }, size, type_id));
            }
        }
        None
    }

    /// Current bytes of global `var` (in `.bss` or `.data`), read from the
    /// kernel's memory-mapped copy.
    pub fn global(&self, var: &str) -> Result<Vec<u8>> {
        let (p, size, _) = self
            .global_slot(var)
            .ok_or_else(|| self.not_found("global variable", var))?;
        let mut out = vec![0u8; size];
        // SAFETY: `p` points at `size` bytes of the live mapping; the program
        // may write them concurrently, as with any shared BPF global.
        unsafe { std::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), size) };
        Ok(out)
    }

    /// Overwrites global `var` (in `.bss` or `.data`) in the kernel's
    /// memory-mapped copy; `value` must be exactly its size.
    pub fn set_global(&self, var: &str, value: &[u8]) -> Result<()> {
        let (p, size, _) = self
            .global_slot(var)
            .ok_or_else(|| self.not_found("global variable", var))?;
        if value.len() != size {
            return Err(LoadError::RodataSize {
                object: self.path.clone(),
                var: var.to_string(),
                expected: size,
                given: value.len(),
            });
        }
        // SAFETY: `p` points at `size` writable bytes of the live mapping
        // (.bss/.data are mapped read-write).
        unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), p, size) };
        Ok(())
    }

    /// Members (name, byte offset, size) of global `var` if it is a struct.
    pub(crate) fn global_members(&self, var: &str) -> Option<Vec<ObjMember>> {
        let (_, _, type_id) = self.global_slot(var)?;
        let obj = self.obj.as_libbpf_object().as_ptr();
        // SAFETY: a live object; its BTF lives as long.
        let btf = NonNull::new(unsafe { libbpf_sys::bpf_object__btf(obj) })?;
        struct_members(btf, type_id).map(|(_, m)| m)
    }

    /// A `u64` global, see [`Extension::global`].
    pub fn global_u64(&self, var: &str) -> Result<u64> {
        let b = self.global(var)?;
        let arr: [u8; 8] = b.as_slice().try_into().map_err(|_| LoadError::RodataSize {
            object: self.path.clone(),
            var: var.to_string(),
            expected: 8,
            given: b.len(),
        })?;
        Ok(u64::from_ne_bytes(arr))
    }
}

/// errno of the libbpf call just made; EINVAL if libbpf left none.
fn last_errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL)
}
