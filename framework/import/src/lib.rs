//! Import an existing kernel extension interface into a modless declaration.
//!
//! ```text
//! vmlinux ─ Btf::open ─ struct <ops> ─────────── [ops] callbacks (names from the
//!    │                   <ops>__<member> stubs)   cfi stubs <ops>__<member>), [[ops.data]]
//!    │                   kfuncs (bpf_kfunc tag) ─ [[kfunc]] proto
//!    └ .BTF_ids set8 ─── flags, set membership ── flags, doc "sets: ..."
//!                                     └─ modless_decl::parse + validate; entries
//!                                        it rejects are dropped with the reason
//! ```
#![deny(missing_debug_implementations)]

mod btf_ids;
mod error;
mod render;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use modless_btf::{Btf, FuncInfo, TypeScope};

pub use btf_ids::{flag_names, read_sets, KfuncSet, KF_BITS};
pub use error::ImportError;
use render::{Entry, Render};

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

/// The result: the declaration text and what happened on the way.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The declaration, TOML; it parses and validates with modless-decl.
    pub toml: String,
    pub callbacks: usize,
    pub data: usize,
    pub kfuncs: usize,
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

    // Subsystems whose cfi stubs are named <ops>__<member> (sched_ext, the
    // generated glue) have none for a member BPF cannot implement; others
    // name theirs freely (tcp_congestion_ops: bpf_tcp_ca_*), and there the
    // member's own type is the prototype.
    let named_stubs = ops
        .members
        .iter()
        .any(|m| btf.find_func(&format!("{}__{}", opts.ops, m.name)).is_ok());
    let mut r = Render::new(&subsystem, &opts.ops, &opts.btf);
    for m in &ops.members {
        if m.c_decl.contains("(*") {
            r.push(callback_entry(
                &btf,
                &opts.ops,
                m,
                opts.sleepable.contains(&m.name),
                named_stubs,
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

fn callback_entry(
    btf: &Btf,
    ops: &str,
    m: &modless_btf::Member,
    sleepable: bool,
    named_stubs: bool,
) -> Entry {
    let stub = format!("{ops}__{}", m.name);
    let default = |ret: &str| (ret != "void").then(|| format!("{ops}_default_{}", m.name));
    if !named_stubs {
        return match member_proto(&m.c_decl, &m.name) {
            Some((ret, proto)) => Entry::callback(&m.name, proto, default(&ret), sleepable),
            None => Entry::dropped(
                &m.name,
                format!("cannot read `{}` as a prototype", m.c_decl),
            ),
        };
    }
    match btf.find_func(&stub) {
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
            Entry::callback(&m.name, proto, default(ret), sleepable)
        }
        // No stub: the kernel cannot call this member from a BPF table of
        // this type (e.g. sched_ext_ops.sub_caps_updated in the cpu form).
        Err(_) => Entry::dropped(
            &m.name,
            format!("no cfi stub `{stub}` in BTF, so BPF cannot implement it"),
        ),
    }
}

/// `(return type, prototype)` from a function-pointer member's C,
/// `u32 (*ssthresh)(struct sock *)`: unnamed parameters become `argN`.
fn member_proto(c_decl: &str, name: &str) -> Option<(String, String)> {
    let (ret, rest) = c_decl.split_once(&format!("(*{name})("))?;
    let params = rest.strip_suffix(')')?;
    let mut list = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in params.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                list.push(&params[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    list.push(&params[start..]);
    let list: Vec<&str> = list.iter().map(|p| p.trim()).collect();
    let params: Vec<String> = if list == ["void"] || list == [""] {
        vec!["void".into()]
    } else {
        list.iter()
            .enumerate()
            .map(|(i, t)| c_param(&normalize_types(t), &format!("arg{i}")))
            .collect()
    };
    let ret = normalize_types(ret.trim());
    let sep = if ret.ends_with('*') { "" } else { " " };
    let proto = format!("{ret}{sep}(*{name})({})", params.join(", "));
    Some((ret, proto))
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
        let sleepable = names.contains(&"KF_SLEEPABLE");
        let scope = kfunc_ops(&in_sets, &opts.set_ops, sleepable, &opts.sleepable).map(|ops| {
            // ops this kernel's struct lacks (config-dependent members)
            ops.into_iter()
                .filter(|o| callbacks.contains(o))
                .collect::<Vec<_>>()
        });
        if scope.as_ref().is_some_and(|o| o.is_empty()) {
            out.push(Entry::dropped(
                &f.name,
                format!(
                    "its sets ({}) allow it in no op of this struct",
                    in_sets.join(", ")
                ),
            ));
            continue;
        }
        out.push(Entry::kfunc(&f.name, proto, names, doc, scope));
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

    #[test]
    fn a_member_type_is_a_prototype_with_numbered_parameters() {
        let p = |d: &str, n: &str| member_proto(d, n).map(|(_, p)| p);
        assert_eq!(
            p("u32 (*ssthresh)(struct sock *)", "ssthresh").as_deref(),
            Some("u32 (*ssthresh)(struct sock *arg0)")
        );
        assert_eq!(
            p(
                "void (*cong_control)(struct sock *, u32, int, const struct rate_sample *)",
                "cong_control"
            )
            .as_deref(),
            Some("void (*cong_control)(struct sock *arg0, u32 arg1, int arg2, const struct rate_sample *arg3)")
        );
        assert_eq!(
            p(
                "size_t (*get_info)(struct sock *, u32, int *, union tcp_cc_info *)",
                "get_info"
            )
            .map(|s| s.starts_with("size_t (*get_info)(struct sock *arg0, u32 arg1, int *arg2")),
            Some(true)
        );
        assert_eq!(
            p("void (*release)(void)", "release").as_deref(),
            Some("void (*release)(void)")
        );
        assert_eq!(
            member_proto("char *(*name)(long unsigned int)", "name"),
            Some(("char *".into(), "char *(*name)(u64 arg0)".into()))
        );
        assert_eq!(p("u32 (*other)(struct sock *)", "ssthresh"), None);
    }
}
