//! `modless check --btf`: is every ops member, kfunc (with its prototype)
//! and hook site of a declaration present in a given kernel's BTF?

use std::fmt;

use modless_btf::{Btf, FuncInfo};
use modless_decl::ctypes::FuncProto;
use modless_decl::struct_ops::IfMissing;
use modless_decl::Declaration;

/// One way the kernel differs from the declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelDifference {
    /// The ops struct type is not in this BTF.
    OpsTypeMissing { type_name: String },
    /// An op (function-pointer member) is missing; `zero` when it is
    /// declared `if_missing = "zero"` (programs setting it still load).
    OpMissing {
        type_name: String,
        op: String,
        zero: bool,
    },
    /// A data member is missing; `zero` as for ops.
    DataMemberMissing {
        type_name: String,
        member: String,
        zero: bool,
    },
    /// A member's type differs.
    MemberType {
        type_name: String,
        member: String,
        expected: String,
        found: String,
    },
    /// A kfunc is not in this BTF.
    KfuncMissing { name: String },
    /// A function of that name exists but is not tagged `bpf_kfunc`.
    NotAKfunc { name: String },
    /// A kfunc's or hook's prototype differs.
    Prototype {
        what: &'static str,
        name: String,
        expected: String,
        found: String,
    },
    /// A hook site function is not in this BTF.
    HookMissing { name: String },
}

impl fmt::Display for KernelDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KernelDifference::*;
        match self {
            OpsTypeMissing { type_name } => write!(f, "ops type `struct {type_name}` is missing"),
            OpMissing { type_name, op, zero } => {
                write!(f, "op `{type_name}.{op}` is missing{}", zero_note(*zero))
            }
            DataMemberMissing {
                type_name,
                member,
                zero,
            } => write!(
                f,
                "data member `{type_name}.{member}` is missing{}",
                zero_note(*zero)
            ),
            MemberType { type_name, member, expected, found } => write!(
                f,
                "member `{type_name}.{member}` is `{found}`, declared `{expected}`"
            ),
            KfuncMissing { name } => write!(f, "kfunc `{name}` is missing"),
            NotAKfunc { name } => write!(
                f,
                "`{name}` exists but is not a kfunc (no bpf_kfunc tag: not in a registered kfunc set)"
            ),
            Prototype { what, name, expected, found } => write!(
                f,
                "{what} `{name}` has prototype `{found}`, declared `{expected}`"
            ),
            HookMissing { name } => write!(f, "hook site `{name}` is missing"),
        }
    }
}

fn zero_note(zero: bool) -> &'static str {
    if zero {
        " (if_missing = \"zero\": programs that set it load without it)"
    } else {
        ""
    }
}

/// Every difference between a declaration and one kernel's BTF.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KernelReport {
    /// Names found as declared.
    pub present: Vec<String>,
    /// Differences; empty when the kernel has everything.
    pub differences: Vec<KernelDifference>,
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// `ret(types)` without names, for comparing prototypes.
fn decl_signature(p: &FuncProto) -> String {
    let params: Vec<String> = p.params.iter().map(|a| a.ty.to_string()).collect();
    squash(&format!("{}({})", p.ret, params.join(",")))
}

fn btf_signature(f: &FuncInfo) -> String {
    let params: Vec<String> = f.params.iter().map(|a| a.c_type.clone()).collect();
    squash(&format!("{}({})", f.return_c, params.join(",")))
}

/// Compares `decl` with `btf` (vmlinux, or a module's split BTF).
pub fn check_kernel(btf: &Btf, decl: &Declaration) -> KernelReport {
    let mut r = KernelReport::default();
    let ops = &decl.ops;
    match btf.find_struct(&ops.name) {
        Err(_) => r.differences.push(KernelDifference::OpsTypeMissing {
            type_name: ops.name.clone(),
        }),
        Ok(st) => {
            r.present.push(format!("struct {}", ops.name));
            for cb in &ops.callbacks {
                let Some(m) = st.member(cb.name()) else {
                    r.differences.push(KernelDifference::OpMissing {
                        type_name: ops.name.clone(),
                        op: cb.name().to_string(),
                        zero: cb.if_missing == IfMissing::Zero,
                    });
                    continue;
                };
                let params: Vec<String> =
                    cb.proto.params.iter().map(|p| p.ty.to_string()).collect();
                let params = if params.is_empty() {
                    "void".into()
                } else {
                    params.join(", ")
                };
                let expected = format!("{} (*)({params})", cb.proto.ret);
                if squash(&m.c_type) != squash(&expected) {
                    r.differences.push(KernelDifference::MemberType {
                        type_name: ops.name.clone(),
                        member: cb.name().to_string(),
                        expected,
                        found: m.c_type.clone(),
                    });
                } else {
                    r.present.push(format!("op {}", cb.name()));
                }
            }
            for d in &ops.data {
                if st.member(&d.decl.name).is_none() {
                    r.differences.push(KernelDifference::DataMemberMissing {
                        type_name: ops.name.clone(),
                        member: d.decl.name.clone(),
                        zero: d.if_missing == IfMissing::Zero,
                    });
                }
            }
        }
    }
    for kf in &decl.kfuncs {
        match btf.find_func(kf.name()) {
            Err(_) => r.differences.push(KernelDifference::KfuncMissing {
                name: kf.name().to_string(),
            }),
            Ok(f) if !f.is_kfunc() => r.differences.push(KernelDifference::NotAKfunc {
                name: kf.name().to_string(),
            }),
            Ok(f) if btf_signature(&f) != decl_signature(&kf.proto) => {
                r.differences.push(KernelDifference::Prototype {
                    what: "kfunc",
                    name: kf.name().to_string(),
                    expected: kf.proto.to_string(),
                    found: f.proto_c.clone(),
                })
            }
            Ok(_) => r.present.push(format!("kfunc {}", kf.name())),
        }
    }
    for h in &decl.hooks {
        match btf.find_func(h.name()) {
            Err(_) => r.differences.push(KernelDifference::HookMissing {
                name: h.name().to_string(),
            }),
            Ok(f) if btf_signature(&f) != decl_signature(&h.proto) => {
                r.differences.push(KernelDifference::Prototype {
                    what: "hook",
                    name: h.name().to_string(),
                    expected: h.proto.to_string(),
                    found: f.proto_c.clone(),
                })
            }
            Ok(_) => r.present.push(format!("hook {}", h.name())),
        }
    }
    r
}
