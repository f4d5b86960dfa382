//! Opening an object and preparing it before the kernel sees it:
//! `.rodata` values, verifier log level.

use std::io;
use std::path::{Path, PathBuf};

use libbpf_rs::{AsRawLibbpf, ObjectBuilder, OpenObject};

use crate::error::{classify, LoadError, Result, Step};
use crate::extension::Extension;
use crate::log::capture;
use crate::members;
use crate::obj_btf::datasec_vars;

/// A BPF object opened (parsed) but not loaded: set `.rodata` here.
#[derive(Debug)]
pub struct OpenExtension {
    pub(crate) path: PathBuf,
    pub(crate) open: OpenObject,
    /// The kernel BTF libbpf resolves against, when not the running one.
    kernel_btf: Option<PathBuf>,
    log_level: u32,
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
        Ok(Self {
            path,
            open,
            kernel_btf: kernel_btf.map(Path::to_path_buf),
            log_level: 0,
        })
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
        let (map, offset, size) =
            find_rodata_var(obj, var).ok_or_else(|| LoadError::NotInObject {
                object: self.path.clone(),
                what: ".rodata variable",
                name: var.to_string(),
                available: rodata_vars(obj).join(", "),
            })?;
        if size != value.len() {
            return Err(LoadError::RodataSize {
                object: self.path.clone(),
                var: var.to_string(),
                expected: size,
                given: value.len(),
            });
        }
        let mut len = 0u64;
        // SAFETY: `map` belongs to the open object; for an internal map
        // libbpf returns its `len`-byte initial image, writable until load.
        let data = unsafe { libbpf_sys::bpf_map__initial_value(map, &mut len) };
        if data.is_null() || (offset + size) as u64 > len {
            return Err(LoadError::RodataSize {
                object: self.path.clone(),
                var: var.to_string(),
                expected: size,
                given: value.len(),
            });
        }
        // SAFETY: `offset + size <= len` was checked; the source is `size` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(value.as_ptr(), data.cast::<u8>().add(offset), size)
        };
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

/// The `.rodata` map and the `(offset, size)` of `var` in it.
fn find_rodata_var(
    obj: *mut libbpf_sys::bpf_object,
    var: &str,
) -> Option<(*mut libbpf_sys::bpf_map, usize, usize)> {
    datasec_vars(obj, ".rodata")
        .into_iter()
        .find(|(_, name, _, _, _)| name == var)
        .map(|(map, _, off, size, _)| (map, off, size))
}

fn rodata_vars(obj: *mut libbpf_sys::bpf_object) -> Vec<String> {
    datasec_vars(obj, ".rodata")
        .into_iter()
        .map(|(_, n, _, _, _)| n)
        .collect()
}
