//! Reading an object's own BTF (through libbpf-rs's BTF view, borrowed
//! from the object): variables of its data sections, struct members and
//! the decl tags on them.

use libbpf_rs::btf::{types, Btf, BtfKind, BtfType, TypeId};
use libbpf_rs::{HasSize, ReferencesType};

/// A variable of an internal map (`.rodata`, `.data`, `.bss`, ...).
#[derive(Debug, Clone)]
pub(crate) struct SecVar {
    /// The map holding it.
    pub map: String,
    /// The DATASEC (ELF section) it is in.
    pub section: String,
    pub name: String,
    pub offset: usize,
    pub size: usize,
    /// The VAR's type id.
    pub type_id: u32,
}

pub(crate) fn name_of(t: &BtfType<'_>) -> String {
    t.name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Variables of every internal map whose section name `keep` accepts;
/// `maps` are (map name, BTF value type id) pairs.
pub(crate) fn datasec_vars(
    btf: &Btf<'_>,
    maps: impl IntoIterator<Item = (String, u32)>,
    keep: impl Fn(&str) -> bool,
) -> Vec<SecVar> {
    let mut out = Vec::new();
    for (map, tid) in maps {
        let Some(sec) = btf.type_by_id::<types::DataSec<'_>>(TypeId::from(tid)) else {
            continue;
        };
        let section = name_of(&sec);
        if !keep(&section) {
            continue;
        }
        for vi in (0..sec.len()).filter_map(|i| sec.get(i)) {
            if let Some(v) = btf.type_by_id::<BtfType<'_>>(vi.ty) {
                out.push(SecVar {
                    map: map.clone(),
                    section: section.clone(),
                    name: name_of(&v),
                    offset: vi.offset as usize,
                    size: vi.size,
                    type_id: vi.ty.into(),
                });
            }
        }
    }
    out
}

/// Follows typedefs, qualifiers and VARs to the type they name.
pub(crate) fn resolve<'b>(btf: &'b Btf<'_>, id: u32) -> Option<BtfType<'b>> {
    let mut t = btf.type_by_id::<BtfType<'_>>(TypeId::from(id))?;
    while t.is_mod() || matches!(t.kind(), BtfKind::Typedef | BtfKind::Var) {
        t = t.next_type()?;
    }
    (t.kind() != BtfKind::Void).then_some(t)
}

/// Bytes of type `id` (0 when BTF cannot size it).
pub(crate) fn size_of(btf: &Btf<'_>, id: u32) -> usize {
    let Some(t) = resolve(btf, id) else {
        return 0;
    };
    match t.kind() {
        BtfKind::Ptr => btf.ptr_size().map_or(8, usize::from),
        BtfKind::Array => types::Array::try_from(t)
            .map(|a| a.capacity() * size_of(btf, a.ty().into()))
            .unwrap_or(0),
        BtfKind::Int => types::Int::try_from(t).map_or(0, |i| i.size()),
        BtfKind::Enum => types::Enum::try_from(t).map_or(0, |e| e.size()),
        BtfKind::Enum64 => types::Enum64::try_from(t).map_or(0, |e| e.size()),
        BtfKind::Struct => types::Struct::try_from(t).map_or(0, |s| s.size()),
        BtfKind::Union => types::Union::try_from(t).map_or(0, |u| u.size()),
        BtfKind::Float => types::Float::try_from(t).map_or(0, |f| f.size()),
        _ => 0,
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
pub(crate) fn struct_members(btf: &Btf<'_>, id: u32) -> Option<(String, Vec<ObjMember>)> {
    let t = resolve(btf, id)?;
    let s = types::Struct::try_from(t).ok()?;
    let mut members: Vec<ObjMember> = (0..s.len())
        .filter_map(|i| s.get(i))
        .map(|m| {
            let bits = match m.attr {
                types::MemberAttr::Normal { offset }
                | types::MemberAttr::BitField { offset, .. } => offset,
            };
            ObjMember {
                name: m
                    .name
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                offset: bits as usize / 8,
                size: size_of(btf, m.ty.into()),
                type_id: m.ty.into(),
                tags: Vec::new(),
            }
        })
        .collect();
    for (idx, tag) in decl_tags(btf, t.type_id().into()) {
        if let Some(m) = idx.and_then(|i| members.get_mut(i as usize)) {
            m.tags.push(tag);
        }
    }
    Some((name_of(&t), members))
}

/// The decl tags on type `id`: (component index, `None` for the type
/// itself; tag).
pub(crate) fn decl_tags(btf: &Btf<'_>, id: u32) -> Vec<(Option<u32>, String)> {
    btf.type_by_kind::<types::DeclTag<'_>>()
        .filter(|tag| u32::from(tag.referenced_type_id()) == id)
        .map(|tag| (tag.component_index(), name_of(&tag)))
        .collect()
}

/// Whether type `id` is a pointer to a function (an ops member).
pub(crate) fn is_func_ptr(btf: &Btf<'_>, id: u32) -> bool {
    resolve(btf, id)
        .filter(|t| t.kind() == BtfKind::Ptr)
        .and_then(|p| p.next_type())
        .and_then(|to| resolve(btf, to.type_id().into()))
        .is_some_and(|f| f.kind() == BtfKind::FuncProto)
}
