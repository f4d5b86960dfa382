use std::fmt;

/// Kernel scalar types (x86-64 / arm64 LP64 sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    Int,
    UInt,
    Long,
    ULong,
    Bool,
    /// The kernel builds with `-funsigned-char`.
    Char,
    SizeT,
}

impl Scalar {
    pub const ALL: [Scalar; 15] = [
        Scalar::U8,
        Scalar::U16,
        Scalar::U32,
        Scalar::U64,
        Scalar::S8,
        Scalar::S16,
        Scalar::S32,
        Scalar::S64,
        Scalar::Int,
        Scalar::UInt,
        Scalar::Long,
        Scalar::ULong,
        Scalar::Bool,
        Scalar::Char,
        Scalar::SizeT,
    ];

    pub fn c_name(self) -> &'static str {
        match self {
            Scalar::U8 => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 => "u32",
            Scalar::U64 => "u64",
            Scalar::S8 => "s8",
            Scalar::S16 => "s16",
            Scalar::S32 => "s32",
            Scalar::S64 => "s64",
            Scalar::Int => "int",
            Scalar::UInt => "unsigned int",
            Scalar::Long => "long",
            Scalar::ULong => "unsigned long",
            Scalar::Bool => "bool",
            Scalar::Char => "char",
            Scalar::SizeT => "size_t",
        }
    }

    /// The `#[repr(C)]`-compatible Rust type.
    pub fn rust_name(self) -> &'static str {
        match self {
            Scalar::U8 | Scalar::Char => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 | Scalar::UInt => "u32",
            Scalar::U64 | Scalar::ULong | Scalar::SizeT => "u64",
            Scalar::S8 => "i8",
            Scalar::S16 => "i16",
            Scalar::S32 | Scalar::Int => "i32",
            Scalar::S64 | Scalar::Long => "i64",
            Scalar::Bool => "bool",
        }
    }

    pub fn size(self) -> usize {
        match self {
            Scalar::U8 | Scalar::S8 | Scalar::Bool | Scalar::Char => 1,
            Scalar::U16 | Scalar::S16 => 2,
            Scalar::U32 | Scalar::S32 | Scalar::Int | Scalar::UInt => 4,
            Scalar::U64 | Scalar::S64 | Scalar::Long | Scalar::ULong | Scalar::SizeT => 8,
        }
    }

    pub fn is_signed(self) -> bool {
        matches!(
            self,
            Scalar::S8 | Scalar::S16 | Scalar::S32 | Scalar::S64 | Scalar::Int | Scalar::Long
        )
    }

    /// Integer types usable for flags, values and return codes.
    pub fn is_integer(self) -> bool {
        !matches!(self, Scalar::Bool | Scalar::Char)
    }

    /// Inclusive value range.
    pub fn range(self) -> (i128, i128) {
        let bits = self.size() as u32 * 8;
        match self {
            Scalar::Bool => (0, 1),
            _ if self.is_signed() => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
            _ => (0, (1i128 << bits) - 1),
        }
    }

    pub fn from_words(words: &[&str]) -> Option<Scalar> {
        Some(match words {
            ["u8"] | ["__u8"] => Scalar::U8,
            ["u16"] | ["__u16"] => Scalar::U16,
            ["u32"] | ["__u32"] => Scalar::U32,
            ["u64"] | ["__u64"] => Scalar::U64,
            ["s8"] | ["__s8"] => Scalar::S8,
            ["s16"] | ["__s16"] => Scalar::S16,
            ["s32"] | ["__s32"] => Scalar::S32,
            ["s64"] | ["__s64"] => Scalar::S64,
            ["int"] | ["signed", "int"] | ["signed"] => Scalar::Int,
            ["unsigned", "int"] | ["unsigned"] => Scalar::UInt,
            ["long"] | ["long", "int"] | ["signed", "long"] => Scalar::Long,
            ["unsigned", "long"] | ["unsigned", "long", "int"] => Scalar::ULong,
            ["bool"] | ["_Bool"] => Scalar::Bool,
            ["char"] => Scalar::Char,
            ["size_t"] => Scalar::SizeT,
            _ => return None,
        })
    }
}

/// A C type as far as a declaration needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CType {
    Void,
    Scalar(Scalar),
    /// `struct <tag>` by value.
    Struct(String),
    Ptr {
        to: Box<CType>,
        is_const: bool,
    },
    Array {
        of: Box<CType>,
        len: usize,
    },
}

impl CType {
    pub fn ptr_to(to: CType) -> CType {
        CType::Ptr {
            to: Box::new(to),
            is_const: false,
        }
    }

    pub fn struct_ptr(tag: &str) -> CType {
        CType::ptr_to(CType::Struct(tag.to_string()))
    }

    pub fn is_void(&self) -> bool {
        matches!(self, CType::Void)
    }

    pub fn is_pointer(&self) -> bool {
        matches!(self, CType::Ptr { .. })
    }

    /// `Some(tag)` for `struct tag *`.
    pub fn struct_ptr_tag(&self) -> Option<&str> {
        match self {
            CType::Ptr { to, .. } => match to.as_ref() {
                CType::Struct(tag) => Some(tag),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn scalar(&self) -> Option<Scalar> {
        match self {
            CType::Scalar(s) => Some(*s),
            _ => None,
        }
    }

    /// Size in bytes; `None` for `void` and for structs (their size lives
    /// in the declaration, see [`crate::StructDef`]).
    pub fn size(&self) -> Option<usize> {
        match self {
            CType::Void | CType::Struct(_) => None,
            CType::Scalar(s) => Some(s.size()),
            CType::Ptr { .. } => Some(8),
            CType::Array { of, len } => of.size().map(|s| s * len),
        }
    }

    /// Every struct tag this type mentions.
    pub fn struct_tags(&self) -> Vec<&str> {
        match self {
            CType::Struct(tag) => vec![tag.as_str()],
            CType::Ptr { to, .. } => to.struct_tags(),
            CType::Array { of, .. } => of.struct_tags(),
            _ => vec![],
        }
    }

    /// Prints a declaration of `name` with this type (`name` may be empty).
    pub fn declare(&self, name: &str) -> String {
        let (base, declarator) = self.split_declarator(name.to_string());
        if declarator.is_empty() {
            base
        } else {
            format!("{base} {declarator}")
        }
    }

    fn split_declarator(&self, inner: String) -> (String, String) {
        match self {
            CType::Void => ("void".into(), inner),
            CType::Scalar(s) => (s.c_name().into(), inner),
            CType::Struct(tag) => (format!("struct {tag}"), inner),
            CType::Ptr { to, is_const } => {
                let (base, decl) = to.split_declarator(format!("*{inner}"));
                let base = if *is_const {
                    format!("const {base}")
                } else {
                    base
                };
                (base, decl)
            }
            CType::Array { of, len } => of.split_declarator(format!("{inner}[{len}]")),
        }
    }
}

impl fmt::Display for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.declare("").trim_end())
    }
}

/// `type name`, e.g. a struct field or an ops data member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decl {
    pub ty: CType,
    pub name: String,
}

impl Decl {
    pub fn new(ty: CType, name: &str) -> Self {
        Decl {
            ty,
            name: name.to_string(),
        }
    }
}

impl fmt::Display for Decl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ty.declare(&self.name))
    }
}

/// A function parameter; the name is required because the verifier reads
/// suffixes such as `__ref` and `__nullable` from it.
pub type Param = Decl;

/// A function prototype (kfunc, hook site, or ops member).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FuncProto {
    pub ret: CType,
    pub name: String,
    pub params: Vec<Param>,
}

impl FuncProto {
    /// `ret name(params)` with `name` replaced.
    pub fn render_named(&self, name: &str) -> String {
        let params = self.render_params();
        self.ret.declare(&format!("{name}({params})"))
    }

    /// `prefix ret name(params)suffix`, wrapped at 80 columns.
    pub fn render_wrapped(&self, prefix: &str, name: &str, suffix: &str) -> String {
        let head = format!("{prefix}{}", self.ret.declare(&format!("{name}(")));
        let params: Vec<String> = if self.params.is_empty() {
            vec!["void".into()]
        } else {
            self.params.iter().map(|p| p.to_string()).collect()
        };
        crate::cfmt::wrapped(&head, &params, &format!("){suffix}"))
    }

    /// `ret (*name)(params)`.
    pub fn render_fn_ptr(&self) -> String {
        let params = self.render_params();
        self.ret.declare(&format!("(*{})({params})", self.name))
    }

    pub fn render_params(&self) -> String {
        if self.params.is_empty() {
            "void".into()
        } else {
            self.params
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    pub fn arg_names(&self) -> Vec<&str> {
        self.params.iter().map(|p| p.name.as_str()).collect()
    }
}

impl fmt::Display for FuncProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_named(&self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_in_c_syntax() {
        assert_eq!(
            CType::struct_ptr("jobd_job").declare("job"),
            "struct jobd_job *job"
        );
        let arr = CType::Array {
            of: Box::new(CType::Scalar(Scalar::Char)),
            len: 16,
        };
        assert_eq!(arr.declare("name"), "char name[16]");
        let cstr = CType::Ptr {
            to: Box::new(CType::Scalar(Scalar::Char)),
            is_const: true,
        };
        assert_eq!(cstr.declare("s"), "const char *s");
        let pp = CType::ptr_to(CType::struct_ptr("sk_buff"));
        assert_eq!(pp.declare("to_free"), "struct sk_buff **to_free");
    }

    #[test]
    fn renders_prototypes() {
        let p = FuncProto {
            ret: CType::struct_ptr("jobd_job"),
            name: "bpf_jobd_job_acquire".into(),
            params: vec![Decl::new(CType::Scalar(Scalar::U64), "id")],
        };
        assert_eq!(
            p.to_string(),
            "struct jobd_job *bpf_jobd_job_acquire(u64 id)"
        );
        let v = FuncProto {
            ret: CType::Void,
            name: "f".into(),
            params: vec![],
        };
        assert_eq!(v.render_fn_ptr(), "void (*f)(void)");
    }

    #[test]
    fn scalar_ranges() {
        assert_eq!(Scalar::S32.range(), (-(1 << 31), (1 << 31) - 1));
        assert_eq!(Scalar::U8.range(), (0, 255));
        assert!(Scalar::Int.is_signed() && !Scalar::U64.is_signed());
    }
}
