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

    let mut r = Render::new(&subsystem, &opts.ops, &opts.btf);
    for m in &ops.members {
        if m.c_decl.contains("(*") {
            r.push(callback_entry(
                &btf,
                &opts.ops,
                m,
                opts.sleepable.contains(&m.name),
            ));
        } else {
            r.push(data_entry(m));
        }
    }
    for e in kfunc_entries(&btf, &sets, opts)? {
        r.push(e);
    }
    r.finish()
}

fn callback_entry(btf: &Btf, ops: &str, m: &modless_btf::Member, sleepable: bool) -> Entry {
    let stub = format!("{ops}__{}", m.name);
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
        out.push(Entry::kfunc(&f.name, proto, names, doc));
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
