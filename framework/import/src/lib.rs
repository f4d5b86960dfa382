//! Import an existing kernel extension interface into a modless declaration.
//!
//! ```text
//! vmlinux ─ Btf::open ─ struct <ops> ─────────── [ops] callbacks (names from the
//!    │                   <ops>__<member> stubs)   cfi stubs <ops>__<member>), [[ops.data]]
//!    │                   kfuncs (bpf_kfunc tag) ─ [[kfunc]] proto
//!    └ .BTF_ids set8 ─── flags, set membership ── flags, doc "sets: ..."
//!                                     └─ modless_decl::parse + validate; a kfunc
//!                                        it rejects becomes a [[lint_kfunc]] (name,
//!                                        flags, scope; no prototype), other entries
//!                                        are dropped; the reason stays as a comment
//! ```
#![deny(missing_debug_implementations)]

mod btf_ids;
mod compat;
mod error;
mod render;
mod resolve;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modless_btf::{Btf, FuncInfo, TypeKind, TypeScope};
pub use modless_decl::kfuncs::ProgType;

pub use btf_ids::{cfi_stubs, flag_names, read_sets, KfuncSet, KF_BITS};
pub use compat::{compat_section, snapshot, CompatOptions, Snapshot};
pub use error::ImportError;
use render::{Entry, Render};
pub use resolve::{resolve, Binding, Call, Extern};

/// What to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// vmlinux ELF (with `.BTF` and `.BTF_ids`) or raw BTF.
    pub btf: PathBuf,
    /// The ops struct, e.g. `sched_ext_ops`.
    pub ops: String,
    /// Import kfuncs whose name starts with one of these.
    pub kfunc_prefixes: Vec<String>,
    /// Import every kfunc of sets whose name starts with one of these.
    pub kfunc_sets: Vec<String>,
    /// Callbacks that may be sleepable programs: kernel code decides this
    /// (sched_ext: `check_member`), BTF cannot tell.
    pub sleepable: Vec<String>,
    /// Which ops may call the kfuncs of a set: the kernel's kfunc filter
    /// is code (sched_ext: `scx_kf_allow_flags[]`), BTF cannot tell.
    pub set_ops: Vec<(String, SetOps)>,
    /// Which program types each set is registered for
    /// (`register_btf_kfunc_id_set(BPF_PROG_TYPE_*, set)` is kernel code,
    /// BTF cannot tell); a kfunc gets the union over its sets. Sets not
    /// named are taken as struct_ops only, and the entry says so.
    pub set_prog_types: Vec<(String, Vec<ProgType>)>,
}

/// `struct_ops,tracing,syscall`: the program types of `--set-prog-types`.
pub fn parse_prog_types(s: &str) -> Result<Vec<ProgType>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            ProgType::parse(t).ok_or_else(|| {
                let all: Vec<&str> = ProgType::ALL.iter().map(|p| p.key()).collect();
                format!(
                    "`{t}` is no program type a declaration knows: use {}",
                    all.join(", ")
                )
            })
        })
        .collect()
}

/// The program types a kfunc in `in_sets` is registered for: the union of
/// its sets' stated types, in `ProgType::ALL` order; `None` when no set of
/// it is stated.
pub fn kfunc_prog_types(
    in_sets: &[String],
    set_prog_types: &[(String, Vec<ProgType>)],
) -> Option<Vec<ProgType>> {
    let stated: Vec<&Vec<ProgType>> = in_sets
        .iter()
        .filter_map(|s| set_prog_types.iter().find(|(n, _)| n == s).map(|(_, t)| t))
        .collect();
    if stated.is_empty() {
        return None;
    }
    Some(
        ProgType::ALL
            .into_iter()
            .filter(|p| stated.iter().any(|t| t.contains(p)))
            .collect(),
    )
}

/// The ops a kfunc set is callable from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetOps {
    /// Any op (`SET=*`): a kfunc in such a set is never restricted.
    Any,
    /// These ops (`SET=a,b`).
    Ops(Vec<String>),
}

impl SetOps {
    /// `*` or a comma-separated list of op names.
    pub fn parse(s: &str) -> Self {
        if s.trim() == "*" {
            SetOps::Any
        } else {
            SetOps::Ops(
                s.split(',')
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
                    .collect(),
            )
        }
    }
}

/// The ops a kfunc in `in_sets` may be called from, as the kernel's filter
/// decides with `set_ops`: any op if one of its sets says so or none of its
/// sets is mapped; else the union of its mapped sets' ops, less the ops
/// that cannot sleep when the kfunc does. `None` means any op.
pub fn kfunc_ops(
    in_sets: &[String],
    set_ops: &[(String, SetOps)],
    sleepable_kfunc: bool,
    sleepable_ops: &[String],
) -> Option<Vec<String>> {
    let mapped: Vec<&SetOps> = in_sets
        .iter()
        .filter_map(|s| set_ops.iter().find(|(n, _)| n == s).map(|(_, o)| o))
        .collect();
    if mapped.is_empty() || mapped.contains(&&SetOps::Any) {
        return None;
    }
    let mut ops: Vec<String> = Vec::new();
    for m in mapped {
        if let SetOps::Ops(list) = m {
            for o in list {
                if !ops.contains(o) && (!sleepable_kfunc || sleepable_ops.contains(o)) {
                    ops.push(o.clone());
                }
            }
        }
    }
    Some(ops)
}

/// Where a kfunc may be called from, as a declaration can say it: its ops
/// and program types; a kfunc no op of the struct may call stays declared
/// for its other program types (so lint still checks its callers: a call
/// from any op is then a wrong program type). `None` when nothing may call it.
pub fn placement(
    scope: Option<Vec<String>>,
    prog_types: Vec<ProgType>,
) -> Option<(Option<Vec<String>>, Vec<ProgType>)> {
    match scope {
        Some(ops) if ops.is_empty() => {
            let others: Vec<ProgType> = prog_types
                .into_iter()
                .filter(|p| *p != ProgType::StructOps)
                .collect();
            (!others.is_empty()).then_some((None, others))
        }
        scope => Some((scope, prog_types)),
    }
}

/// The result: the declaration text and what happened on the way.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The declaration, TOML; it parses and validates with modless-decl.
    pub toml: String,
    pub callbacks: usize,
    pub data: usize,
    pub kfuncs: usize,
    /// `(kfunc, why)` for each declared lint-only (`[[lint_kfunc]]`): its
    /// prototype cannot be declared, lint checks its callers.
    pub lint_kfuncs: Vec<(String, String)>,
    /// `(entry, reason)` for everything left out.
    pub dropped: Vec<(String, String)>,
}

/// Imports `opts.ops` and the selected kfuncs from `opts.btf`.
pub fn import(opts: &ImportOptions) -> Result<Imported, ImportError> {
    let btf = Btf::open(&opts.btf, None).map_err(|source| ImportError::Btf {
        path: opts.btf.clone(),
        source,
    })?;
    let ops = btf
        .find_struct(&opts.ops)
        .map_err(|source| ImportError::NoOps {
            ops: opts.ops.clone(),
            path: opts.btf.clone(),
            source,
        })?;
    let sets = read_sets(&opts.btf)?;
    let subsystem = opts
        .ops
        .strip_suffix("_ops")
        .unwrap_or(&opts.ops)
        .to_owned();

    let mut r = Render::new(&subsystem, &opts.ops, &opts.btf);
    let linked = cfi_stubs(
        &opts.btf,
        &opts.ops,
        &ops.members
            .iter()
            .filter(|m| m.c_decl.contains("(*"))
            .map(|m| (m.name.clone(), m.offset_bits as usize / 8))
            .collect::<Vec<_>>(),
    )?;
    let funcs: Vec<String> = btf
        .type_names(TypeScope::All)
        .into_iter()
        .filter(|t| t.kind == TypeKind::Func && t.name.contains("__"))
        .map(|t| t.name)
        .collect();
    for m in &ops.members {
        if m.c_decl.contains("(*") {
            r.push(callback_entry(
                &btf,
                &opts.ops,
                m,
                opts.sleepable.contains(&m.name),
                linked.get(&m.name).map(String::as_str),
                &funcs,
            ));
        } else {
            r.push(data_entry(m));
        }
    }
    let callbacks: Vec<String> = ops
        .members
        .iter()
        .filter(|m| m.c_decl.contains("(*"))
        .map(|m| m.name.clone())
        .collect();
    for e in kfunc_entries(&btf, &sets, opts, &callbacks)? {
        r.push(e);
    }
    r.finish()
}

/// `ret (*)(params)` without spaces, for comparing a stub with a member.
fn squashed_proto(f: &FuncInfo) -> String {
    let params: Vec<&str> = f.params.iter().map(|p| p.c_type.as_str()).collect();
    let params = if params.is_empty() {
        "void".to_string()
    } else {
        params.join(",")
    };
    format!("{}(*)({params})", f.return_c)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The cfi stub of member `m` of `ops`: the one the kernel links into
/// `__bpf_ops_<ops>` (`linked`, from a vmlinux ELF), else `<ops>__<m>`, else,
/// for an ops type that reuses another's stubs for the members they share
/// (7.3's sched_ext_ops_cid and sched_ext_ops), the `<T>__<m>` of a struct
/// `T` with that member whose prototype is the member's type.
fn cfi_stub(
    btf: &Btf,
    ops: &str,
    m: &modless_btf::Member,
    linked: Option<&str>,
    funcs: &[String],
) -> Option<FuncInfo> {
    if let Some(f) = linked.and_then(|name| btf.find_func(name).ok()) {
        return Some(f);
    }
    if let Ok(f) = btf.find_func(&format!("{ops}__{}", m.name)) {
        return Some(f);
    }
    let want: String = m.c_type.chars().filter(|c| !c.is_whitespace()).collect();
    let suffix = format!("__{}", m.name);
    funcs.iter().find_map(|name| {
        let owner = name.strip_suffix(&suffix)?;
        btf.find_struct(owner).ok()?.member(&m.name)?;
        let f = btf.find_func(name).ok()?;
        (squashed_proto(&f) == want).then_some(f)
    })
}

fn callback_entry(
    btf: &Btf,
    ops: &str,
    m: &modless_btf::Member,
    sleepable: bool,
    linked: Option<&str>,
    funcs: &[String],
) -> Entry {
    let stub = format!("{ops}__{}", m.name);
    match cfi_stub(btf, ops, m, linked, funcs).ok_or(()) {
        Ok(f) => {
            let params: Vec<String> = if f.params.is_empty() {
                vec!["void".into()]
            } else {
                f.params
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let name = if p.name.is_empty() {
                            format!("arg{i}")
                        } else {
                            p.name.clone()
                        };
                        c_param(&p.c_type, &name)
                    })
                    .collect()
            };
            let ret = f.return_c.trim();
            let sep = if ret.ends_with('*') { "" } else { " " };
            let proto = format!("{ret}{sep}(*{})({})", m.name, params.join(", "));
            // The generated glue's fallback when BPF leaves the op out; an
            // existing subsystem keeps its own, so this is only a name.
            let default = (ret != "void").then(|| format!("{ops}_default_{}", m.name));
            Entry::callback(&m.name, proto, default, sleepable)
        }
        // No stub: the kernel cannot call this member from a BPF table of
        // this type (e.g. sched_ext_ops.sub_caps_updated in the cpu form).
        Err(_) => Entry::dropped(
            &m.name,
            format!("no cfi stub `{stub}` in BTF, so BPF cannot implement it"),
        ),
    }
}

/// `type name`, with the name inside for arrays and function pointers.
fn c_param(c_type: &str, name: &str) -> String {
    if c_type.ends_with('*') {
        format!("{c_type}{name}")
    } else {
        format!("{c_type} {name}")
    }
}

fn data_entry(m: &modless_btf::Member) -> Entry {
    let kind = if m.c_decl.starts_with("char ") && m.c_decl.contains('[') {
        "name"
    } else if m.name == "flags" {
        "flags"
    } else {
        "value"
    };
    Entry::data(&m.name, m.c_decl.clone(), kind)
}

fn kfunc_entries(
    btf: &Btf,
    sets: &[KfuncSet],
    opts: &ImportOptions,
    callbacks: &[String],
) -> Result<Vec<Entry>, ImportError> {
    // BTF id -> (sets it is in, union of its flags across sets).
    let mut membership: BTreeMap<u32, (Vec<String>, u32)> = BTreeMap::new();
    for s in sets {
        for &(id, flags) in &s.members {
            let e = membership.entry(id).or_default();
            e.0.push(s.name.clone());
            e.1 |= flags;
        }
    }
    let kfuncs: Vec<FuncInfo> = btf
        .kfuncs(TypeScope::All)
        .map_err(|source| ImportError::Btf {
            path: opts.btf.clone(),
            source,
        })?;
    let mut out = Vec::new();
    for f in kfuncs {
        let (in_sets, flags) = membership.get(&f.id).cloned().unwrap_or_default();
        let by_name = opts.kfunc_prefixes.iter().any(|p| f.name.starts_with(p));
        let by_set = in_sets
            .iter()
            .any(|s| opts.kfunc_sets.iter().any(|p| s.starts_with(p)));
        if !(by_name || by_set) {
            continue;
        }
        let (names, inexpressible) = flag_names(flags);
        let mut proto = normalize_types(&f.proto_c);
        if names.contains(&"KF_IMPLICIT_ARGS") && !proto.contains("bpf_prog_aux") {
            // BTF holds the BPF-visible prototype; a declaration states the
            // kernel's, whose trailing aux the verifier fills in.
            proto = match proto.strip_suffix("(void)") {
                Some(head) => format!("{head}(const struct bpf_prog_aux *aux)"),
                None => format!(
                    "{}, const struct bpf_prog_aux *aux)",
                    proto.trim_end_matches(')')
                ),
            };
        }
        let mut doc = if in_sets.is_empty() {
            "in no BTF id set of this ELF".to_owned()
        } else {
            format!("sets: {}", in_sets.join(", "))
        };
        if !inexpressible.is_empty() {
            doc.push_str(&format!("; also {}", inexpressible.join(", ")));
        }
        let prog_types = kfunc_prog_types(&in_sets, &opts.set_prog_types).unwrap_or_else(|| {
            doc.push_str("; program types assumed struct_ops (no --set-prog-types for its sets)");
            vec![ProgType::StructOps]
        });
        let sleepable = names.contains(&"KF_SLEEPABLE");
        let scope = kfunc_ops(&in_sets, &opts.set_ops, sleepable, &opts.sleepable).map(|ops| {
            // ops this kernel's struct lacks (config-dependent members)
            ops.into_iter()
                .filter(|o| callbacks.contains(o))
                .collect::<Vec<_>>()
        });
        match placement(scope, prog_types) {
            Some((scope, prog_types)) => {
                if !prog_types.contains(&ProgType::StructOps) {
                    doc.push_str("; its sets allow it in no op of this struct");
                }
                out.push(Entry::kfunc(&f.name, proto, names, doc, scope, &prog_types));
            }
            // lint still flags a call from any op
            None => out.push(Entry::lint_kfunc(
                &f.name,
                names,
                doc,
                format!(
                    "its sets ({}) allow it in no op of this struct and in no other program type",
                    in_sets.join(", ")
                ),
                Some(Vec::new()),
                &[ProgType::StructOps],
            )),
        }
    }
    Ok(out)
}

/// Spells BTF's base C types the way declarations do (x86-64 LP64 sizes).
fn normalize_types(proto: &str) -> String {
    const NAMES: [(&str, &str); 9] = [
        ("long long unsigned int", "u64"),
        ("long unsigned int", "u64"),
        ("long long int", "s64"),
        ("short unsigned int", "u16"),
        ("unsigned int", "u32"),
        ("unsigned char", "u8"),
        ("short int", "s16"),
        ("long int", "long"),
        ("_Bool", "bool"),
    ];
    let mut s = proto.to_owned();
    for (from, to) in NAMES {
        s = s.replace(from, to);
    }
    s
}

/// Writes `imported.toml` to `path`.
pub fn write(imported: &Imported, path: &Path) -> std::io::Result<()> {
    std::fs::write(path, &imported.toml)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(v: &[(&str, &str)]) -> Vec<(String, SetOps)> {
        v.iter()
            .map(|(s, o)| (s.to_string(), SetOps::parse(o)))
            .collect()
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn prog_types_are_the_union_of_the_stated_sets() {
        use ProgType::*;
        let stated = vec![
            ("any".to_string(), vec![StructOps, Tracing, Syscall]),
            ("unl".to_string(), vec![StructOps, Syscall]),
            ("cpu".to_string(), vec![StructOps]),
        ];
        assert_eq!(
            kfunc_prog_types(&names(&["any"]), &stated),
            Some(vec![StructOps, Syscall, Tracing])
        );
        assert_eq!(
            kfunc_prog_types(&names(&["cpu", "unl", "other"]), &stated),
            Some(vec![StructOps, Syscall])
        );
        assert_eq!(kfunc_prog_types(&names(&["other"]), &stated), None);
        assert_eq!(
            parse_prog_types("struct_ops, tracing"),
            Ok(vec![StructOps, Tracing])
        );
        assert!(parse_prog_types("xdp")
            .unwrap_err()
            .contains("struct_ops, syscall, tracing"));
    }

    #[test]
    fn a_kfunc_no_op_may_call_stays_declared_for_its_other_prog_types() {
        use ProgType::*;
        // before, any kfunc whose sets allow no op was dropped, so lint
        // never saw its callers
        assert_eq!(
            placement(Some(vec![]), vec![StructOps, Syscall]),
            Some((None, vec![Syscall]))
        );
        assert_eq!(placement(Some(vec![]), vec![StructOps]), None);
        assert_eq!(
            placement(Some(names(&["init"])), vec![StructOps]),
            Some((Some(names(&["init"])), vec![StructOps]))
        );
        assert_eq!(
            placement(None, vec![StructOps, Tracing]),
            Some((None, vec![StructOps, Tracing]))
        );
    }

    #[test]
    fn a_kfunc_entry_carries_its_prog_types() {
        let e = render::Entry::kfunc(
            "bpf_x",
            "void bpf_x(void)".into(),
            vec![],
            "sets: any".into(),
            None,
            &[ProgType::StructOps, ProgType::Tracing],
        );
        let (text, _) = {
            let mut r = render::Render::new("x", "x_ops", Path::new("vmlinux"));
            r.push(e);
            r.text()
        };
        assert!(
            text.contains("prog_types = [\"struct_ops\", \"tracing\"]"),
            "{text}"
        );
    }

    /// Before, a kfunc whose prototype a declaration cannot state was left
    /// out, and lint never saw its callers.
    #[test]
    fn a_kfunc_without_a_declarable_prototype_becomes_lint_only() {
        let ops = Some(names(&["pick"]));
        let kf = |name: &str, proto: &str, ops: Option<Vec<String>>| {
            render::Entry::kfunc(
                name,
                proto.into(),
                vec!["KF_IMPLICIT_ARGS"],
                "sets: x_set".into(),
                ops,
                &[ProgType::StructOps],
            )
        };
        let mut r = render::Render::new("x", "x_ops", Path::new("vmlinux"));
        r.push(render::Entry::callback(
            "pick",
            "int (*pick)(u32 n)".into(),
            Some("x_default_pick".into()),
            false,
        ));
        r.push(kf(
            "bpf_x_walk",
            "void bpf_x_walk(int (*cb)(u32 n), const struct bpf_prog_aux *aux)",
            ops.clone(),
        ));
        r.push(kf(
            "bpf_x_get___v2",
            "u32 bpf_x_get___v2(const struct bpf_prog_aux *aux)",
            ops,
        ));
        r.push(kf(
            "bpf_x_gone",
            "u32 bpf_x_gone(const struct bpf_prog_aux *aux)",
            Some(names(&["nosuch"])),
        ));
        let imported = r.finish().expect("a valid declaration");
        let t = &imported.toml;
        assert_eq!(imported.kfuncs, 0, "{t}");
        let lint_only: Vec<&str> = imported
            .lint_kfuncs
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(lint_only, ["bpf_x_walk", "bpf_x_get___v2"], "{t}");
        assert!(
            t.contains(
                "# sets: x_set\n# lint only, no prototype (nothing is generated for it): \
                 in kfunc prototype"
            ),
            "{t}"
        );
        assert!(
            t.contains(
                "[[lint_kfunc]]\nname = \"bpf_x_get___v2\"\nflags = [\"KF_IMPLICIT_ARGS\"]\n\
                 prog_types = [\"struct_ops\"]\nops = [\"pick\"]\n"
            ),
            "{t}"
        );
        // wrong in either form: left out, with the reason
        assert!(
            imported
                .dropped
                .iter()
                .any(|(n, why)| n == "bpf_x_gone" && why.contains("has no callback `nosuch`")),
            "{:?}",
            imported.dropped
        );
        let decl = modless_decl::parse(t, "x.toml").unwrap();
        assert_eq!(decl.lint_kfuncs.len(), 2);
    }

    #[test]
    fn the_kernel_filter_rules() {
        let map = sets(&[("any", "*"), ("disp", "dispatch"), ("unl", "init, dump")]);
        // a set open to every op wins
        assert_eq!(kfunc_ops(&names(&["disp", "any"]), &map, false, &[]), None);
        // no mapped set: nothing known, nothing restricted
        assert_eq!(kfunc_ops(&names(&["cpu_only"]), &map, false, &[]), None);
        // unmapped sets are ignored, mapped ones add up
        assert_eq!(
            kfunc_ops(&names(&["cpu_only", "disp", "unl"]), &map, false, &[]),
            Some(names(&["dispatch", "init", "dump"]))
        );
        // a sleepable kfunc keeps only the ops that may sleep
        assert_eq!(
            kfunc_ops(&names(&["unl"]), &map, true, &names(&["init"])),
            Some(names(&["init"]))
        );
    }
}
