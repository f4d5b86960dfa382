//! `[compat]`: the kernels one declaration spans and what differs between
//! them. The declaration's ops and kfuncs are the newest kernel's; `[compat]`
//! lists only what some declared kernel lacks or spells differently:
//!
//! ```toml
//! [compat]
//! kernels = ["6.12", "7.3"]          # oldest first
//!
//! [[compat.member]]                  # an ops member not on every kernel
//! name = "cgroup_set_bandwidth"
//! kernels = ["7.3"]
//!
//! [[compat.kfunc]]                   # one operation, one name in BPF
//! name = "scx_bpf_dsq_insert"
//! [[compat.kfunc.version]]
//! kernels = ["7.3"]
//! proto = "void scx_bpf_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags)"
//! [[compat.kfunc.version]]
//! kernels = ["6.12"]
//! proto = "void scx_bpf_dispatch(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags)"
//! ```
//!
//! A version's prototype is the one BPF sees (BTF's, without the implicit
//! `bpf_prog_aux` argument). A kernel in no version of an operation lacks it.

use modless_ctypes::{parse_prototype, FuncProto, Span};
use serde::Deserialize;
use toml::Spanned;

use crate::error::{DeclError, DeclErrorKind};
use crate::location::Lines;

/// `[compat]` as serde sees it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCompat {
    kernels: Vec<Spanned<String>>,
    #[serde(default, rename = "member")]
    members: Vec<RawMember>,
    #[serde(default, rename = "kfunc")]
    kfuncs: Vec<RawOperation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    name: Spanned<String>,
    kernels: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperation {
    name: Spanned<String>,
    #[serde(rename = "version")]
    versions: Vec<RawVersion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVersion {
    kernels: Vec<Spanned<String>>,
    proto: Spanned<String>,
}

/// The kernels a declaration spans and what differs between them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compat {
    /// Kernel names, oldest first (e.g. `6.12`, `7.3`).
    pub kernels: Vec<String>,
    /// Ops members some kernel lacks.
    pub members: Vec<CompatMember>,
    /// kfunc operations some kernel lacks or names differently.
    pub kfuncs: Vec<Operation>,
}

/// An ops member and the kernels that have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatMember {
    pub name: String,
    pub kernels: Vec<String>,
    pub span: Span,
}

/// One kfunc operation: one name for BPF programs, one kernel kfunc per
/// version (a rename is two versions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub name: String,
    /// Newest first, as declared.
    pub versions: Vec<Version>,
    pub span: Span,
}

/// The kfunc a set of kernels has for an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub kernels: Vec<String>,
    /// As BPF calls it; its name is the kernel's kfunc.
    pub proto: FuncProto,
    pub span: Span,
}

impl Operation {
    /// The version `kernel` has, if any.
    pub fn on(&self, kernel: &str) -> Option<&Version> {
        self.versions
            .iter()
            .find(|v| v.kernels.iter().any(|k| k == kernel))
    }
}

impl Compat {
    /// The operation named `name`, or having a version named `name`.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.kfuncs
            .iter()
            .find(|o| o.name == name || o.versions.iter().any(|v| v.proto.name == name))
    }

    /// Declared kernels that have none of the operation's versions.
    pub fn missing_on<'a>(&'a self, op: &'a Operation) -> impl Iterator<Item = &'a str> + 'a {
        self.kernels
            .iter()
            .map(String::as_str)
            .filter(|k| op.on(k).is_none())
    }
}

fn span_of<T>(s: &Spanned<T>) -> Span {
    let r = s.span();
    Span::new(r.start, r.end)
}

fn strings(v: &[Spanned<String>]) -> Vec<String> {
    v.iter().map(|s| s.get_ref().clone()).collect()
}

/// Builds the model, reporting prototypes that do not parse and kernels the
/// `kernels` list does not name.
pub(crate) fn from_raw(raw: &RawCompat, lines: &Lines<'_>) -> (Compat, Vec<DeclError>) {
    let mut errs = Vec::new();
    let kernels = strings(&raw.kernels);
    let check_kernels = |list: &[Spanned<String>], item: &str, errs: &mut Vec<DeclError>| {
        for k in list.iter().filter(|k| !kernels.contains(k.get_ref())) {
            let why = format!(
                "kernel `{}` is not in compat.kernels ({}); add it there or correct its spelling",
                k.get_ref(),
                kernels.join(", ")
            );
            let kind = DeclErrorKind::Compat {
                item: item.to_string(),
                why,
            };
            errs.push(DeclError::located(lines, span_of(k), kind));
        }
    };
    let members = raw
        .members
        .iter()
        .map(|m| {
            check_kernels(
                &m.kernels,
                &format!("member `{}`", m.name.get_ref()),
                &mut errs,
            );
            CompatMember {
                name: m.name.get_ref().clone(),
                kernels: strings(&m.kernels),
                span: span_of(&m.name),
            }
        })
        .collect();
    let mut kfuncs = Vec::new();
    for o in &raw.kfuncs {
        let item = format!("operation `{}`", o.name.get_ref());
        let mut versions = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for v in &o.versions {
            check_kernels(&v.kernels, &item, &mut errs);
            for k in &v.kernels {
                if seen.contains(&k.get_ref().as_str()) {
                    let why = format!(
                        "kernel `{}` is in two of its versions; a kernel has one kfunc per operation",
                        k.get_ref()
                    );
                    let kind = DeclErrorKind::Compat {
                        item: item.clone(),
                        why,
                    };
                    errs.push(DeclError::located(lines, span_of(k), kind));
                }
                seen.push(k.get_ref());
            }
            match parse_prototype(v.proto.get_ref()) {
                Ok(proto) => versions.push(Version {
                    kernels: strings(&v.kernels),
                    proto,
                    span: span_of(&v.proto),
                }),
                Err(err) => {
                    let kind = DeclErrorKind::CSyntax {
                        item: format!("{item} version"),
                        err,
                    };
                    errs.push(DeclError::located(lines, span_of(&v.proto), kind));
                }
            }
        }
        kfuncs.push(Operation {
            name: o.name.get_ref().clone(),
            versions,
            span: span_of(&o.name),
        });
    }
    (
        Compat {
            kernels,
            members,
            kfuncs,
        },
        errs,
    )
}

/// Rules that need the rest of the declaration: a member is one of the ops
/// table's (`members`), an operation is named after one of its versions.
pub(crate) fn check(compat: &Compat, members: &[&str], mut at: impl FnMut(Span, DeclErrorKind)) {
    for m in compat
        .members
        .iter()
        .filter(|m| !members.contains(&m.name.as_str()))
    {
        let why = "the ops table has no such member; list members of the declared table".into();
        let item = format!("member `{}`", m.name);
        at(m.span, DeclErrorKind::Compat { item, why });
    }
    for o in &compat.kfuncs {
        if !o.versions.iter().any(|v| v.proto.name == o.name) {
            let names: Vec<&str> = o.versions.iter().map(|v| v.proto.name.as_str()).collect();
            let why = format!(
                "no version is named so ({}); name the operation after its newest kfunc",
                names.join(", ")
            );
            let item = format!("operation `{}`", o.name);
            at(o.span, DeclErrorKind::Compat { item, why });
        }
    }
}
