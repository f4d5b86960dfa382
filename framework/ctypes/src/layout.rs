use thiserror::Error;

use crate::ident::{check_ident, IdentError};
use crate::types::{CType, Decl};

/// A struct the subsystem and BPF programs share (e.g. `struct jobd_job`).
///
/// Fields are scalars, arrays of scalars or pointers, so the layout is the
/// plain C one and the same in kernel, BPF and `#[repr(C)]` Rust.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<Decl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StructError {
    #[error("struct `{0}` has no fields; declare at least one")]
    Empty(String),
    #[error("struct `{strukt}`: bad name: {err}")]
    Ident { strukt: String, err: IdentError },
    #[error("struct `{strukt}` declares field `{field}` twice; rename one")]
    DuplicateField { strukt: String, field: String },
    #[error("struct `{strukt}` field `{field}` has type `{ty}`; shared struct fields must be scalars, scalar arrays or pointers")]
    FieldType {
        strukt: String,
        field: String,
        ty: String,
    },
}

fn align_of(ty: &CType) -> usize {
    match ty {
        CType::Array { of, .. } => align_of(of),
        other => other.size().unwrap_or(1),
    }
}

impl StructDef {
    pub fn field(&self, name: &str) -> Option<&Decl> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// `(offset, size)` of each field, in order.
    pub fn offsets(&self) -> Vec<(usize, usize)> {
        let mut off: usize = 0;
        self.fields
            .iter()
            .map(|f| {
                let (size, align) = (f.ty.size().unwrap_or(0), align_of(&f.ty));
                off = off.div_ceil(align) * align;
                let at = off;
                off += size;
                (at, size)
            })
            .collect()
    }

    pub fn size(&self) -> usize {
        let align = self
            .fields
            .iter()
            .map(|f| align_of(&f.ty))
            .max()
            .unwrap_or(1);
        let end = self.offsets().last().map(|(o, s)| o + s).unwrap_or(0);
        end.div_ceil(align) * align
    }

    pub fn validate(&self) -> Vec<StructError> {
        let mut errs = Vec::new();
        if let Err(err) = check_ident(&self.name) {
            errs.push(StructError::Ident {
                strukt: self.name.clone(),
                err,
            });
        }
        if self.fields.is_empty() {
            errs.push(StructError::Empty(self.name.clone()));
        }
        for (i, f) in self.fields.iter().enumerate() {
            if let Err(err) = check_ident(&f.name) {
                errs.push(StructError::Ident {
                    strukt: self.name.clone(),
                    err,
                });
            }
            if self.fields[..i].iter().any(|g| g.name == f.name) {
                errs.push(StructError::DuplicateField {
                    strukt: self.name.clone(),
                    field: f.name.clone(),
                });
            }
            if f.ty.size().is_none() {
                errs.push(StructError::FieldType {
                    strukt: self.name.clone(),
                    field: f.name.clone(),
                    ty: f.ty.to_string(),
                });
            }
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_decl;

    fn def(fields: &[&str]) -> StructDef {
        StructDef {
            name: "s".into(),
            fields: fields.iter().map(|f| parse_decl(f).unwrap()).collect(),
        }
    }

    #[test]
    fn c_layout_with_padding() {
        let s = def(&["u8 a", "u64 b", "u32 c", "char n[3]"]);
        assert_eq!(s.offsets(), vec![(0, 1), (8, 8), (16, 4), (20, 3)]);
        assert_eq!(s.size(), 24);
    }

    #[test]
    fn rejects_duplicates_and_struct_fields() {
        let s = def(&["u32 a", "u32 a", "struct x b"]);
        let errs = s.validate();
        assert!(errs.contains(&StructError::DuplicateField {
            strukt: "s".into(),
            field: "a".into()
        }));
        assert!(matches!(&errs[1], StructError::FieldType { field, .. } if field == "b"));
    }
}
