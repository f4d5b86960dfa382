//! Opening an object and preparing it before the kernel sees it:
//! `.rodata` values, verifier log level.

use std::io;
use std::path::{Path, PathBuf};

use libbpf_rs::{AsRawLibbpf, ObjectBuilder, OpenObject};

use crate::error::{classify, LoadError, Result, Step};
use crate::extension::Extension;
use crate::globals::{bytes_int, encode, var_type, VarType};
use crate::kernel_enums::{wanted, KernelEnum};
use crate::log::capture;
use crate::members;
use crate::obj_btf::{datasec_vars_where, decl_tags, SecVar};

/// A BPF object opened (parsed) but not loaded: set `.rodata` here.
#[derive(Debug)]
pub struct OpenExtension {
    pub(crate) path: PathBuf,
    pub(crate) open: OpenObject,
    /// The kernel BTF libbpf resolves against, when not the running one.
    kernel_btf: Option<PathBuf>,
    log_level: u32,
    kernel_enums: Vec<KernelEnum>,
}

fn errno_of(e: &libbpf_rs::Error) -> io::Error {
    // libbpf-rs keeps the errno as an io::Error at the bottom of the chain.
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if let Some(code) = io.raw_os_error() {
                return io::Error::from_raw_os_error(code);
            }
        }
        cur = err.source();
    }
    io::Error::other(e.to_string())
}

impl OpenExtension {
    /// Opens a `.bpf.o` file.
    pub fn file(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_file(path.as_ref(), None)
    }

    /// Opens a `.bpf.o` file whose CO-RE and struct_ops types are resolved
    /// against `kernel_btf` instead of `/sys/kernel/btf/vmlinux`.
    pub fn file_with_kernel_btf(path: impl AsRef<Path>, kernel_btf: &Path) -> Result<Self> {
        Self::open_file(path.as_ref(), Some(kernel_btf))
    }

    fn open_file(path: &Path, kernel_btf: Option<&Path>) -> Result<Self> {
        let path = path.to_path_buf();
        let (open, log) = capture(|| {
            let mut b = ObjectBuilder::default();
            if let Some(btf) = kernel_btf {
                b.btf_custom_path(btf)?;
            }
            b.open_file(&path)
        });
        Self::opened(path, open, log, kernel_btf)
    }

    fn opened(
        path: PathBuf,
        open: libbpf_rs::Result<OpenObject>,
        log: String,
        kernel_btf: Option<&Path>,
    ) -> Result<Self> {
        let open = open.map_err(|e| LoadError::Open {
            object: path.clone(),
            source: errno_of(&e),
            log,
        })?;
        let mut this = Self {
            path,
            open,
            kernel_btf: kernel_btf.map(Path::to_path_buf),
            log_level: 0,
            kernel_enums: Vec::new(),
        };
        this.fill_kernel_enums()?;
        Ok(this)
    }

    /// Globals filled with the kernel's enum values when the object was
    /// opened (see [`KernelEnum`]); `set_var`/`set_rodata` may override them.
    pub fn kernel_enums(&self) -> &[KernelEnum] {
        &self.kernel_enums
    }

    /// Fills every `.rodata` global that asks for a kernel enumerator with
    /// its value in the kernel BTF libbpf will use.
    fn fill_kernel_enums(&mut self) -> Result<()> {
        let obj = self.open.as_libbpf_object().as_ptr();
        // SAFETY: the open object owns its BTF.
        let Some(btf) = std::ptr::NonNull::new(unsafe { libbpf_sys::bpf_object__btf(obj) }) else {
            return Ok(());
        };
        let wants: Vec<(SecVar, String)> = datasec_vars_where(obj, |s| s == ".rodata")
            .into_iter()
            .filter_map(|v| {
                let tags: Vec<String> = decl_tags(btf, v.type_id)
                    .into_iter()
                    .filter(|(idx, _)| *idx == -1)
                    .map(|(_, t)| t)
                    .collect();
                let e = wanted(&v.name, &tags)?;
                Some((v, e))
            })
            .collect();
        if wants.is_empty() {
            return Ok(());
        }
        let kernel = match &self.kernel_btf {
            Some(p) => modless_btf::Btf::open(p, None),
            None => modless_btf::Btf::running_vmlinux(),
        };
        let values = kernel
            .map(|b| b.enum_values(modless_btf::TypeScope::All))
            .unwrap_or_default();
        for (v, enumerator) in wants {
            let found = values.get(&enumerator);
            if let Some(k) = found {
                let ty = var_type(btf, v.type_id);
                let text = k.value.to_string();
                let (bytes, _) = encode(&ty, &text).map_err(|why| LoadError::BadValue {
                    object: self.path.clone(),
                    var: v.name.clone(),
                    ty: ty.to_string(),
                    value: format!("{text} (the kernel's {enumerator})"),
                    why: format!("{why}; declare it u64 as scx does"),
                })?;
                self.write_var(&v, &bytes)?;
            }
            self.kernel_enums.push(KernelEnum {
                var: v.name,
                enumerator,
                enum_name: found.map(|k| k.enum_name.clone()).unwrap_or_default(),
                value: found.map(|k| k.value),
            });
        }
        Ok(())
    }

    /// Opens an object embedded in the program (`include_bytes!`); `name`
    /// is what errors call it.
    pub fn bytes(name: &str, bytes: &[u8]) -> Result<Self> {
        let path = PathBuf::from(name);
        let (open, log) = capture(|| {
            let mut b = ObjectBuilder::default();
            b.name(name)?;
            b.open_memory(bytes)
        });
        Self::opened(path, open, log, None)
    }

    /// The object's file or name.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets the `const volatile` global `var` (in `.rodata`) to `value`,
    /// which must be exactly the variable's size.
    pub fn set_rodata(&mut self, var: &str, value: &[u8]) -> Result<()> {
        let obj = self.open.as_libbpf_object().as_ptr();
        let v = datasec_vars_where(obj, |s| s == ".rodata")
            .into_iter()
            .find(|v| v.name == var)
            .ok_or_else(|| LoadError::NotInObject {
                object: self.path.clone(),
                what: ".rodata variable",
                name: var.to_string(),
                available: rodata_vars(obj).join(", "),
            })?;
        self.write_var(&v, value)
    }

    /// Sets global `var` (in `.rodata`, `.data` or `.bss`) from `text`,
    /// typed by the object's BTF: integers of any width and sign (decimal,
    /// `0x`, `0o`, `0b`), bools, enums by enumerator name or value, char
    /// arrays from a string. Returns what was set, for printing.
    pub fn set_var(&mut self, var: &str, text: &str) -> Result<SetVar> {
        let (v, ty) = self.typed_var(var)?;
        let (bytes, shown) = encode(&ty, text).map_err(|why| LoadError::BadValue {
            object: self.path.clone(),
            var: var.to_string(),
            ty: ty.to_string(),
            value: text.to_string(),
            why,
        })?;
        self.write_var(&v, &bytes)?;
        Ok(SetVar {
            name: var.to_string(),
            section: v.section,
            ty: ty.to_string(),
            shown,
        })
    }

    /// The bytes global `var` will be loaded with (its initial value as
    /// set so far).
    pub fn initial_value(&self, var: &str) -> Result<Vec<u8>> {
        let (v, _) = self.typed_var(var)?;
        let (data, _) = self.var_image(&v)?;
        // SAFETY: `var_image` checked `offset + size` against the image.
        Ok(unsafe { std::slice::from_raw_parts(data.add(v.offset), v.size) }.to_vec())
    }

    /// The initial value of an integer or enum global, if it is one.
    pub fn initial_int(&self, var: &str) -> Result<Option<i128>> {
        let (_, ty) = self.typed_var(var)?;
        let bytes = self.initial_value(var)?;
        Ok(match ty {
            VarType::Int { signed, .. } | VarType::Enum { signed, .. } => {
                Some(bytes_int(&bytes, signed))
            }
            _ => None,
        })
    }

    /// Sets the `max_entries` of map `map` (e.g. a hash map sized per machine).
    pub fn set_max_entries(&mut self, map: &str, entries: u32) -> Result<()> {
        let m = self.raw_map(map)?;
        // SAFETY: `m` is a map of the open (not yet loaded) object.
        let ret = unsafe { libbpf_sys::bpf_map__set_max_entries(m, entries) };
        if ret < 0 {
            return Err(LoadError::Map {
                map: map.to_string(),
                op: "set max_entries",
                source: io::Error::from_raw_os_error(-ret),
            });
        }
        Ok(())
    }

    /// The `max_entries` map `map` will be created with.
    pub fn max_entries(&self, map: &str) -> Result<u32> {
        let m = self.raw_map(map)?;
        // SAFETY: `m` is a map of the open object.
        Ok(unsafe { libbpf_sys::bpf_map__max_entries(m) })
    }

    fn raw_map(&self, map: &str) -> Result<*mut libbpf_sys::bpf_map> {
        let obj = self.open.as_libbpf_object().as_ptr();
        let not_found = || LoadError::NotInObject {
            object: self.path.clone(),
            what: "map",
            name: map.to_string(),
            available: map_names(obj).join(", "),
        };
        let cname = std::ffi::CString::new(map).map_err(|_| not_found())?;
        // SAFETY: `obj` is the open object; the name is NUL-terminated.
        let m = unsafe { libbpf_sys::bpf_object__find_map_by_name(obj, cname.as_ptr()) };
        if m.is_null() {
            return Err(not_found());
        }
        Ok(m)
    }

    /// The settable global `var` and its type.
    fn typed_var(&self, var: &str) -> Result<(SecVar, VarType)> {
        let obj = self.open.as_libbpf_object().as_ptr();
        let vars = settable_vars(obj);
        let Some(v) = vars.iter().find(|v| v.name == var).cloned() else {
            return Err(LoadError::NotInObject {
                object: self.path.clone(),
                what: "global variable",
                name: var.to_string(),
                available: vars
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        // SAFETY: the open object owns its BTF, non-NULL since it has vars.
        let btf = unsafe { libbpf_sys::bpf_object__btf(obj) };
        let ty = std::ptr::NonNull::new(btf)
            .map(|b| var_type(b, v.type_id))
            .unwrap_or(VarType::Other("type without BTF".into()));
        Ok((v, ty))
    }

    /// The writable initial image of `v`'s map and its length.
    fn var_image(&self, v: &SecVar) -> Result<(*mut u8, usize)> {
        let mut len = 0u64;
        // SAFETY: `v.map` belongs to the open object; for an internal map
        // libbpf returns its `len`-byte initial image, writable until load.
        let data = unsafe { libbpf_sys::bpf_map__initial_value(v.map, &mut len) };
        if data.is_null() || (v.offset + v.size) as u64 > len {
            return Err(LoadError::RodataSize {
                object: self.path.clone(),
                var: v.name.clone(),
                expected: v.size,
                given: len as usize,
            });
        }
        Ok((data.cast::<u8>(), len as usize))
    }

    fn write_var(&mut self, v: &SecVar, value: &[u8]) -> Result<()> {
        if value.len() != v.size {
            return Err(LoadError::RodataSize {
                object: self.path.clone(),
                var: v.name.clone(),
                expected: v.size,
                given: value.len(),
            });
        }
        let (data, _) = self.var_image(v)?;
        // SAFETY: `var_image` checked `offset + size <= len`; the source is `size` bytes.
        unsafe { std::ptr::copy_nonoverlapping(value.as_ptr(), data.add(v.offset), v.size) };
        Ok(())
    }

    /// Sets the verifier log level of every program (1 = instructions,
    /// 2 = verbose, 4 = statistics); the log is then kept in errors even
    /// when libbpf would not ask for one.
    pub fn set_log_level(&mut self, level: u32) {
        self.log_level = level;
        for mut p in self.open.progs_mut() {
            p.set_log_level(level);
        }
    }

    /// Loads every map and program into the kernel: the verifier runs here.
    ///
    /// Ops members this kernel's type lacks are handled first as their
    /// declaration says: `if_missing = "zero"` members are left out (see
    /// [`Extension::skipped_members`]), others fail with
    /// [`LoadError::MemberMissing`].
    pub fn load(self) -> Result<Extension> {
        let Self {
            path,
            open,
            kernel_btf,
            ..
        } = self;
        let raw = open.as_libbpf_object().as_ptr();
        let skipped = members::apply(raw, &path, kernel_btf.as_deref())?;
        // SAFETY: `raw` is the open object owned by `open`; libbpf loads it
        // in place and reports failure by a negative errno.
        let (ret, log) = capture(|| unsafe { libbpf_sys::bpf_object__load(raw) });
        if ret < 0 {
            return Err(classify(path, Step::Load, -ret, log));
        }
        // SAFETY: the object was just loaded; `take_ptr` hands its ownership
        // over so exactly one of OpenObject/Object closes it.
        let obj = unsafe { libbpf_rs::Object::from_ptr(open.take_ptr()) };
        Ok(Extension::new(path, obj, log, skipped))
    }
}

/// What [`OpenExtension::set_var`] set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVar {
    /// The global.
    pub name: String,
    /// Its section (`.rodata`, `.data`, ...).
    pub section: String,
    /// Its type as C spells it (`u32`, `enum mode`, `char[16]`).
    pub ty: String,
    /// The value as set (`FAST (5)`, `"name"`, `42`).
    pub shown: String,
}

/// Globals a loader can set before load: `.rodata`, `.data`, `.bss` and
/// their `.<sec>.<name>` variants.
fn settable_vars(obj: *mut libbpf_sys::bpf_object) -> Vec<SecVar> {
    datasec_vars_where(obj, |s| {
        [".rodata", ".data", ".bss"]
            .iter()
            .any(|p| s == *p || s.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
    })
}

fn map_names(obj: *mut libbpf_sys::bpf_object) -> Vec<String> {
    let mut out = Vec::new();
    let mut m: *mut libbpf_sys::bpf_map = std::ptr::null_mut();
    loop {
        // SAFETY: `m` is NULL or the previous map of the open object.
        m = unsafe { libbpf_sys::bpf_object__next_map(obj, m) };
        if m.is_null() {
            return out;
        }
        // SAFETY: a live map; libbpf returns its NUL-terminated name.
        let name = unsafe { std::ffi::CStr::from_ptr(libbpf_sys::bpf_map__name(m)) };
        out.push(name.to_string_lossy().into_owned());
    }
}

fn rodata_vars(obj: *mut libbpf_sys::bpf_object) -> Vec<String> {
    datasec_vars_where(obj, |s| s == ".rodata")
        .into_iter()
        .map(|v| v.name)
        .collect()
}
