//! libbpf's `struct btf`: an owned handle, read-only views of its type
//! records ([`TypeRef`]) and its C printer ([`Dump`]).

mod dump;
mod types;

use std::ffi::CStr;
use std::fmt;
use std::io;
use std::ptr::NonNull;
use std::sync::Arc;

pub use dump::Dump;
pub use libbpf_sys::{btf_member, btf_param};
pub use types::{member_offset, TypeRef};

/// BTF kinds (values of `BTF_INFO_KIND`) and FUNC linkages modless inspects.
pub mod kind {
    #![allow(missing_docs)]
    pub const ENUM: u32 = libbpf_sys::BTF_KIND_ENUM;
    pub const ENUM64: u32 = libbpf_sys::BTF_KIND_ENUM64;
    pub const STRUCT: u32 = libbpf_sys::BTF_KIND_STRUCT;
    pub const UNION: u32 = libbpf_sys::BTF_KIND_UNION;
    pub const FUNC: u32 = libbpf_sys::BTF_KIND_FUNC;
    pub const FUNC_PROTO: u32 = libbpf_sys::BTF_KIND_FUNC_PROTO;
    pub const DECL_TAG: u32 = libbpf_sys::BTF_KIND_DECL_TAG;
    pub const FUNC_STATIC: u32 = libbpf_sys::BTF_FUNC_STATIC;
    pub const FUNC_GLOBAL: u32 = libbpf_sys::BTF_FUNC_GLOBAL;
    pub const FUNC_EXTERN: u32 = libbpf_sys::BTF_FUNC_EXTERN;
    pub use libbpf_sys::{
        BTF_KIND_ARRAY, BTF_KIND_CONST, BTF_KIND_DATASEC, BTF_KIND_DECL_TAG, BTF_KIND_ENUM,
        BTF_KIND_ENUM64, BTF_KIND_FLOAT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_FWD,
        BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_RESTRICT, BTF_KIND_STRUCT, BTF_KIND_TYPEDEF,
        BTF_KIND_TYPE_TAG, BTF_KIND_UNION, BTF_KIND_VAR, BTF_KIND_VOLATILE,
    };
}

/// What a split BTF keeps alive: its base, in whatever owns it.
type Base = Arc<dyn AsRef<RawBtf> + Send + Sync>;

/// Parsed BTF, owned; freed with `btf__free` on drop. Split BTF (a
/// module's) holds its base, because libbpf's split BTF points into it.
pub struct RawBtf {
    raw: NonNull<libbpf_sys::btf>,
    _base: Option<Base>,
}

// SAFETY: `RawBtf` exposes only read-only libbpf calls (type/name/string
// look-ups, `btf_dump` over a const BTF), which keep no hidden mutable state
// in the BTF object; the base it points into is kept alive and immutable by
// the `Arc`. Nothing is thread-local, so moving and sharing across threads
// is sound.
unsafe impl Send for RawBtf {}
// SAFETY: see `Send` above: every `&self` method is a pure read.
unsafe impl Sync for RawBtf {}

impl fmt::Debug for RawBtf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBtf")
            .field("types", &self.type_cnt())
            .field("split", &self._base.is_some())
            .finish()
    }
}

impl AsRef<RawBtf> for RawBtf {
    fn as_ref(&self) -> &RawBtf {
        self
    }
}

impl RawBtf {
    /// BTF from a file, raw (`/sys/kernel/btf/vmlinux`) or ELF (`vmlinux`)
    /// alike; libbpf detects which.
    pub fn parse(path: &CStr) -> io::Result<Self> {
        // SAFETY: `path` is NUL-terminated for the call; a NULL `btf_ext`
        // out-pointer asks libbpf not to return .BTF.ext.
        let raw = unsafe { libbpf_sys::btf__parse(path.as_ptr(), std::ptr::null_mut()) };
        Self::wrap(raw, None)
    }

    /// Raw BTF only (the format of `/sys/kernel/btf/*`).
    pub fn parse_raw(path: &CStr) -> io::Result<Self> {
        // SAFETY: `path` is NUL-terminated for the call.
        let raw = unsafe { libbpf_sys::btf__parse_raw(path.as_ptr()) };
        Self::wrap(raw, None)
    }

    /// Raw BTF held in memory (e.g. an embedded object's `.BTF` section);
    /// libbpf copies it.
    pub fn parse_bytes(data: &[u8]) -> io::Result<Self> {
        let size =
            u32::try_from(data.len()).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
        // SAFETY: `data` is valid for `size` bytes for the call's duration,
        // and libbpf copies it into the BTF object it returns.
        let raw = unsafe { libbpf_sys::btf__new(data.as_ptr().cast(), size) };
        Self::wrap(raw, None)
    }

    /// The `.BTF` section of an ELF file only.
    pub fn parse_elf(path: &CStr) -> io::Result<Self> {
        // SAFETY: as for `parse`.
        let raw = unsafe { libbpf_sys::btf__parse_elf(path.as_ptr(), std::ptr::null_mut()) };
        Self::wrap(raw, None)
    }

    /// Split BTF (raw module BTF or a `.ko`) on top of `base`, which it
    /// keeps alive. A `.ko` built by 7.x kbuild carries `.BTF` split against
    /// a distilled `.BTF.base`; libbpf (>= 1.5) relocates it onto `base`.
    pub fn parse_split<B: AsRef<RawBtf> + Send + Sync + 'static>(
        path: &CStr,
        base: Arc<B>,
    ) -> io::Result<Self> {
        let base_raw = (*base).as_ref().raw;
        // SAFETY: `path` is valid for the call; `base_raw` is a live BTF the
        // result may keep pointing to, which stays alive in `_base`. libbpf
        // only reads the base (the `*mut` in the signature is historical).
        let raw = unsafe { libbpf_sys::btf__parse_split(path.as_ptr(), base_raw.as_ptr()) };
        Self::wrap(raw, Some(base))
    }

    fn wrap(raw: *mut libbpf_sys::btf, base: Option<Base>) -> io::Result<Self> {
        // libbpf 1.x returns NULL and sets errno on failure; read it first.
        let err = io::Error::last_os_error();
        NonNull::new(raw)
            .map(|raw| Self { raw, _base: base })
            .ok_or(err)
    }

    /// Number of type ids, base included, plus one for `void` (id 0).
    pub fn type_cnt(&self) -> u32 {
        // SAFETY: `self.raw` is a live BTF owned by `self`.
        unsafe { libbpf_sys::btf__type_cnt(self.raw.as_ptr()) }
    }

    /// The first type id with this name and raw kind.
    pub fn find_by_name_kind(&self, name: &CStr, kind: u32) -> Option<u32> {
        // SAFETY: `self` is live and `name` NUL-terminated for the call.
        let id =
            unsafe { libbpf_sys::btf__find_by_name_kind(self.raw.as_ptr(), name.as_ptr(), kind) };
        u32::try_from(id).ok().filter(|&id| id > 0)
    }

    /// The string at `off` in the string section (base strings included);
    /// empty for an invalid offset.
    pub fn str_at(&self, off: u32) -> &CStr {
        // SAFETY: `self` is live; libbpf returns NULL for an invalid offset,
        // otherwise a NUL-terminated string inside the BTF data.
        let p = unsafe { libbpf_sys::btf__name_by_offset(self.raw.as_ptr(), off) };
        if p.is_null() {
            return c"";
        }
        // SAFETY: non-NULL, NUL-terminated, lives as long as `self`.
        unsafe { CStr::from_ptr(p) }
    }

    /// The record of type `id`, or `None` when out of range.
    pub fn type_by_id(&self, id: u32) -> Option<TypeRef<'_>> {
        TypeRef::get(self, id)
    }

    fn as_ptr(&self) -> *const libbpf_sys::btf {
        self.raw.as_ptr()
    }
}

impl Drop for RawBtf {
    fn drop(&mut self) {
        // SAFETY: `self.raw` came from a libbpf constructor and is freed only
        // here; any split BTF using `self` as base holds an `Arc` to it, so
        // none can outlive this call.
        unsafe { libbpf_sys::btf__free(self.raw.as_ptr()) }
    }
}
