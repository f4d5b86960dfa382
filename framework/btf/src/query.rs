//! Name-based queries returning owned Rust values: structs with members,
//! funcs with C prototypes, kfuncs, and type names.

use std::collections::HashMap;
use std::ffi::CString;

use crate::btf::Btf;
use crate::dump::Dumper;
use crate::error::{BtfError, Result};
use crate::raw::{kind, member_offset};

/// The `DECL_TAG` that resolve_btfids puts on every kfunc.
pub const KFUNC_DECL_TAG: &str = "bpf_kfunc";

/// An enumerator's value and the enum it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    /// The enum's name (empty for an anonymous enum).
    pub enum_name: String,
    /// Its value, signed or unsigned as the enum is.
    pub value: i128,
}

/// Which type ids of a (possibly split) BTF to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TypeScope {
    /// Every type, base types included.
    #[default]
    All,
    /// Only types the BTF defines itself: for module BTF, not vmlinux's.
    Own,
}

/// BTF type kind (`BTF_KIND_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum TypeKind {
    Int,
    Ptr,
    Array,
    Struct,
    Union,
    Enum,
    Fwd,
    Typedef,
    Volatile,
    Const,
    Restrict,
    Func,
    FuncProto,
    Var,
    Datasec,
    Float,
    DeclTag,
    TypeTag,
    Enum64,
    /// A kind this crate does not know (newer kernel).
    Other(u32),
}

impl TypeKind {
    fn from_raw(k: u32) -> Self {
        use modless_sys::btf::kind as s;
        match k {
            s::BTF_KIND_INT => Self::Int,
            s::BTF_KIND_PTR => Self::Ptr,
            s::BTF_KIND_ARRAY => Self::Array,
            s::BTF_KIND_STRUCT => Self::Struct,
            s::BTF_KIND_UNION => Self::Union,
            s::BTF_KIND_ENUM => Self::Enum,
            s::BTF_KIND_FWD => Self::Fwd,
            s::BTF_KIND_TYPEDEF => Self::Typedef,
            s::BTF_KIND_VOLATILE => Self::Volatile,
            s::BTF_KIND_CONST => Self::Const,
            s::BTF_KIND_RESTRICT => Self::Restrict,
            s::BTF_KIND_FUNC => Self::Func,
            s::BTF_KIND_FUNC_PROTO => Self::FuncProto,
            s::BTF_KIND_VAR => Self::Var,
            s::BTF_KIND_DATASEC => Self::Datasec,
            s::BTF_KIND_FLOAT => Self::Float,
            s::BTF_KIND_DECL_TAG => Self::DeclTag,
            s::BTF_KIND_TYPE_TAG => Self::TypeTag,
            s::BTF_KIND_ENUM64 => Self::Enum64,
            other => Self::Other(other),
        }
    }
}

/// A named type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeName {
    /// BTF type id.
    pub id: u32,
    /// Its kind.
    pub kind: TypeKind,
    /// Its name.
    pub name: String,
}

/// A struct or union with its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructInfo {
    /// BTF type id.
    pub id: u32,
    /// Name (without the `struct` keyword).
    pub name: String,
    /// `true` for a union.
    pub is_union: bool,
    /// `sizeof`, in bytes.
    pub size: u32,
    /// Members in declaration order.
    pub members: Vec<Member>,
}

impl StructInfo {
    /// The member called `name`, if any (anonymous members are not searched).
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// One struct/union member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Member name; empty for an anonymous struct/union member.
    pub name: String,
    /// Offset from the start of the struct, in bits.
    pub offset_bits: u32,
    /// Width for bitfields.
    pub bitfield_bits: Option<u32>,
    /// BTF id of the member type.
    pub type_id: u32,
    /// The type as C, without the name: `struct sock *`, `char[16]`.
    pub c_type: String,
    /// The member declared as C: `char comm[16]`, `u32 (*ssthresh)(struct sock *)`.
    pub c_decl: String,
}

/// Linkage of a BTF FUNC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linkage {
    /// `static`.
    Static,
    /// Global definition.
    Global,
    /// `extern` declaration.
    Extern,
    /// Unknown linkage value.
    Other(u32),
}

/// A function with its prototype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncInfo {
    /// BTF id of the FUNC.
    pub id: u32,
    /// Function name.
    pub name: String,
    /// Linkage recorded in BTF.
    pub linkage: Linkage,
    /// Whole prototype as C, no trailing `;`: `int bpf_foo(struct bar *p, int x)`.
    pub proto_c: String,
    /// Return type as C.
    pub return_c: String,
    /// Parameters.
    pub params: Vec<Param>,
    /// Names of whole-function DECL_TAGs (`bpf_kfunc`, `bpf_fastcall`, ...).
    pub decl_tags: Vec<String>,
}

impl FuncInfo {
    /// Whether resolve_btfids tagged this FUNC as a kfunc.
    pub fn is_kfunc(&self) -> bool {
        self.decl_tags.iter().any(|t| t == KFUNC_DECL_TAG)
    }
}

/// One function parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Parameter name (may be empty).
    pub name: String,
    /// BTF id of its type.
    pub type_id: u32,
    /// The type as C.
    pub c_type: String,
}

impl Btf {
    fn ids(&self, scope: TypeScope) -> std::ops::Range<u32> {
        let first = match scope {
            TypeScope::All => 1,
            TypeScope::Own => self.first_own_id(),
        };
        first..self.type_id_end()
    }

    /// Named types in id order.
    pub fn type_names(&self, scope: TypeScope) -> Vec<TypeName> {
        self.ids(scope)
            .filter_map(|id| self.type_ref(id))
            .filter(|t| !t.name_cstr().is_empty())
            .map(|t| TypeName {
                id: t.id,
                kind: TypeKind::from_raw(t.kind()),
                name: t.name(),
            })
            .collect()
    }

    /// The first type id with this name and raw kind (`btf__find_by_name_kind`).
    fn find_id(&self, name: &str, raw_kind: u32) -> Result<Option<u32>> {
        let c = CString::new(name).map_err(|_| BtfError::NameHasNul { name: name.into() })?;
        Ok(self.raw().find_by_name_kind(&c, raw_kind))
    }

    /// Every enumerator of every enum, by name (the first enum defining a
    /// name wins, as C's one namespace for enumerators has it).
    pub fn enum_values(&self, scope: TypeScope) -> HashMap<String, EnumValue> {
        let mut out = HashMap::new();
        for t in self.ids(scope).filter_map(|id| self.type_ref(id)) {
            if !matches!(t.kind(), kind::ENUM | kind::ENUM64) {
                continue;
            }
            for (name, value) in t.enumerators() {
                out.entry(name.to_string_lossy().into_owned())
                    .or_insert_with(|| EnumValue {
                        enum_name: t.name(),
                        value,
                    });
            }
        }
        out
    }

    /// Looks up `struct <name>` (or, failing that, `union <name>`).
    pub fn find_struct(&self, name: &str) -> Result<StructInfo> {
        let id = match self.find_id(name, kind::STRUCT)? {
            Some(id) => id,
            None => self
                .find_id(name, kind::UNION)?
                .ok_or_else(|| self.not_found("struct", name))?,
        };
        self.struct_info(id)
    }

    fn struct_info(&self, id: u32) -> Result<StructInfo> {
        let t = self
            .type_ref(id)
            .ok_or_else(|| self.not_found("type id", &id.to_string()))?;
        let mut d = Dumper::new(self)?;
        let members = t
            .members()
            .iter()
            .map(|m| {
                let name = crate::raw::str_at(self, m.name_off)
                    .to_string_lossy()
                    .into_owned();
                let (offset_bits, bitfield_bits) = member_offset(&t, m);
                let field = (!name.is_empty()).then_some(name.as_str());
                Ok(Member {
                    offset_bits,
                    bitfield_bits,
                    type_id: m.type_,
                    c_type: d.render_decl(m.type_, None)?,
                    c_decl: d.render_decl(m.type_, field)?,
                    name,
                })
            })
            .collect::<Result<_>>()?;
        Ok(StructInfo {
            id,
            name: t.name(),
            is_union: t.kind() == kind::UNION,
            size: t.size_or_type(),
            members,
        })
    }

    /// Looks up the FUNC `name` and renders its prototype.
    pub fn find_func(&self, name: &str) -> Result<FuncInfo> {
        let id = self
            .find_id(name, kind::FUNC)?
            .ok_or_else(|| self.not_found("func", name))?;
        let tags = self.func_decl_tags(TypeScope::All);
        self.func_info(id, &tags, &mut Dumper::new(self)?)
    }

    /// Every FUNC carrying the `bpf_kfunc` DECL_TAG, in id order.
    pub fn kfuncs(&self, scope: TypeScope) -> Result<Vec<FuncInfo>> {
        let tags = self.func_decl_tags(scope);
        let mut ids: Vec<u32> = tags
            .iter()
            .filter(|(_, t)| t.iter().any(|t| t == KFUNC_DECL_TAG))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        let mut d = Dumper::new(self)?;
        ids.into_iter()
            .map(|id| self.func_info(id, &tags, &mut d))
            .collect()
    }

    /// Whole-declaration DECL_TAG names per FUNC id, for tags within `scope`.
    fn func_decl_tags(&self, scope: TypeScope) -> HashMap<u32, Vec<String>> {
        let mut tags: HashMap<u32, Vec<String>> = HashMap::new();
        for t in self.ids(scope).filter_map(|id| self.type_ref(id)) {
            if t.decl_tag_component() != Some(-1) {
                continue;
            }
            let target = t.size_or_type();
            if self
                .type_ref(target)
                .is_some_and(|f| f.kind() == kind::FUNC)
            {
                tags.entry(target).or_default().push(t.name());
            }
        }
        tags
    }

    fn func_info(
        &self,
        id: u32,
        tags: &HashMap<u32, Vec<String>>,
        d: &mut Dumper<'_>,
    ) -> Result<FuncInfo> {
        let f = self
            .type_ref(id)
            .ok_or_else(|| self.not_found("type id", &id.to_string()))?;
        let name = f.name();
        let proto_id = f.size_or_type();
        let proto = self
            .type_ref(proto_id)
            .ok_or_else(|| self.not_found("func proto of", &name))?;
        let params = proto
            .params()
            .iter()
            .map(|p| {
                Ok(Param {
                    name: crate::raw::str_at(self, p.name_off)
                        .to_string_lossy()
                        .into_owned(),
                    type_id: p.type_,
                    c_type: d.render_decl(p.type_, None)?,
                })
            })
            .collect::<Result<_>>()?;
        let linkage = match f.vlen() as u32 {
            kind::FUNC_STATIC => Linkage::Static,
            kind::FUNC_GLOBAL => Linkage::Global,
            kind::FUNC_EXTERN => Linkage::Extern,
            other => Linkage::Other(other),
        };
        Ok(FuncInfo {
            id,
            proto_c: d.render_decl(proto_id, Some(&name))?,
            return_c: d.render_decl(proto.size_or_type(), None)?,
            params,
            linkage,
            decl_tags: tags.get(&id).cloned().unwrap_or_default(),
            name,
        })
    }

    fn not_found(&self, kind: &'static str, name: &str) -> BtfError {
        BtfError::NotFound {
            kind,
            name: name.into(),
            path: self.path().to_path_buf(),
        }
    }
}
