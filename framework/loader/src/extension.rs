//! A loaded extension: attach its ops tables and hook programs, read its
//! maps and globals.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::{Path, PathBuf};

use libbpf_rs::{Link, MapCore, MapFlags, MapType, Object, ProgramType};

use crate::error::{classify, LoadError, Result, Step};
use crate::link::{Attached, HookLink, OpsLink};
use crate::log::capture;
use crate::members::SkippedMember;
use crate::obj_btf::{datasec_vars, name_of, resolve, struct_members, ObjMember, SecVar};
use crate::sys;
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

/// A BPF object whose maps and programs are in the kernel: owned
/// ([`Extension`], from [`OpenExtension::load`](crate::OpenExtension::load))
/// or a loaded skeleton's (from [`LoadedSkel::extension`](crate::LoadedSkel::extension)).
///
/// Links made from it are independent handles: they may outlive it.
#[derive(Debug)]
pub struct ExtensionOf<'obj> {
    path: PathBuf,
    obj: Obj<'obj>,
    load_log: String,
    skipped: Vec<SkippedMember>,
}

/// A loaded object the loader owns.
pub type Extension = ExtensionOf<'static>;

/// Who closes the object: the extension, or the skeleton it was loaded as.
#[derive(Debug)]
pub(crate) enum Obj<'obj> {
    Owned(Object),
    Skeleton(&'obj Object),
}

impl std::ops::Deref for Obj<'_> {
    type Target = Object;

    fn deref(&self) -> &Object {
        match self {
            Obj::Owned(o) => o,
            Obj::Skeleton(o) => o,
        }
    }
}

/// A struct_ops map of a loaded object, named (`"my_ops"`) or a skeleton's
/// handle (`&skel.maps.my_ops`: a misspelling does not compile, and a map
/// of another object is refused).
pub trait OpsMap {
    /// The map's name in the object.
    fn ops_map_name(&self) -> String;
    /// A handle's fd, which must be the object's map's.
    fn ops_map_fd(&self) -> Option<RawFd> {
        None
    }
}

impl OpsMap for str {
    fn ops_map_name(&self) -> String {
        self.to_string()
    }
}

impl OpsMap for String {
    fn ops_map_name(&self) -> String {
        self.clone()
    }
}

impl<T: std::fmt::Debug> OpsMap for libbpf_rs::MapImpl<'_, T> {
    fn ops_map_name(&self) -> String {
        self.name().to_string_lossy().into_owned()
    }

    fn ops_map_fd(&self) -> Option<RawFd> {
        Some(self.as_fd().as_raw_fd())
    }
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

impl<'obj> ExtensionOf<'obj> {
    pub(crate) fn new(
        path: PathBuf,
        obj: Obj<'obj>,
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
            w if w.starts_with("struct_ops map") => self.struct_ops_maps().join(", "),
            _ => self
                .programs()
                .into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Program `name` of the object.
    fn program(&self, name: &str) -> Result<libbpf_rs::ProgramMut<'_>> {
        self.obj
            .progs_mut()
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

    /// Struct_ops map `map` of the object; a handle must be this object's.
    pub(crate) fn struct_ops_map<M: OpsMap + ?Sized>(&self, map: &M) -> Result<libbpf_rs::Map<'_>> {
        let name = map.ops_map_name();
        let m = self
            .obj
            .maps()
            .find(|m| m.name() == name.as_str() && m.map_type() == MapType::StructOps)
            .ok_or_else(|| self.not_found("struct_ops map", &name))?;
        match map.ops_map_fd() {
            Some(fd) if fd != m.as_fd().as_raw_fd() => Err(self.not_found(
                "struct_ops map (the handle given is another object's)",
                &name,
            )),
            _ => Ok(m),
        }
    }

    /// The struct type of struct_ops map `m` as the object names it.
    fn ops_type(&self, m: &libbpf_rs::Map<'_>) -> String {
        let Ok(Some(btf)) = self.obj.btf() else {
            return String::new();
        };
        // for struct_ops maps libbpf keeps the object's own struct type
        resolve(&btf, sys::value_type_id(m))
            .map(|t| name_of(&t))
            .unwrap_or_default()
    }

    /// Attaches struct_ops map `map` (registers the ops table): its name,
    /// or a skeleton's handle, `&skel.maps.my_ops`.
    pub fn attach_ops<M: OpsMap + ?Sized>(&self, map: &M) -> Result<OpsLink> {
        let m = self.struct_ops_map(map)?;
        let name = map.ops_map_name();
        let name = name.as_str();
        let (link, log) = capture(|| sys::attach_struct_ops(&m));
        let link = link.map_err(|errno| {
            let step = Step::Attach {
                target: name.to_string(),
                is_ops: true,
            };
            classify(self.path.clone(), step, errno, log)
        })?;
        Ok(OpsLink {
            link,
            object: self.path.clone(),
            map: name.to_string(),
            watch: Watch::attached(&self.ops_type(&m)),
        })
    }

    /// Attaches program `name` where its section says (fentry/..., fmod_ret/...).
    pub fn attach_program(&self, name: &str) -> Result<HookLink> {
        let prog = self.program(name)?;
        let section = prog.section().to_string_lossy().into_owned();
        let (link, log) = capture(|| sys::attach_program(&prog));
        let target = format!("{name} ({section})");
        self.hook_link(link, log, target, name, section, None)
    }

    /// The [`HookLink`] for what attaching program `name` of `section`
    /// returned; libbpf's `log` explains a failure.
    fn hook_link(
        &self,
        link: std::result::Result<Link, i32>,
        log: String,
        target: String,
        name: &str,
        section: String,
        cgroup: Option<PathBuf>,
    ) -> Result<HookLink> {
        let link = link.map_err(|errno| {
            let step = Step::Attach {
                target,
                is_ops: false,
            };
            classify(self.path.clone(), step, errno, log)
        })?;
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
        // the link holds its own reference to the cgroup
        let (link, log) = capture(|| sys::attach_cgroup(&prog, dir.as_fd()));
        let target = format!("{name} ({section}) to cgroup {}", cgroup.display());
        let cgroup = Some(cgroup.to_path_buf());
        self.hook_link(link, log, target, name, section, cgroup)
    }

    /// Runs program `name` once in the kernel (BPF_PROG_RUN) with no context
    /// or data, as a `SEC("syscall")` program is run; returns its return value.
    pub fn test_run(&self, name: &str) -> Result<u32> {
        let prog = self.program(name)?;
        sys::test_run(&prog).map_err(|errno| LoadError::Kernel {
            what: format!(
                "running program `{name}` of {} (BPF_PROG_RUN; it runs only `syscall` and test-runnable program types)",
                self.path.display()
            ),
            source: io::Error::from_raw_os_error(errno),
        })
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

    /// The globals of `.bss` and `.data` (the live, writable sections).
    pub(crate) fn data_vars(&self) -> Vec<SecVar> {
        let Ok(Some(btf)) = self.obj.btf() else {
            return Vec::new();
        };
        let maps = self.obj.maps().map(|m| {
            (
                m.name().to_string_lossy().into_owned(),
                sys::value_type_id(&m),
            )
        });
        datasec_vars(&btf, maps, |s| s == ".bss" || s == ".data")
    }

    /// Global `var` (in `.bss` or `.data`).
    fn global_var(&self, var: &str) -> Result<SecVar> {
        self.data_vars()
            .into_iter()
            .find(|v| v.name == var)
            .ok_or_else(|| self.not_found("global variable", var))
    }

    fn live_map(&self, v: &SecVar) -> Result<libbpf_rs::Map<'_>> {
        self.obj
            .maps()
            .find(|m| m.name().to_string_lossy() == v.map)
            .ok_or_else(|| self.not_found("global variable", &v.name))
    }

    /// Current bytes of global `var` (in `.bss` or `.data`), read from the
    /// kernel's memory-mapped copy.
    pub fn global(&self, var: &str) -> Result<Vec<u8>> {
        let v = self.global_var(var)?;
        let mut out = vec![0u8; v.size];
        if !sys::read_live(&self.live_map(&v)?, v.offset, &mut out) {
            return Err(self.not_found("global variable", var));
        }
        Ok(out)
    }

    /// Overwrites global `var` (in `.bss` or `.data`) in the kernel's
    /// memory-mapped copy; `value` must be exactly its size.
    pub fn set_global(&self, var: &str, value: &[u8]) -> Result<()> {
        let v = self.global_var(var)?;
        if value.len() != v.size {
            return Err(LoadError::RodataSize {
                object: self.path.clone(),
                var: var.to_string(),
                expected: v.size,
                given: value.len(),
            });
        }
        if !sys::write_live(&self.live_map(&v)?, v.offset, value) {
            return Err(self.not_found("global variable", var));
        }
        Ok(())
    }

    /// Members (name, byte offset, size) of global `var` if it is a struct.
    pub(crate) fn global_members(&self, var: &str) -> Option<Vec<ObjMember>> {
        let v = self.global_var(var).ok()?;
        let btf = self.obj.btf().ok()??;
        struct_members(&btf, v.type_id).map(|(_, m)| m)
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
