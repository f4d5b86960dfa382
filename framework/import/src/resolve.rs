//! Which kfunc calls of a BPF object resolve on one kernel, and through
//! which flavour, before loading: libbpf's rule (an extern `name___flavour`
//! binds the kernel's `name` when the prototypes agree; a `__weak` one that
//! does not bind is left unset, a strong one fails the load), grouped by the
//! declaration's `[compat]` operations.

use std::collections::{BTreeMap, BTreeSet};

use modless_btf::{essential_name as essential, Btf, FuncInfo, Linkage, TypeKind, TypeScope};
use modless_decl::compat::Compat;
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget};

use crate::error::ImportError;

/// How one extern kfunc of the object fares on the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// The kernel has the kfunc with an agreeing prototype.
    Bound,
    /// The kernel has no such function.
    Missing,
    /// The kernel's prototype differs (libbpf refuses to bind it).
    Differs { kernel: String },
}

/// One extern kfunc of the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extern {
    /// As the object names it, e.g. `scx_bpf_dispatch___k6_12`.
    pub name: String,
    /// The kernel function it binds to (libbpf's essential name).
    pub kfunc: String,
    pub weak: bool,
    pub binding: Binding,
}

/// What one call of the object resolves to on the kernel: an operation of
/// `[compat]` (through the first version the kernel has) or a plain kfunc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation or kfunc name the program calls.
    pub name: String,
    /// The extern that binds, if any.
    pub via: Option<Extern>,
    /// The externs tried and not bound (versions, or the plain extern).
    pub unbound: Vec<Extern>,
    /// A `[compat]` operation (its other versions are for other kernels).
    pub operation: bool,
}

impl Call {
    /// Not bound, and nothing makes that safe: a strong extern fails the
    /// load. (A weak one fails only if the program reaches the call; the
    /// generated layer's `<SUB>_HAS()` is the guard.)
    pub fn fails_load(&self) -> bool {
        self.via.is_none() && self.unbound.iter().any(|e| !e.weak)
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.via {
            Some(e) if e.name == e.kfunc => write!(f, "{}: {}", self.name, e.kfunc),
            Some(e) => write!(f, "{}: {} (flavour {})", self.name, e.kfunc, e.name),
            None => {
                let why: Vec<String> = self
                    .unbound
                    .iter()
                    .map(|e| match &e.binding {
                        Binding::Differs { kernel } => {
                            format!("{} differs: the kernel has `{kernel}`", e.kfunc)
                        }
                        _ => format!("no {}", e.kfunc),
                    })
                    .collect();
                let weak = self.unbound.iter().all(|e| e.weak);
                let then = if !weak {
                    "a strong extern: the load fails"
                } else if self.operation {
                    "the program must not reach it here (guard it with <SUB>_HAS(op))"
                } else {
                    "__weak: the program must not reach it here (guard it with bpf_ksym_exists())"
                };
                write!(f, "{}: unresolved ({}); {then}", self.name, why.join(", "))
            }
        }
    }
}

/// The object's extern kfuncs that its code references (FUNCs with extern
/// linkage in its BTF, relocated against from a program section: clang keeps
/// every declared extern, called or not) and whether each is `__weak`.
fn object_externs(object: &[u8], name: &str) -> Result<Vec<(FuncInfo, bool)>, ImportError> {
    let err = |msg: String| ImportError::Object {
        path: name.into(),
        msg,
    };
    // an object embedded with include_bytes! may be unaligned for the ELF parser
    let object = object.to_vec();
    let file = object::File::parse(&*object).map_err(|e| err(e.to_string()))?;
    let section = file
        .section_by_name(".BTF")
        .ok_or_else(|| err("no .BTF section; build the object with -g".into()))?;
    let data = section.data().map_err(|e| err(e.to_string()))?;
    let btf = Btf::from_raw_bytes(data, name).map_err(|source| ImportError::Btf {
        path: name.into(),
        source,
    })?;
    let mut used = BTreeSet::new();
    for sec in file.sections() {
        if sec.name().is_ok_and(|n| n.starts_with(".BTF")) {
            continue;
        }
        for (_, r) in sec.relocations() {
            if let RelocationTarget::Symbol(i) = r.target() {
                used.insert(i.0);
            }
        }
    }
    let weak: BTreeMap<String, bool> = file
        .symbols()
        .filter(|s| s.is_undefined() && used.contains(&s.index().0))
        .filter_map(|s| Some((s.name().ok()?.to_string(), s.is_weak())))
        .collect();
    let mut out = Vec::new();
    for t in btf.type_names(TypeScope::All) {
        if t.kind != TypeKind::Func {
            continue;
        }
        let f = btf.find_func(&t.name).map_err(|source| ImportError::Btf {
            path: name.into(),
            source,
        })?;
        if let (Linkage::Extern, Some(&w)) = (f.linkage, weak.get(&f.name)) {
            out.push((f, w));
        }
    }
    Ok(out)
}

/// Whether two prototypes agree as libbpf checks it: the same number of
/// parameters, pointers where pointers are, `void` returns alike.
fn agree(a: &FuncInfo, b: &FuncInfo) -> bool {
    let ptr = |s: &str| s.contains('*');
    let void = |s: &str| s.trim() == "void";
    a.params.len() == b.params.len()
        && void(&a.return_c) == void(&b.return_c)
        && ptr(&a.return_c) == ptr(&b.return_c)
        && a.params
            .iter()
            .zip(&b.params)
            .all(|(x, y)| ptr(&x.c_type) == ptr(&y.c_type))
}

fn bind(f: &FuncInfo, weak: bool, kernel: &Btf) -> Extern {
    let kfunc = essential(&f.name).to_string();
    let binding = match kernel.find_func(&kfunc) {
        Err(_) => Binding::Missing,
        Ok(k) if agree(f, &k) => Binding::Bound,
        Ok(k) => Binding::Differs { kernel: k.proto_c },
    };
    Extern {
        name: f.name.clone(),
        kfunc,
        weak,
        binding,
    }
}

/// Every call of `object` (its bytes; `name` for messages) on `kernel`,
/// operations of `compat` first in declared order, then plain kfuncs by
/// name. `[compat]`'s "missing" markers (`<op>__missing_on_*`) are left out:
/// they belong to their operation.
pub fn resolve(
    object: &[u8],
    name: &str,
    kernel: &Btf,
    compat: Option<&Compat>,
) -> Result<Vec<Call>, ImportError> {
    let mut externs: Vec<Extern> = object_externs(object, name)?
        .iter()
        .filter(|(f, _)| !f.name.contains("__missing_on_"))
        .map(|(f, weak)| bind(f, *weak, kernel))
        .collect();
    let mut calls = Vec::new();
    for op in compat.map(|c| c.kfuncs.as_slice()).unwrap_or_default() {
        let mut mine = Vec::new();
        for v in &op.versions {
            if let Some(i) = externs.iter().position(|e| e.kfunc == v.proto.name) {
                mine.push(externs.remove(i));
            }
        }
        if mine.is_empty() {
            continue;
        }
        let at = mine.iter().position(|e| e.binding == Binding::Bound);
        let via = at.map(|i| mine.remove(i));
        calls.push(Call {
            name: op.name.clone(),
            via,
            unbound: mine,
            operation: true,
        });
    }
    externs.sort_by(|a, b| a.kfunc.cmp(&b.kfunc));
    for e in externs {
        let bound = e.binding == Binding::Bound;
        calls.push(Call {
            name: e.kfunc.clone(),
            via: bound.then(|| e.clone()),
            unbound: if bound { Vec::new() } else { vec![e] },
            operation: false,
        });
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(name: &str, weak: bool, binding: Binding) -> Extern {
        Extern {
            name: name.into(),
            kfunc: essential(name).into(),
            weak,
            binding,
        }
    }

    #[test]
    fn an_unbound_call_says_what_follows() {
        let weak_op = Call {
            name: "scx_bpf_now".into(),
            via: None,
            unbound: vec![ext("scx_bpf_now___k7_3", true, Binding::Missing)],
            operation: true,
        };
        assert!(!weak_op.fails_load());
        assert!(weak_op.to_string().contains("no scx_bpf_now"));
        assert!(weak_op.to_string().contains("<SUB>_HAS(op)"));
        let strong = Call {
            name: "bpf_x".into(),
            via: None,
            unbound: vec![ext("bpf_x", false, Binding::Missing)],
            operation: false,
        };
        assert!(strong.fails_load());
        let renamed = Call {
            name: "scx_bpf_dsq_insert".into(),
            via: Some(ext("scx_bpf_dispatch___k6_12", true, Binding::Bound)),
            unbound: vec![ext("scx_bpf_dsq_insert___k7_3", true, Binding::Missing)],
            operation: true,
        };
        assert!(!renamed.fails_load());
        assert_eq!(
            renamed.to_string(),
            "scx_bpf_dsq_insert: scx_bpf_dispatch (flavour scx_bpf_dispatch___k6_12)"
        );
    }
}
