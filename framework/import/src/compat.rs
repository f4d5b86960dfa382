//! One interface over several kernels: which kernels have each ops member
//! and each kfunc, with which prototype, as the declaration's `[compat]`.
//!
//! ```text
//! kernel BTF (oldest .. newest) ─ snapshot: ops members, kfuncs of the sets
//!                                 (by .BTF_ids id: old pahole emits no
//!                                 bpf_kfunc tags) with BTF's prototypes
//!   renames OLD=NEW ───────────── one operation per NEW, versions per name
//!   declaration (newest kernel) ─ [compat]: only what some kernel lacks or
//!                                 spells differently
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use modless_btf::{Btf, TypeKind, TypeScope};
use modless_decl::ctypes::parse_prototype;

use crate::btf_ids::read_sets;
use crate::error::ImportError;
use crate::{normalize_types, ImportOptions};

/// The kernels and renames of a multi-kernel import.
#[derive(Debug, Clone, Default)]
pub struct CompatOptions {
    /// `(name, vmlinux)` of the older kernels, oldest first; the import's
    /// own `--btf` is the newest.
    pub older: Vec<(String, PathBuf)>,
    /// The name of the import's own kernel, e.g. `7.3`.
    pub newest: String,
    /// `(old, new)`: kfunc `old` was renamed `new` (one operation).
    pub renames: Vec<(String, String)>,
}

/// What one kernel has of the interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub members: BTreeSet<String>,
    /// kfunc name -> its BPF-visible prototype, in declaration spelling.
    pub kfuncs: BTreeMap<String, String>,
}

/// Reads `ops`'s members and the selected kfuncs of the kernel at `path`.
pub fn snapshot(path: &Path, opts: &ImportOptions) -> Result<Snapshot, ImportError> {
    let btf_err = |source| ImportError::Btf {
        path: path.to_path_buf(),
        source,
    };
    let btf = Btf::open(path, None).map_err(btf_err)?;
    let ops = btf
        .find_struct(&opts.ops)
        .map_err(|source| ImportError::NoOps {
            ops: opts.ops.clone(),
            path: path.to_path_buf(),
            source,
        })?;
    let members = ops.members.iter().map(|m| m.name.clone()).collect();
    let funcs: BTreeMap<u32, String> = btf
        .type_names(TypeScope::All)
        .into_iter()
        .filter(|t| t.kind == TypeKind::Func)
        .map(|t| (t.id, t.name))
        .collect();
    let mut names: BTreeSet<String> = read_sets(path)?
        .iter()
        .filter(|s| opts.kfunc_sets.iter().any(|p| s.name.starts_with(p)))
        .flat_map(|s| {
            s.members
                .iter()
                .filter_map(|(id, _)| funcs.get(id).cloned())
        })
        .collect();
    names.extend(
        funcs
            .values()
            .filter(|n| opts.kfunc_prefixes.iter().any(|p| n.starts_with(p)))
            .cloned(),
    );
    let mut kfuncs = BTreeMap::new();
    for name in names {
        let f = btf.find_func(&name).map_err(btf_err)?;
        kfuncs.insert(name, normalize_types(&f.proto_c));
    }
    Ok(Snapshot { members, kfuncs })
}

/// `ret(types)` without names or spaces: two kernels' prototypes agree
/// when these do.
fn signature(proto: &str) -> Option<String> {
    let p = parse_prototype(proto).ok()?;
    let params: Vec<String> = p.params.iter().map(|a| a.ty.to_string()).collect();
    Some(
        format!("{}({})", p.ret, params.join(","))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

/// One version as seen: kfunc name, prototype, kernels having it.
type Seen<'a> = (String, String, Vec<&'a str>);

fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn list(v: &[&str]) -> String {
    let q: Vec<String> = v.iter().map(|s| q(s)).collect();
    format!("[{}]", q.join(", "))
}

/// The `[compat]` table for `kernels` (`(name, snapshot)`, oldest first),
/// keeping only members the declaration has (`members`) and kfuncs whose
/// prototype a declaration can state; `skipped` gets `(name, why)` for the
/// rest.
pub fn render(
    kernels: &[(String, Snapshot)],
    renames: &[(String, String)],
    members: &[String],
    skipped: &mut Vec<(String, String)>,
) -> String {
    let names: Vec<&str> = kernels.iter().map(|(n, _)| n.as_str()).collect();
    let mut out = vec![
        String::new(),
        "# The kernels this declaration spans; what follows is only what some of them".into(),
        "# lack or name differently (renamed kfuncs are one operation with versions).".into(),
        "[compat]".into(),
        format!("kernels = {}", list(&names)),
    ];
    for m in members {
        let having: Vec<&str> = kernels
            .iter()
            .filter(|(_, s)| s.members.contains(m))
            .map(|(n, _)| n.as_str())
            .collect();
        if having.len() < kernels.len() {
            out.push(String::new());
            out.push("[[compat.member]]".into());
            out.push(format!("name = {}", q(m)));
            out.push(format!("kernels = {}", list(&having)));
        }
    }
    let op_of = |k: &str| -> String {
        renames
            .iter()
            .find(|(old, _)| old == k)
            .map_or(k.to_string(), |(_, new)| new.clone())
    };
    // operation -> versions, newest kernel first
    let mut ops: BTreeMap<String, Vec<Seen<'_>>> = BTreeMap::new();
    for (kernel, snap) in kernels.iter().rev() {
        for (name, proto) in &snap.kfuncs {
            let versions = ops.entry(op_of(name)).or_default();
            let same = |(n, p, _): &&mut Seen<'_>| n == name && signature(p) == signature(proto);
            match versions.iter_mut().find(|v| same(v)) {
                Some(v) => v.2.push(kernel),
                None => versions.push((name.clone(), proto.clone(), vec![kernel])),
            }
        }
    }
    for (op, versions) in &ops {
        let uniform = versions.len() == 1 && versions[0].2.len() == kernels.len();
        if uniform {
            continue;
        }
        if op.contains("___") {
            skipped.push((
                op.clone(),
                "a `___` flavour name, lint-only in the declaration".into(),
            ));
            continue;
        }
        if let Some((name, _, _)) = versions.iter().find(|(_, p, _)| signature(p).is_none()) {
            skipped.push((
                op.clone(),
                format!("{name}'s prototype cannot be declared (e.g. a function pointer argument)"),
            ));
            continue;
        }
        if !versions.iter().any(|(n, _, _)| n == op) {
            skipped.push((
                op.clone(),
                "renamed to it, but no kernel has it under that name".into(),
            ));
            continue;
        }
        out.push(String::new());
        out.push("[[compat.kfunc]]".into());
        out.push(format!("name = {}", q(op)));
        for (_, proto, on) in versions {
            let mut on = on.clone();
            on.reverse(); // oldest first
            out.push("[[compat.kfunc.version]]".into());
            out.push(format!("kernels = {}", list(&on)));
            out.push(format!("proto = {}", q(proto)));
        }
    }
    out.push(String::new());
    out.join("\n")
}

/// `[compat]` for `opts` over `c`'s kernels, to append to the declaration
/// `toml` imported from `opts.btf`; checked with modless-decl.
pub fn compat_section(
    opts: &ImportOptions,
    c: &CompatOptions,
    toml: &str,
) -> Result<(String, Vec<(String, String)>), ImportError> {
    let decl = modless_decl::parse(toml, "imported.toml").map_err(invalid)?;
    let mut members: Vec<String> = decl
        .ops
        .callbacks
        .iter()
        .map(|cb| cb.name().to_string())
        .collect();
    members.extend(decl.ops.data.iter().map(|d| d.decl.name.clone()));
    let mut kernels = Vec::new();
    for (name, path) in &c.older {
        kernels.push((name.clone(), snapshot(path, opts)?));
    }
    kernels.push((c.newest.clone(), snapshot(&opts.btf, opts)?));
    let mut skipped = Vec::new();
    let section = render(&kernels, &c.renames, &members, &mut skipped);
    let whole = format!("{toml}{section}");
    let decl = modless_decl::parse(&whole, "imported.toml").map_err(invalid)?;
    decl.validate().map_err(invalid)?;
    Ok((section, skipped))
}

fn invalid(e: modless_decl::DeclErrors) -> ImportError {
    ImportError::Invalid {
        dropped: 0,
        errors: e.0.iter().map(|e| format!("  {e}\n")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(members: &[&str], kfuncs: &[&str]) -> Snapshot {
        Snapshot {
            members: members.iter().map(|m| m.to_string()).collect(),
            kfuncs: kfuncs
                .iter()
                .map(|p| {
                    let name = p.split('(').next().unwrap().rsplit(' ').next().unwrap();
                    (name.to_string(), p.to_string())
                })
                .collect(),
        }
    }

    fn kernels() -> Vec<(String, Snapshot)> {
        vec![
            (
                "6.12".into(),
                snap(
                    &["enqueue"],
                    &[
                        "void x_dispatch(u64 id)",
                        "u32 x_nr(void)",
                        "void x_gone(void)",
                    ],
                ),
            ),
            (
                "7.3".into(),
                snap(
                    &["enqueue", "sub_attach"],
                    &[
                        "void x_insert(u64 id)",
                        "u32 x_nr(void)",
                        "u64 x_now(void)",
                        "bool x_insert___v2(u64 id)",
                    ],
                ),
            ),
        ]
    }

    #[test]
    fn a_rename_is_one_operation_and_uniform_kfuncs_stay_out() {
        let renames = vec![("x_dispatch".to_string(), "x_insert".to_string())];
        let members = vec!["enqueue".to_string(), "sub_attach".to_string()];
        let mut skipped = Vec::new();
        let t = render(&kernels(), &renames, &members, &mut skipped);
        assert!(t.contains("kernels = [\"6.12\", \"7.3\"]"), "{t}");
        assert!(
            t.contains("[[compat.member]]\nname = \"sub_attach\"\nkernels = [\"7.3\"]"),
            "{t}"
        );
        assert!(!t.contains("\"enqueue\""), "{t}");
        assert!(!t.contains("x_nr"), "present alike everywhere: {t}");
        assert!(
            t.contains(
                "[[compat.kfunc]]\nname = \"x_insert\"\n\
                 [[compat.kfunc.version]]\nkernels = [\"7.3\"]\nproto = \"void x_insert(u64 id)\"\n\
                 [[compat.kfunc.version]]\nkernels = [\"6.12\"]\nproto = \"void x_dispatch(u64 id)\""
            ),
            "{t}"
        );
        assert!(t.contains("name = \"x_now\"\n[[compat.kfunc.version]]\nkernels = [\"7.3\"]"));
        assert!(t.contains("name = \"x_gone\"\n[[compat.kfunc.version]]\nkernels = [\"6.12\"]"));
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert_eq!(skipped[0].0, "x_insert___v2");
    }

    #[test]
    fn a_changed_prototype_is_a_second_version() {
        let mut k = kernels();
        k[0].1.kfuncs.insert("x_nr".into(), "u64 x_nr(void)".into());
        let t = render(&k, &[], &[], &mut Vec::new());
        assert!(
            t.contains(
                "name = \"x_nr\"\n[[compat.kfunc.version]]\nkernels = [\"7.3\"]\nproto = \"u32 x_nr(void)\"\n\
                 [[compat.kfunc.version]]\nkernels = [\"6.12\"]\nproto = \"u64 x_nr(void)\""
            ),
            "{t}"
        );
    }
}
