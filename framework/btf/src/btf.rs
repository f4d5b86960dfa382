//! The owned BTF handle: opening raw BTF, ELF BTF and split (module) BTF.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use modless_sys::btf::{RawBtf, TypeRef};

use crate::error::{BtfError, Result};

/// Where the running kernel exposes its BTF.
pub const SYSFS_BTF_DIR: &str = "/sys/kernel/btf";

/// Parsed BTF, owned, with the file it came from.
///
/// Split BTF (a kernel module's) keeps its base alive through an [`Arc`],
/// because libbpf's split BTF points into the base for every base type.
#[derive(Debug)]
pub struct Btf {
    raw: RawBtf,
    base: Option<Arc<Btf>>,
    path: PathBuf,
}

impl AsRef<RawBtf> for Btf {
    fn as_ref(&self) -> &RawBtf {
        &self.raw
    }
}

impl Btf {
    /// Opens BTF from a file, raw (`/sys/kernel/btf/vmlinux`) or ELF (`vmlinux`)
    /// alike; libbpf detects which.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::wrap(RawBtf::parse(&c_path(path)?), None, path)
    }

    /// Opens raw BTF only (the format of `/sys/kernel/btf/*`).
    pub fn from_raw_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::wrap(RawBtf::parse_raw(&c_path(path)?), None, path)
    }

    /// Parses raw BTF held in memory (e.g. the `.BTF` section of a BPF
    /// object embedded in a binary); `name` stands for its path in errors.
    pub fn from_raw_bytes(data: &[u8], name: impl AsRef<Path>) -> Result<Self> {
        Self::wrap(RawBtf::parse_bytes(data), None, name.as_ref())
    }

    /// Opens the `.BTF` section of an ELF file only (`vmlinux`, a `.ko`
    /// without base).
    pub fn from_elf(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        Self::wrap(RawBtf::parse_elf(&c_path(path)?), None, path)
    }

    /// Opens split BTF on top of `base` (usually vmlinux): raw module BTF
    /// from `/sys/kernel/btf/<module>`, or a `.ko`.
    ///
    /// A `.ko` built out of tree by 7.x kbuild carries `.BTF` split against a
    /// *distilled* `.BTF.base`; libbpf (>= 1.5) then relocates the module BTF
    /// onto `base`, so type ids and names refer to the real vmlinux types.
    pub fn from_file_split(path: impl AsRef<Path>, base: Arc<Btf>) -> Result<Self> {
        let path = path.as_ref();
        let raw = RawBtf::parse_split(&c_path(path)?, Arc::clone(&base));
        Self::wrap(raw, Some(base), path)
    }

    /// Opens `path`, split on top of `base_path` when given: the shape of
    /// the CLI's `--btf FILE [--base FILE]`.
    pub fn open(path: impl AsRef<Path>, base_path: Option<&Path>) -> Result<Self> {
        match base_path {
            Some(base) => Self::from_file_split(path, Arc::new(Self::from_file(base)?)),
            None => Self::from_file(path),
        }
    }

    /// The running kernel's BTF, `/sys/kernel/btf/vmlinux`.
    pub fn running_vmlinux() -> Result<Self> {
        Self::from_raw_file(Path::new(SYSFS_BTF_DIR).join("vmlinux"))
    }

    /// A loaded module's BTF, `/sys/kernel/btf/<module>`, split on `vmlinux`.
    pub fn running_module(module: &str, vmlinux: Arc<Btf>) -> Result<Self> {
        Self::from_file_split(Path::new(SYSFS_BTF_DIR).join(module), vmlinux)
    }

    fn wrap(raw: io::Result<RawBtf>, base: Option<Arc<Btf>>, path: &Path) -> Result<Self> {
        let raw = raw.map_err(|source| BtfError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            raw,
            base,
            path: path.to_path_buf(),
        })
    }

    /// The file this BTF was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The base BTF, for split BTF.
    pub fn base(&self) -> Option<&Arc<Btf>> {
        self.base.as_ref()
    }

    /// Number of type ids, base included, plus one for `void` (id 0): valid
    /// ids are `1..type_id_end()`.
    pub fn type_id_end(&self) -> u32 {
        self.raw.type_cnt()
    }

    /// First type id this BTF defines itself: 1, or for split BTF the first
    /// id after its base.
    pub fn first_own_id(&self) -> u32 {
        self.base.as_ref().map_or(1, |b| b.type_id_end())
    }

    pub(crate) fn raw(&self) -> &RawBtf {
        &self.raw
    }

    /// The record of type `id`, or `None` when out of range.
    pub(crate) fn type_ref(&self, id: u32) -> Option<TypeRef<'_>> {
        self.raw.type_by_id(id)
    }
}

fn c_path(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| BtfError::PathHasNul {
        path: path.to_path_buf(),
    })
}
