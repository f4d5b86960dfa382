//! Reading an object's own BTF through libbpf: variables of its data
//! sections, struct members and the decl tags on them.

use std::ffi::CStr;
use std::ptr::NonNull;

/// Variables of the internal map backing section `sec`: (map, name,
/// offset, size, the VAR's type id).
pub(crate) fn datasec_vars(
    obj: *mut libbpf_sys::bpf_object,
    sec: &str,
) -> Vec<(*mut libbpf_sys::bpf_map, String, usize, usize, u32)> {
    datasec_vars_where(obj, |s| s == sec)
        .into_iter()
        .map(|v| (v.map, v.name, v.offset, v.size, v.type_id))
        .collect()
}

/// A variable of an internal map (`.rodata`, `.data`, `.bss`, ...).
#[derive(Debug, Clone)]
pub(crate) struct SecVar {
    pub map: *mut libbpf_sys::bpf_map,
    /// The DATASEC (ELF section) it is in.
    pub section: String,
    pub name: String,
    pub offset: usize,
    pub size: usize,
    /// The VAR's type id.
    pub type_id: u32,
}

/// Variables of every internal map whose section name `keep` accepts.
pub(crate) fn datasec_vars_where(
    obj: *mut libbpf_sys::bpf_object,
    keep: impl Fn(&str) -> bool,
) -> Vec<SecVar> {
    let mut out = Vec::new();
    // SAFETY: `obj` is a live object; the BTF it returns lives as long.
    let btf = unsafe { libbpf_sys::bpf_object__btf(obj) };
    let Some(btf) = NonNull::new(btf) else {
        return out;
    };
    let mut map: *mut libbpf_sys::bpf_map = std::ptr::null_mut();
    loop {
        // SAFETY: `map` is NULL or the previous map of `obj`.
        map = unsafe { libbpf_sys::bpf_object__next_map(obj, map) };
        if map.is_null() {
            break;
        }
        // SAFETY: `map` is a live map of `obj`.
        let type_id = unsafe { libbpf_sys::bpf_map__btf_value_type_id(map) };
        let Some(t) = type_at(btf, type_id) else {
            continue;
        };
        let section = name_at(btf, t.name_off);
        if kind_of(t) != libbpf_sys::BTF_KIND_DATASEC || !keep(&section) {
            continue;
        }
        let vlen = (t.info & 0xffff) as usize;
        // SAFETY: a DATASEC is followed in memory by `vlen` btf_var_secinfo.
        let infos = unsafe {
            std::slice::from_raw_parts(
                (t as *const libbpf_sys::btf_type)
                    .add(1)
                    .cast::<libbpf_sys::btf_var_secinfo>(),
                vlen,
            )
        };
        for vi in infos {
            if let Some(v) = type_at(btf, vi.type_) {
                out.push(SecVar {
                    map,
                    section: section.clone(),
                    name: name_at(btf, v.name_off),
                    offset: vi.offset as usize,
                    size: vi.size as usize,
                    type_id: vi.type_,
                });
            }
        }
    }
    out
}

pub(crate) fn type_at<'a>(
    btf: NonNull<libbpf_sys::btf>,
    id: u32,
) -> Option<&'a libbpf_sys::btf_type> {
    if id == 0 {
        return None;
    }
    // SAFETY: libbpf returns NULL for a bad id, else a type owned by `btf`.
    unsafe { libbpf_sys::btf__type_by_id(btf.as_ptr(), id).as_ref() }
}

pub(crate) fn kind_of(t: &libbpf_sys::btf_type) -> u32 {
    (t.info >> 24) & 0x1f
}

pub(crate) fn name_at(btf: NonNull<libbpf_sys::btf>, off: u32) -> String {
    // SAFETY: libbpf returns a NUL-terminated string owned by `btf`, or NULL.
    let p = unsafe { libbpf_sys::btf__name_by_offset(btf.as_ptr(), off) };
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-NULL and NUL-terminated, as above.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Follows typedefs and qualifiers to the type they name.
pub(crate) fn resolve(
    btf: NonNull<libbpf_sys::btf>,
    mut id: u32,
) -> Option<(u32, &'static libbpf_sys::btf_type)> {
    loop {
        let t = type_at(btf, id)?;
        match kind_of(t) {
            libbpf_sys::BTF_KIND_TYPEDEF
            | libbpf_sys::BTF_KIND_CONST
            | libbpf_sys::BTF_KIND_VOLATILE
            | libbpf_sys::BTF_KIND_RESTRICT
            | libbpf_sys::BTF_KIND_TYPE_TAG
            | libbpf_sys::BTF_KIND_VAR => {
                // SAFETY: for these kinds the union holds the referenced type id.
                id = unsafe { t.__bindgen_anon_1.type_ };
            }
            _ => return Some((id, t)),
        }
    }
}

/// One member of a struct in an object's BTF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjMember {
    pub name: String,
    /// Byte offset in the struct.
    pub offset: usize,
    /// Bytes (0 when BTF cannot size it).
    pub size: usize,
    /// Its BTF type id.
    pub type_id: u32,
    /// Decl tags on the member (`btf_decl_tag("...")`).
    pub tags: Vec<String>,
}

/// The members of struct `id` (after [`resolve`]), with their decl tags;
/// `None` if it is not a struct.
pub(crate) fn struct_members(
    btf: NonNull<libbpf_sys::btf>,
    id: u32,
) -> Option<(String, Vec<ObjMember>)> {
    let (id, t) = resolve(btf, id)?;
    if kind_of(t) != libbpf_sys::BTF_KIND_STRUCT {
        return None;
    }
    let vlen = (t.info & 0xffff) as usize;
    // SAFETY: a STRUCT type is followed in memory by `vlen` btf_member.
    let raw = unsafe {
        std::slice::from_raw_parts(
            (t as *const libbpf_sys::btf_type)
                .add(1)
                .cast::<libbpf_sys::btf_member>(),
            vlen,
        )
    };
    let kflag = t.info >> 31 == 1;
    let mut members: Vec<ObjMember> = raw
        .iter()
        .map(|m| {
            let bits = if kflag {
                m.offset & 0xff_ffff
            } else {
                m.offset
            };
            // SAFETY: `btf` is live; libbpf returns a negative errno for
            // types without a size.
            let size = unsafe { libbpf_sys::btf__resolve_size(btf.as_ptr(), m.type_) };
            ObjMember {
                name: name_at(btf, m.name_off),
                offset: bits as usize / 8,
                size: usize::try_from(size).unwrap_or(0),
                type_id: m.type_,
                tags: Vec::new(),
            }
        })
        .collect();
    for (idx, tag) in decl_tags(btf, id) {
        if let Some(m) = usize::try_from(idx).ok().and_then(|i| members.get_mut(i)) {
            m.tags.push(tag);
        }
    }
    Some((name_at(btf, t.name_off), members))
}

/// The decl tags on type `id`: (component index, -1 for the type itself; tag).
pub(crate) fn decl_tags(btf: NonNull<libbpf_sys::btf>, id: u32) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    // SAFETY: `btf` is live.
    let count = unsafe { libbpf_sys::btf__type_cnt(btf.as_ptr()) };
    for tid in 1..count {
        let Some(tag) = type_at(btf, tid) else {
            continue;
        };
        // SAFETY: for DECL_TAG the union holds the tagged type id.
        if kind_of(tag) != libbpf_sys::BTF_KIND_DECL_TAG
            || unsafe { tag.__bindgen_anon_1.type_ } != id
        {
            continue;
        }
        // SAFETY: a DECL_TAG type is followed by its btf_decl_tag.
        let idx = unsafe {
            (*(tag as *const libbpf_sys::btf_type)
                .add(1)
                .cast::<libbpf_sys::btf_decl_tag>())
            .component_idx
        };
        out.push((idx, name_at(btf, tag.name_off)));
    }
    out
}
