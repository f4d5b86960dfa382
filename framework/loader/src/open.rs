//! Opening an object and preparing it before the kernel sees it:
//! `.rodata` values, verifier log level.

use std::io;
use std::path::{Path, PathBuf};

use libbpf_rs::{ObjectBuilder, OpenObject};

use crate::error::{classify, LoadError, Result, Step};
use crate::extension::{Extension, Obj};
use crate::globals::{bytes_int, encode, var_type, VarType};
use crate::kernel_enums::{wanted, KernelEnum};
use crate::log::capture;
use crate::members;
use crate::obj_btf::{datasec_vars, decl_tags, SecVar};
use crate::sys;

/// Parses `path` with libbpf (no kernel involved), resolving against
/// `kernel_btf` when given; returns libbpf's messages too.
pub(crate) fn open_file(
    path: &Path,
    kernel_btf: Option<&Path>,
) -> (libbpf_rs::Result<OpenObject>, String) {
    capture(|| {
        let mut b = ObjectBuilder::default();
        if let Some(btf) = kernel_btf {
            b.btf_custom_path(btf)?;
        }
        b.open_file(path)
    })
}

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

/// libbpf-rs's error as an `io::Error` with its words (libbpf-rs keeps
/// the kind, not the errno: calls whose errno matters go through `sys`).
pub(crate) fn errno_of(e: &libbpf_rs::Error) -> io::Error {
    io::Error::other(format!("{e:#}"))
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
        let (open, log) = open_file(path, kernel_btf);
        Self::opened(path.to_path_buf(), open, log, kernel_btf)
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
        let mut open = open;
        let kernel_enums = fill_kernel_enums(&mut open, &path, kernel_btf)?;
        Ok(Self {
            path,
            open,
            kernel_btf: kernel_btf.map(Path::to_path_buf),
            log_level: 0,
            kernel_enums,
        })
    }

    /// Globals filled with the kernel's enum values when the object was
    /// opened (see [`KernelEnum`]); `set_var`/`set_rodata` may override them.
    pub fn kernel_enums(&self) -> &[KernelEnum] {
        &self.kernel_enums
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
        let rodata = self.vars(|s| s == ".rodata");
        let Some(v) = rodata.iter().find(|v| v.name == var) else {
            return Err(LoadError::NotInObject {
                object: self.path.clone(),
                what: ".rodata variable",
                name: var.to_string(),
                available: names(&rodata),
            });
        };
        self.write_var(v, value)
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
        let image = self
            .open
            .maps()
            .find(|m| m.name().to_string_lossy() == v.map)
            .and_then(|m| m.initial_value().map(<[u8]>::to_vec))
            .unwrap_or_default();
        image
            .get(v.offset..v.offset + v.size)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| self.image_too_small(&v, image.len()))
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
        let not_found = self.map_not_found(map);
        let mut m = self
            .open
            .maps_mut()
            .find(|m| m.name() == map)
            .ok_or(not_found)?;
        m.set_max_entries(entries).map_err(|e| LoadError::Map {
            map: map.to_string(),
            op: "set max_entries",
            source: errno_of(&e),
        })
    }

    /// The `max_entries` map `map` will be created with.
    pub fn max_entries(&self, map: &str) -> Result<u32> {
        self.open
            .maps()
            .find(|m| m.name() == map)
            .map(|m| m.max_entries())
            .ok_or_else(|| self.map_not_found(map))
    }

    fn map_not_found(&self, map: &str) -> LoadError {
        LoadError::NotInObject {
            object: self.path.clone(),
            what: "map",
            name: map.to_string(),
            available: self
                .open
                .maps()
                .map(|m| m.name().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Variables of the internal maps whose section `keep` accepts.
    fn vars(&self, keep: impl Fn(&str) -> bool) -> Vec<SecVar> {
        sys::open_btf(&self.open)
            .map(|btf| datasec_vars(&btf, map_types(&self.open), keep))
            .unwrap_or_default()
    }

    /// The settable global `var` and its type.
    fn typed_var(&self, var: &str) -> Result<(SecVar, VarType)> {
        let vars = self.vars(settable);
        let Some(v) = vars.iter().find(|v| v.name == var).cloned() else {
            return Err(LoadError::NotInObject {
                object: self.path.clone(),
                what: "global variable",
                name: var.to_string(),
                available: names(&vars),
            });
        };
        let ty = sys::open_btf(&self.open)
            .map(|b| var_type(&b, v.type_id))
            .unwrap_or(VarType::Other("type without BTF".into()));
        Ok((v, ty))
    }

    fn image_too_small(&self, v: &SecVar, len: usize) -> LoadError {
        image_too_small(&self.path, v, len)
    }

    fn write_var(&mut self, v: &SecVar, value: &[u8]) -> Result<()> {
        write_var(&mut self.open, &self.path, v, value)
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
            mut open,
            kernel_btf,
            ..
        } = self;
        let skipped = members::apply(&mut open, &path, kernel_btf.as_deref())?;
        let (obj, log) = capture(|| sys::load(open));
        match obj {
            Ok(obj) => Ok(Extension::new(path, Obj::Owned(obj), log, skipped)),
            Err(errno) => Err(classify(path, Step::Load, errno, log)),
        }
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
fn settable(sec: &str) -> bool {
    [".rodata", ".data", ".bss"]
        .iter()
        .any(|p| sec == *p || sec.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
}

/// (name, BTF value type id) of every map of `open`.
pub(crate) fn map_types(open: &OpenObject) -> Vec<(String, u32)> {
    open.maps()
        .map(|m| {
            (
                m.name().to_string_lossy().into_owned(),
                sys::value_type_id(&m),
            )
        })
        .collect()
}

fn names(vars: &[SecVar]) -> String {
    vars.iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn image_too_small(path: &Path, v: &SecVar, len: usize) -> LoadError {
    LoadError::RodataSize {
        object: path.to_path_buf(),
        var: v.name.clone(),
        expected: v.size,
        given: len,
    }
}

/// Writes `value` as the initial value of global `v` of `open`.
fn write_var(open: &mut OpenObject, path: &Path, v: &SecVar, value: &[u8]) -> Result<()> {
    if value.len() != v.size {
        return Err(image_too_small(path, v, value.len()));
    }
    let mut len = 0;
    let written = open
        .maps_mut()
        .find(|m| m.name().to_string_lossy() == v.map)
        .and_then(|mut m| {
            let image = m.initial_value_mut()?;
            len = image.len();
            image
                .get_mut(v.offset..v.offset + v.size)?
                .copy_from_slice(value);
            Some(())
        });
    written.ok_or_else(|| image_too_small(path, v, len))
}

/// Fills every `.rodata` global of `open` that asks for a kernel
/// enumerator with its value in `kernel_btf` (else the running kernel's),
/// the BTF libbpf will use; what was asked for and found.
pub(crate) fn fill_kernel_enums(
    open: &mut OpenObject,
    path: &Path,
    kernel_btf: Option<&Path>,
) -> Result<Vec<KernelEnum>> {
    let wants: Vec<(SecVar, String, VarType)> = {
        let Some(btf) = sys::open_btf(open) else {
            return Ok(Vec::new());
        };
        datasec_vars(&btf, map_types(open), |s| s == ".rodata")
            .into_iter()
            .filter_map(|v| {
                let tags: Vec<String> = decl_tags(&btf, v.type_id)
                    .into_iter()
                    .filter(|(idx, _)| idx.is_none())
                    .map(|(_, t)| t)
                    .collect();
                let e = wanted(&v.name, &tags)?;
                let ty = var_type(&btf, v.type_id);
                Some((v, e, ty))
            })
            .collect()
    };
    if wants.is_empty() {
        return Ok(Vec::new());
    }
    let kernel = match kernel_btf {
        Some(p) => modless_btf::Btf::open(p, None),
        None => modless_btf::Btf::running_vmlinux(),
    };
    let values = kernel
        .map(|b| b.enum_values(modless_btf::TypeScope::All))
        .unwrap_or_default();
    let mut filled = Vec::new();
    for (v, enumerator, ty) in wants {
        let found = values.get(&enumerator);
        if let Some(k) = found {
            let text = k.value.to_string();
            let (bytes, _) = encode(&ty, &text).map_err(|why| LoadError::BadValue {
                object: path.to_path_buf(),
                var: v.name.clone(),
                ty: ty.to_string(),
                value: format!("{text} (the kernel's {enumerator})"),
                why: format!("{why}; declare it u64 as scx does"),
            })?;
            write_var(open, path, &v, &bytes)?;
        }
        filled.push(KernelEnum {
            var: v.name,
            enumerator,
            enum_name: found.map(|k| k.enum_name.clone()).unwrap_or_default(),
            value: found.map(|k| k.value),
        });
    }
    Ok(filled)
}
