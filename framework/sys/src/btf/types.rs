//! Read-only views of libbpf's `struct btf_type` records.
//!
//! All pointer arithmetic over the variable-length tails (members, params,
//! decl-tag data) lives here, so users only see slices whose lifetime is
//! tied to the owning [`RawBtf`].

use std::ffi::CStr;

use libbpf_sys::{btf_decl_tag, btf_enum, btf_enum64, btf_member, btf_param, btf_type};

use super::{kind, RawBtf};

/// One type record of a [`RawBtf`], borrowed from it.
#[derive(Clone, Copy)]
pub struct TypeRef<'a> {
    btf: &'a RawBtf,
    /// Its type id.
    pub id: u32,
    t: &'a btf_type,
}

impl std::fmt::Debug for TypeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeRef")
            .field("id", &self.id)
            .field("kind", &self.kind())
            .field("name", &self.name_cstr())
            .finish()
    }
}

impl<'a> TypeRef<'a> {
    /// The record for `id`, or `None` when `id` is out of range.
    pub(super) fn get(btf: &'a RawBtf, id: u32) -> Option<Self> {
        if id == 0 || id >= btf.type_cnt() {
            return None;
        }
        // SAFETY: `btf` is live and `id` is in range (checked above), so
        // libbpf returns a pointer into the BTF's type data (or into its base,
        // which `btf` keeps alive); it stays valid while `btf` is borrowed.
        let t = unsafe { libbpf_sys::btf__type_by_id(btf.as_ptr(), id) };
        // SAFETY: non-NULL pointers from `btf__type_by_id` point to a
        // properly aligned `btf_type` inside the BTF's data.
        unsafe { t.as_ref() }.map(|t| Self { btf, id, t })
    }

    /// `BTF_INFO_KIND`: one of [`kind`]'s.
    pub fn kind(&self) -> u32 {
        (self.t.info >> 24) & 0x1f
    }

    /// `BTF_INFO_VLEN`: members, params, enumerators (or a FUNC's linkage).
    pub fn vlen(&self) -> usize {
        (self.t.info & 0xffff) as usize
    }

    /// `BTF_INFO_KFLAG`.
    pub fn kflag(&self) -> bool {
        self.t.info >> 31 == 1
    }

    /// `size` for structs/unions/ints..., `type` for everything that refers
    /// to another type (the C union in `btf_type`).
    pub fn size_or_type(&self) -> u32 {
        // SAFETY: both union members are plain `u32`s, so reading either is
        // always defined.
        unsafe { self.t.__bindgen_anon_1.type_ }
    }

    /// Its name (empty when anonymous).
    pub fn name_cstr(&self) -> &'a CStr {
        self.btf.str_at(self.t.name_off)
    }

    /// Its name, lossily as a `String`.
    pub fn name(&self) -> String {
        self.name_cstr().to_string_lossy().into_owned()
    }

    /// Members of a STRUCT/UNION (empty for other kinds).
    pub fn members(&self) -> &'a [btf_member] {
        if !matches!(self.kind(), kind::STRUCT | kind::UNION) {
            return &[];
        }
        // SAFETY: libbpf validated the BTF on parse: a STRUCT/UNION record is
        // followed by `vlen` `btf_member`s, 4-byte aligned like `btf_type`,
        // inside the BTF data borrowed for `'a`.
        unsafe { std::slice::from_raw_parts(tail::<btf_member>(self.t), self.vlen()) }
    }

    /// Parameters of a FUNC_PROTO (empty for other kinds).
    pub fn params(&self) -> &'a [btf_param] {
        if self.kind() != kind::FUNC_PROTO {
            return &[];
        }
        // SAFETY: as for `members`: a FUNC_PROTO is followed by `vlen`
        // validated `btf_param`s.
        unsafe { std::slice::from_raw_parts(tail::<btf_param>(self.t), self.vlen()) }
    }

    /// Enumerators of an ENUM/ENUM64 (empty for other kinds), with values
    /// signed or unsigned as `kind_flag` says.
    pub fn enumerators(&self) -> Vec<(&'a CStr, i128)> {
        let signed = self.kflag();
        match self.kind() {
            kind::ENUM => {
                // SAFETY: an ENUM record is followed by `vlen` validated `btf_enum`s.
                let e =
                    unsafe { std::slice::from_raw_parts(tail::<btf_enum>(self.t), self.vlen()) };
                e.iter()
                    .map(|e| {
                        let v = if signed {
                            i128::from(e.val)
                        } else {
                            i128::from(e.val as u32)
                        };
                        (self.btf.str_at(e.name_off), v)
                    })
                    .collect()
            }
            kind::ENUM64 => {
                // SAFETY: an ENUM64 record is followed by `vlen` validated `btf_enum64`s.
                let e =
                    unsafe { std::slice::from_raw_parts(tail::<btf_enum64>(self.t), self.vlen()) };
                e.iter()
                    .map(|e| {
                        let raw = (u64::from(e.val_hi32) << 32) | u64::from(e.val_lo32);
                        let v = if signed {
                            i128::from(raw as i64)
                        } else {
                            i128::from(raw)
                        };
                        (self.btf.str_at(e.name_off), v)
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// `component_idx` of a DECL_TAG (-1 tags the whole type); `None` for
    /// other kinds.
    pub fn decl_tag_component(&self) -> Option<i32> {
        if self.kind() != kind::DECL_TAG {
            return None;
        }
        // SAFETY: a DECL_TAG record is followed by one validated
        // `btf_decl_tag`.
        Some(unsafe { (*tail::<btf_decl_tag>(self.t)).component_idx })
    }
}

/// Pointer to the kind-specific data right after a `btf_type` record.
///
/// # Safety
/// `t` must be a record of a kind whose tail is a `T` array.
unsafe fn tail<T>(t: &btf_type) -> *const T {
    // SAFETY: the caller guarantees the tail exists; one-past-the-record is
    // in bounds of the BTF type data.
    unsafe { (t as *const btf_type).add(1).cast::<T>() }
}

/// Member bit offset and bitfield size, decoding the `kind_flag` layout.
pub fn member_offset(t: &TypeRef<'_>, m: &btf_member) -> (u32, Option<u32>) {
    if t.kflag() {
        let size = m.offset >> 24;
        (m.offset & 0x00ff_ffff, (size != 0).then_some(size))
    } else {
        (m.offset, None)
    }
}
