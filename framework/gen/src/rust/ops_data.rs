//! The ops table's data members as a typed view over a skeleton's ops map:
//! libbpf-cargo types the map's struct from the object's BTF; the view adds
//! the declaration's rules, checked before libbpf writes the table.
//!
//! The view borrows each member of the skeleton's struct, so it assumes no
//! layout: a macro connects each skeleton, and a skeleton whose struct lacks
//! a declared member, or types it otherwise, does not compile.

use std::fmt::Write;

use modless_decl::ctypes::{CType, Scalar};
use modless_decl::reserved::rust_ident;
use modless_decl::struct_ops::{DataKind, DataMember, Names, OpsTable};

/// A member's type as libbpf-cargo writes it (C `char` is `i8` there).
fn skel_type(ty: &CType) -> String {
    match ty {
        CType::Scalar(Scalar::Char) => "i8".into(),
        CType::Scalar(s) => s.rust_name().into(),
        CType::Array { of, len } => format!("[{}; {len}]", skel_type(of)),
        // validation allows only integers and char arrays as data members
        CType::Void | CType::Ptr { .. } | CType::Struct(_) => "()".into(),
    }
}

fn doc_lines(s: &mut String, indent: &str, doc: &str) {
    for line in doc.lines() {
        writeln!(s, "{indent}/// {line}").unwrap();
    }
}

pub(super) fn emit(ops: &OpsTable, n: &Names) -> String {
    let mut s = String::new();
    let (view, err, mac) = (
        n.rust_ops_data(),
        n.rust_ops_data_error(),
        n.rust_ops_data_macro(),
    );
    let t = &ops.name;
    error_type(&mut s, t, &err);

    writeln!(
        s,
        "/// The data members of one `struct {t}` ops map of an opened skeleton,\n\
         /// set through setters that check what the kernel checks. After\n\
         /// `{mac}!(decl: my_skel)` (`decl` being the module this file is\n\
         /// included as, `#[macro_use]`):\n\
         /// `{view}::from(open.struct_ops.my_ops_mut()).set_{}(..)?`.",
        ops.data[0].decl.name
    )
    .unwrap();
    s.push_str("#[derive(Debug)]\n");
    writeln!(s, "pub struct {view}<'a> {{").unwrap();
    for d in &ops.data {
        let (f, ty) = (rust_ident(&d.decl.name), skel_type(&d.decl.ty));
        writeln!(s, "    {f}: &'a mut {ty},").unwrap();
    }
    s.push_str("}\n\n");

    writeln!(s, "impl<'a> {view}<'a> {{").unwrap();
    s.push_str("    /// What the connecting macro builds the view from: one table's members.\n");
    s.push_str("    #[doc(hidden)]\n");
    let params: Vec<String> = ops
        .data
        .iter()
        .map(|d| {
            let (f, ty) = (rust_ident(&d.decl.name), skel_type(&d.decl.ty));
            format!("{f}: &'a mut {ty}")
        })
        .collect();
    let fields: Vec<String> = ops.data.iter().map(|d| rust_ident(&d.decl.name)).collect();
    writeln!(
        s,
        "    pub fn from_members({}) -> Self {{\n        Self {{ {} }}\n    }}",
        params.join(", "),
        fields.join(", ")
    )
    .unwrap();
    for d in &ops.data {
        s.push('\n');
        accessors(&mut s, t, &err, n, d);
    }
    s.push_str("}\n\n");

    connect_macro(&mut s, t, &view, &mac, &ops.data);
    s
}

fn error_type(s: &mut String, t: &str, err: &str) {
    writeln!(
        s,
        "/// A value a data member of `struct {t}` refuses (the kernel would too).\n\
         #[derive(Debug, Clone, PartialEq, Eq)]\n\
         pub struct {err} {{\n    \
             /// The member.\n    \
             pub member: &'static str,\n    \
             /// What is wrong with the value, and what the member accepts.\n    \
             pub why: String,\n\
         }}\n\n\
         impl std::fmt::Display for {err} {{\n    \
             fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{\n        \
                 write!(f, \"{t}.{{}}: {{}}\", self.member, self.why)\n    \
             }}\n\
         }}\n\n\
         impl std::error::Error for {err} {{}}\n"
    )
    .unwrap();
}

/// `set_<m>` (checked) and `get_<m>`: prefixed both, so that no member's
/// accessor can be another's.
fn accessors(s: &mut String, t: &str, err: &str, n: &Names, d: &DataMember) {
    let m = &d.decl.name;
    let f = rust_ident(m);
    let ty = skel_type(&d.decl.ty);
    let doc = d
        .doc
        .as_deref()
        .unwrap_or("A data member of the ops table.");
    let fail = |why: &str| {
        format!(
            "            return Err({err} {{\n                member: \"{m}\",\n                \
             why: format!({why}),\n            }});"
        )
    };
    match &d.kind {
        DataKind::Name => {
            let CType::Array { of, len } = &d.decl.ty else {
                return;
            };
            let min = usize::from(d.default.is_none());
            let max = len.saturating_sub(1);
            doc_lines(s, "    ", doc);
            write!(
                s,
                "    /// {min} to {max} of `[A-Za-z0-9_.]`, as the kernel checks it"
            )
            .unwrap();
            if let Some(def) = &d.default {
                write!(s, "; empty: `{def}`").unwrap();
            }
            s.push_str(".\n");
            let signed = **of == CType::Scalar(Scalar::Char) || **of == CType::Scalar(Scalar::S8);
            let (to_c, from_c) = if signed {
                ("b as i8", "c as u8")
            } else {
                ("b", "c")
            };
            let why = format!(
                "\"{{v:?}} is not {min} to {max} of [A-Za-z0-9_.] ({t} refuses it): pick such a name\""
            );
            writeln!(
                s,
                "    pub fn set_{m}(&mut self, v: &str) -> Result<&mut Self, {err}> {{\n        \
                 let ok = ({min}..={max}).contains(&v.len())\n            \
                 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');\n        \
                 if !ok {{\n{}\n        }}\n        \
                 self.{f}.fill(0);\n        \
                 for (to, b) in self.{f}.iter_mut().zip(v.bytes()) {{\n            \
                 *to = {to_c};\n        \
                 }}\n        \
                 Ok(self)\n    \
                 }}\n",
                fail(&why)
            )
            .unwrap();
            writeln!(
                s,
                "    /// `{m}` as set (up to its NUL).\n    \
                 pub fn get_{m}(&self) -> String {{\n        \
                 let b: Vec<u8> = self.{f}.iter().take_while(|&&c| c != 0).map(|&c| {from_c}).collect();\n        \
                 String::from_utf8_lossy(&b).into_owned()\n    \
                 }}"
            )
            .unwrap();
        }
        DataKind::Flags(_) => {
            let all = n.flags_all(m);
            doc_lines(s, "    ", doc);
            writeln!(s, "    /// Bits of `{all}` only, as the kernel checks it.").unwrap();
            let why =
                format!("\"unknown bits {{:#x}}: use the declared flags ({all})\", v & !{all}");
            writeln!(
                s,
                "    pub fn set_{m}(&mut self, v: {ty}) -> Result<&mut Self, {err}> {{\n        \
                 if v & !{all} != 0 {{\n{}\n        }}\n        \
                 *self.{f} = v;\n        \
                 Ok(self)\n    \
                 }}\n",
                fail(&why)
            )
            .unwrap();
            getter(s, m, &f, &ty);
        }
        DataKind::Value { max } => {
            doc_lines(s, "    ", doc);
            match max {
                Some(max) => {
                    writeln!(s, "    /// At most {max}, as the kernel checks it.").unwrap();
                    let why = format!("\"{{v}} is above {max}: use at most {max}\"");
                    writeln!(
                        s,
                        "    pub fn set_{m}(&mut self, v: {ty}) -> Result<&mut Self, {err}> {{\n        \
                         if i128::from(v) > {max} {{\n{}\n        }}\n        \
                         *self.{f} = v;\n        \
                         Ok(self)\n    \
                         }}\n",
                        fail(&why)
                    )
                    .unwrap();
                }
                None => writeln!(
                    s,
                    "    pub fn set_{m}(&mut self, v: {ty}) -> &mut Self {{\n        \
                     *self.{f} = v;\n        \
                     self\n    \
                     }}\n"
                )
                .unwrap(),
            }
            getter(s, m, &f, &ty);
        }
    }
}

fn getter(s: &mut String, m: &str, f: &str, ty: &str) {
    writeln!(
        s,
        "    /// `{m}` as set.\n    pub fn get_{m}(&self) -> {ty} {{\n        *self.{f}\n    }}"
    )
    .unwrap();
}

fn connect_macro(s: &mut String, t: &str, view: &str, mac: &str, data: &[DataMember]) {
    let members: Vec<String> = data
        .iter()
        .map(|d| format!("&mut t.{}", rust_ident(&d.decl.name)))
        .collect();
    writeln!(
        s,
        "/// Connects skeletons to [`{view}`]: `{mac}!(decl: a, b)` beside\n\
         /// skeleton modules `a` and `b` (`decl`: the module this file is included\n\
         /// as, `#[macro_use]`) makes `{view}::from(open.struct_ops.<map>_mut())` work for their\n\
         /// `struct {t}` maps. A skeleton whose struct lacks a declared member, or\n\
         /// types it otherwise, does not compile.\n\
         #[macro_export]\n\
         macro_rules! {mac} {{\n    \
             ($decl:ident: $($skel:ident),+ $(,)?) => {{$(\n        \
                 impl<'a> ::core::convert::From<&'a mut $skel::types::{t}> for $decl::{view}<'a> {{\n            \
                     fn from(t: &'a mut $skel::types::{t}) -> Self {{\n                \
                         $decl::{view}::from_members({})\n            \
                     }}\n        \
                 }}\n    \
             )+}};\n\
         }}",
        members.join(", ")
    )
    .unwrap();
}
