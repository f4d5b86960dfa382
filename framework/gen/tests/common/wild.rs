//! Plausible but unusual declarations, as TOML text: a valid base with a
//! few mutations drawn from what real subsystem authors get wrong (names
//! the generated code or the kernel already uses, Rust keywords, case
//! twins, comment markers in docs, absurd array sizes, odd ret_ranges,
//! shared defaults, broken TOML). Text, not the model, so every rejection
//! must carry a line and column.

use std::fmt::Write;

use quickcheck::{Arbitrary, Gen};

fn below(g: &mut Gen, n: usize) -> usize {
    usize::arbitrary(g) % n.max(1)
}

fn pick<T: Clone>(g: &mut Gen, xs: &[T]) -> T {
    g.choose(xs).unwrap().clone()
}

fn chance(g: &mut Gen, one_in: usize) -> bool {
    below(g, one_in) == 0
}

/// Names that broke generated code once, or might; `{sub}`, `{SUB}` and
/// `{ops}` are replaced by the declaration's own.
const EDGE_NAMES: &[&str] = &[
    // kernel macros, keywords, C23, errno
    "current",
    "min",
    "max",
    "likely",
    "container_of",
    "NULL",
    "EINVAL",
    "EPERM",
    "__rcu",
    "__user",
    "constexpr",
    "nullptr",
    "typeof",
    "bool",
    "int",
    "_BitInt",
    "static_assert",
    "jiffies",
    "swap",
    "abs",
    "strscpy",
    "guard",
    "might_sleep",
    "THIS_MODULE",
    "asm",
    // locals and parameters of the glue
    "ops",
    "ret",
    "done",
    "info",
    "link",
    "kdata",
    "udata",
    "uops",
    "t",
    "off",
    "size",
    "prog",
    "btf",
    "name",
    "end",
    "err",
    "id",
    "idx",
    "old",
    "code",
    "fmt",
    "args",
    "reason",
    "log",
    "reg",
    "type",
    "member",
    "shift",
    "len",
    // Rust
    "self",
    "Self",
    "super",
    "crate",
    "fn",
    "match",
    "move",
    "r",
    "_",
    "_1",
    "gen",
    "yield",
    // case twins and look-alikes
    "Obj",
    "OBJ",
    "obj",
    "Pick",
    "PICK",
    "pick",
    // what the generator defines
    "{sub}_bpf_eject",
    "{sub}_st_reg",
    "{sub}_st_init",
    "{sub}_kfunc_filter",
    "{sub}_bpf_init",
    "{sub}_call_pick",
    "{ops}__pick",
    "{SUB}_CALL",
    "{sub}_bpf_ops",
    "{sub}_bpf_attached",
    "{sub}_bpf_lock",
    "bpf_node",
    "any_op",
    "{sub}_syscall_kfunc_set",
    "{sub}_kfunc_ids",
    "{sub}_exit_info",
    "{SUB}_EXIT_EJECT",
    "{SUB}_BPF_ENABLED",
    "{sub}_btf_ids",
    "{sub}_fmodret_set",
    "{ops}",
    "bpf_struct_ops_{ops}",
    "modless_exit_record",
    "{sub}_pick_kfunc_set",
    "{sub}_btf_shift",
    "{SUB}_OP",
    "{SUB}_HOOK",
    "{SUB}_OPS_F_A",
    // not identifiers, or too long
    "9lives",
    "a-b",
    "é",
    "",
    "x y",
];

const PLAIN_NAMES: &[&str] = &[
    "a", "b", "n", "cpu", "dom", "nr", "weight", "slot", "job", "task", "mask", "limit", "cost",
    "prio", "flags2", "when", "x", "y", "z", "value", "count",
];

const EDGE_DOCS: &[&str] = &[
    "ends */ here",
    "nests /* here",
    "two\nlines",
    "three\nlines\nhere",
    "tab\there",
    "bell \u{7}",
    "nul \u{0}",
    "unicode é ü 漢",
    "back\\slash",
    "quote \" here",
    "trailing backslash \\",
    "percent %s %d",
    "",
    " ",
    "a very long doc that goes on and on and on and on and on and on and on and on and on",
];

const SIZES: &[usize] = &[0, 1, 2, 3, 16, 33, 4096, 4097, 65536, 2_147_483_648];

const SCALARS: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "s32",
    "s64",
    "int",
    "long",
    "bool",
    "char",
    "size_t",
    "unsigned int",
    "unsigned long",
];

const EDGE_TYPES: &[&str] = &[
    "void *",
    "char *",
    "const char *",
    "u64 *",
    "struct task_struct **",
    "struct foo",
    "const struct cpumask *",
    "struct bpf_prog_aux *",
];

const RET_VALUES: &[&str] = &[
    "\"-EPERM\"",
    "\"-EINVAL\"",
    "0",
    "1",
    "-1",
    "\"-MAX_ERRNO\"",
    "2147483647",
    "\"EBUSY\"",
    "\"bogus\"",
    "-2147483649",
    "\"-ENOSPC\"",
];

/// A TOML basic string for `s`.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => write!(out, "\\u{:04X}", u32::from(c)).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Debug, Clone)]
struct Proto {
    ret: String,
    name: String,
    params: Vec<(String, String)>,
}

impl Proto {
    fn c(&self, fn_ptr: bool) -> String {
        let params = if self.params.is_empty() {
            "void".to_string()
        } else {
            self.params
                .iter()
                .map(|(t, n)| {
                    if t.ends_with('*') {
                        format!("{t}{n}")
                    } else {
                        format!("{t} {n}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let ret = if self.ret.ends_with('*') {
            self.ret.clone()
        } else {
            format!("{} ", self.ret)
        };
        if fn_ptr {
            format!("{ret}(*{})({params})", self.name)
        } else {
            format!("{ret}{}({params})", self.name)
        }
    }
}

#[derive(Debug, Clone)]
struct Cb {
    proto: Proto,
    required: bool,
    default: Option<String>,
    sleepable: bool,
    exit: bool,
    zero: bool,
    doc: Option<String>,
}

#[derive(Debug, Clone)]
struct Data {
    ty: String,
    name: String,
    len: Option<usize>,
    kind: &'static str,
    flags: Vec<(String, u32)>,
    max: Option<u64>,
    doc: Option<String>,
}

#[derive(Debug, Clone)]
struct Kf {
    proto: Proto,
    flags: Vec<&'static str>,
    prog_types: Vec<&'static str>,
    ops: Option<Vec<String>>,
    doc: Option<String>,
}

#[derive(Debug, Clone)]
struct Hk {
    proto: Proto,
    fmod_ret: bool,
    ret_range: Option<Vec<String>>,
    default: Option<String>,
    sleepable: bool,
    doc: Option<String>,
}

#[derive(Debug, Clone)]
struct Strukt {
    name: String,
    fields: Vec<(String, String, Option<usize>)>,
    doc: Option<String>,
}

/// One generated declaration; `text` is what `modless check` reads.
#[derive(Debug, Clone)]
pub struct Wild {
    pub text: String,
    /// Which mutations made it, for reports.
    pub mutations: Vec<&'static str>,
}

struct Model {
    sub: String,
    sub_doc: Option<String>,
    structs: Vec<Strukt>,
    ops: String,
    instances: &'static str,
    writes: Vec<String>,
    cbs: Vec<Cb>,
    data: Vec<Data>,
    kfuncs: Vec<Kf>,
    hooks: Vec<Hk>,
    /// Raw text edits applied after rendering.
    edits: Vec<(&'static str, &'static str)>,
}

fn plain(g: &mut Gen) -> String {
    pick(g, PLAIN_NAMES).to_string()
}

fn scalar(g: &mut Gen) -> String {
    pick(g, SCALARS).to_string()
}

fn base(g: &mut Gen) -> Model {
    let sub = pick(g, &["demo", "jobd", "xq", "net_pol", "s", "io9"]).to_string();
    let ops = format!("{sub}_ops");
    let mut structs = Vec::new();
    for i in 0..below(g, 3) {
        let fields = (0..1 + below(g, 4))
            .map(|f| (scalar(g), format!("f{f}"), None))
            .collect();
        structs.push(Strukt {
            name: format!("{sub}_obj{i}"),
            fields,
            doc: chance(g, 2).then(|| "A shared object.".to_string()),
        });
    }
    let tags: Vec<String> = structs.iter().map(|s| s.name.clone()).collect();
    let instances = pick(g, &["one", "one", "many"]);
    let ptype = |g: &mut Gen| -> String {
        match below(g, 4) {
            0 if !tags.is_empty() => format!("struct {} *", pick(g, &tags)),
            1 => "struct task_struct *".to_string(),
            _ => scalar(g),
        }
    };
    let mut cbs = Vec::new();
    for i in 0..1 + below(g, 5) {
        let ret = pick(g, &["void", "int", "u32", "s64", "bool"]).to_string();
        let params = (0..below(g, 4))
            .map(|a| (ptype(g), format!("{}{a}", plain(g))))
            .collect();
        let needs_default = ret != "void" || chance(g, 2);
        cbs.push(Cb {
            proto: Proto {
                ret,
                name: format!("op{i}"),
                params,
            },
            required: chance(g, 3),
            default: needs_default.then(|| format!("{sub}_default_op{i}")),
            sleepable: instances == "one" && chance(g, 4),
            exit: false,
            zero: false,
            doc: chance(g, 2).then(|| "An op.".to_string()),
        });
    }
    if chance(g, 2) {
        cbs.push(Cb {
            proto: Proto {
                ret: "void".into(),
                name: "exit".into(),
                params: vec![(format!("struct {sub}_exit_info *"), "info".into())],
            },
            required: false,
            default: None,
            sleepable: false,
            exit: true,
            zero: true,
            doc: None,
        });
    }
    let mut data = Vec::new();
    if chance(g, 2) {
        data.push(Data {
            ty: "char".into(),
            name: "name".into(),
            len: Some(16),
            kind: "name",
            flags: vec![],
            max: None,
            doc: None,
        });
    }
    if chance(g, 2) {
        let up = sub.to_ascii_uppercase();
        data.push(Data {
            ty: "u64".into(),
            name: "flags".into(),
            len: None,
            kind: "flags",
            flags: (0..below(g, 3))
                .map(|b| (format!("{up}_F_{b}"), b as u32 * 2))
                .collect(),
            max: None,
            doc: None,
        });
    }
    if chance(g, 2) {
        data.push(Data {
            ty: "u32".into(),
            name: "limit".into(),
            len: None,
            kind: "value",
            flags: vec![],
            max: chance(g, 2).then_some(100),
            doc: None,
        });
    }
    let writes = structs
        .iter()
        .filter(|_| chance(g, 2))
        .map(|s| format!("{}.{}", s.name, s.fields[0].1))
        .collect();
    let mut kfuncs = Vec::new();
    for i in 0..below(g, 4) {
        let params = (0..below(g, 3))
            .map(|a| (ptype(g), format!("k{a}")))
            .collect();
        let scoped = chance(g, 2);
        kfuncs.push(Kf {
            proto: Proto {
                ret: scalar(g),
                name: format!("bpf_{sub}_k{i}"),
                params,
            },
            flags: vec![],
            prog_types: if scoped {
                vec!["struct_ops"]
            } else {
                pick(
                    g,
                    &[
                        vec!["struct_ops"],
                        vec!["syscall"],
                        vec!["struct_ops", "tracing"],
                    ],
                )
            },
            ops: scoped.then(|| vec![cbs[0].proto.name.clone()]),
            doc: None,
        });
    }
    let mut hooks = Vec::new();
    for i in 0..below(g, 3) {
        let fmod_ret = chance(g, 2);
        let params = (0..below(g, 3))
            .map(|a| (ptype(g), format!("h{a}")))
            .collect();
        hooks.push(Hk {
            proto: Proto {
                ret: if fmod_ret {
                    "int".into()
                } else {
                    "void".into()
                },
                name: format!("{sub}_hook{i}"),
                params,
            },
            fmod_ret,
            ret_range: fmod_ret.then(|| vec!["\"-EPERM\"".into(), "0".into()]),
            default: None,
            sleepable: false,
            doc: None,
        });
    }
    Model {
        sub,
        sub_doc: chance(g, 2).then(|| "A subsystem.".to_string()),
        structs,
        ops,
        instances,
        writes,
        cbs,
        data,
        kfuncs,
        hooks,
        edits: Vec::new(),
    }
}

fn edge_name(g: &mut Gen, m: &Model) -> String {
    pick(g, EDGE_NAMES)
        .replace("{sub}", &m.sub)
        .replace("{SUB}", &m.sub.to_ascii_uppercase())
        .replace("{ops}", &m.ops)
}

/// Applies one mutation; returns its name.
fn mutate(g: &mut Gen, m: &mut Model) -> &'static str {
    match below(g, 15) {
        0 => {
            let n = edge_name(g, m);
            let i = below(g, m.cbs.len());
            let cb = &mut m.cbs[i];
            if cb.proto.params.is_empty() {
                cb.proto.params.push(("u32".into(), n));
            } else {
                let j = below(g, cb.proto.params.len());
                cb.proto.params[j].1 = n;
            }
            "callback parameter name"
        }
        1 => {
            let n = edge_name(g, m);
            let i = below(g, m.cbs.len());
            m.cbs[i].proto.name = n;
            "callback name"
        }
        2 => {
            let n = edge_name(g, m);
            match (m.kfuncs.is_empty(), m.hooks.is_empty(), chance(g, 2)) {
                (false, _, true) | (false, true, _) => {
                    let i = below(g, m.kfuncs.len());
                    m.kfuncs[i].proto.name = n;
                }
                (_, false, _) => {
                    let i = below(g, m.hooks.len());
                    m.hooks[i].proto.name = n;
                }
                _ => m.ops = n,
            }
            "kfunc, hook or ops name"
        }
        3 => {
            let n = edge_name(g, m);
            if let Some(s) = m.structs.first_mut() {
                if chance(g, 2) {
                    s.name = n;
                } else {
                    s.fields[0].1 = n;
                }
            } else {
                m.structs.push(Strukt {
                    name: n,
                    fields: vec![("u32".into(), "a".into(), None)],
                    doc: None,
                });
            }
            m.writes.clear();
            "struct or field name"
        }
        4 => {
            let doc = Some(pick(g, EDGE_DOCS).to_string());
            match below(g, 5) {
                0 => m.sub_doc = doc,
                1 if !m.structs.is_empty() => m.structs[0].doc = doc,
                2 if !m.data.is_empty() => m.data[0].doc = doc,
                3 if !m.hooks.is_empty() => m.hooks[0].doc = doc,
                4 if !m.kfuncs.is_empty() => m.kfuncs[0].doc = doc,
                _ => m.cbs[0].doc = doc,
            }
            "doc"
        }
        5 => {
            let len = pick(g, SIZES);
            if chance(g, 2) {
                m.data.push(Data {
                    ty: "char".into(),
                    name: "label".into(),
                    len: Some(len),
                    kind: "name",
                    flags: vec![],
                    max: None,
                    doc: None,
                });
            } else {
                let name = format!("{}_blob", m.sub);
                m.structs.push(Strukt {
                    name,
                    fields: vec![("char".into(), "buf".into(), Some(len))],
                    doc: None,
                });
            }
            "array size"
        }
        6 => {
            let values = (0..below(g, 4))
                .map(|_| pick(g, RET_VALUES).to_string())
                .collect();
            let name = format!("{}_gate", m.sub);
            m.hooks.push(Hk {
                proto: Proto {
                    ret: pick(g, &["int", "long", "u32", "s64"]).into(),
                    name,
                    params: vec![],
                },
                fmod_ret: true,
                ret_range: Some(values),
                default: chance(g, 2).then(|| pick(g, RET_VALUES).to_string()),
                sleepable: chance(g, 2),
                doc: None,
            });
            "ret_range"
        }
        7 => {
            let donor = m.cbs.iter().find_map(|c| c.default.clone());
            let i = below(g, m.cbs.len());
            if !m.cbs[i].exit {
                m.cbs[i].default = donor.or(Some(format!("{}_default_any", m.sub)));
            }
            "shared default"
        }
        8 => {
            let i = below(g, m.cbs.len());
            let p = &mut m.cbs[i].proto.params;
            match p.first().cloned() {
                Some((t, n)) if chance(g, 2) => p.push((t, n)),
                Some((t, n)) => p.push((t, format!("{n}__ref"))),
                None => p.push(("u32".into(), "a".into())),
            }
            "duplicate parameter"
        }
        9 => {
            let up = m.sub.to_ascii_uppercase();
            let name = pick(
                g,
                &[
                    format!("{up}_F_0"),
                    "lower".to_string(),
                    format!("{up}_"),
                    "OTHER_F".to_string(),
                    format!("{up}_F_X"),
                ],
            );
            m.data.push(Data {
                ty: pick(g, &["u32", "u64", "s32", "u8"]).into(),
                name: format!("more{}", below(g, 2)),
                len: None,
                kind: "flags",
                flags: vec![(name, pick(g, &[0, 7, 31, 63, 64]))],
                max: None,
                doc: None,
            });
            "flags"
        }
        10 => {
            let name = m
                .hooks
                .first()
                .map_or(format!("{}_h", m.sub), |h| h.proto.name.clone());
            let twin = if chance(g, 2) {
                name.to_ascii_uppercase()
            } else {
                name.clone()
            };
            m.hooks.push(Hk {
                proto: Proto {
                    ret: "int".into(),
                    name: twin,
                    params: vec![],
                },
                fmod_ret: true,
                ret_range: Some(vec!["-1".into(), "0".into()]),
                default: None,
                sleepable: false,
                doc: None,
            });
            "hook twin"
        }
        11 => {
            let ops = pick(
                g,
                &[
                    vec![],
                    vec!["nope".to_string()],
                    vec![m.cbs[0].proto.name.clone(); 2],
                ],
            );
            let name = format!("bpf_{}_scoped", m.sub);
            m.kfuncs.push(Kf {
                proto: Proto {
                    ret: "u64".into(),
                    name,
                    params: vec![],
                },
                flags: pick(g, &[vec![], vec!["KF_SLEEPABLE"], vec!["KF_RET_NULL"]]),
                prog_types: pick(g, &[vec!["struct_ops"], vec!["syscall"], vec![]]),
                ops: Some(ops),
                doc: None,
            });
            "kfunc scope"
        }
        12 => {
            let edit = pick(
                g,
                &[
                    ("name = ", "nom = "),
                    ("required = true", "required = true\nrequired = true"),
                    ("[ops]", "[ops]\nbogus = 1"),
                    ("kind = ", "kind = 3\nkindd = "),
                    ("fn = \"", "fn = '"),
                    ("prog_types", "prog_types = 1\nprog_types"),
                ],
            );
            m.edits.push(edit);
            "TOML structure"
        }
        13 => {
            match below(g, 3) {
                0 => m.sub = "s".repeat(55 + below(g, 3)),
                1 => {
                    let n = format!("bpf_{}", "k".repeat(490 + below(g, 20)));
                    m.kfuncs.push(Kf {
                        proto: Proto {
                            ret: "u64".into(),
                            name: n,
                            params: vec![],
                        },
                        flags: vec!["KF_IMPLICIT_ARGS"],
                        prog_types: vec!["syscall"],
                        ops: None,
                        doc: None,
                    });
                }
                _ => m.ops = format!("{}_{}", m.sub, "o".repeat(100 + below(g, 20))),
            }
            "long names"
        }
        _ => {
            let ty = pick(g, EDGE_TYPES).to_string();
            let i = below(g, m.cbs.len());
            let cb = &mut m.cbs[i];
            if chance(g, 2) {
                cb.proto.ret = ty;
                if cb.default.is_none() {
                    cb.default = Some(format!("{}_default_ptr", m.sub));
                }
            } else {
                cb.proto.params.push((ty, "q".into()));
            }
            "types"
        }
    }
}

fn render(m: &Model) -> String {
    let mut s = String::new();
    writeln!(s, "[subsystem]\nname = {}", q(&m.sub)).unwrap();
    if let Some(d) = &m.sub_doc {
        writeln!(s, "doc = {}", q(d)).unwrap();
    }
    for st in &m.structs {
        writeln!(s, "\n[[struct]]\nname = {}", q(&st.name)).unwrap();
        if let Some(d) = &st.doc {
            writeln!(s, "doc = {}", q(d)).unwrap();
        }
        let fields: Vec<String> = st
            .fields
            .iter()
            .map(|(t, n, len)| match len {
                Some(l) => q(&format!("{t} {n}[{l}]")),
                None => q(&format!("{t} {n}")),
            })
            .collect();
        writeln!(s, "fields = [{}]", fields.join(", ")).unwrap();
    }
    writeln!(
        s,
        "\n[ops]\nname = {}\ninstances = {}",
        q(&m.ops),
        q(m.instances)
    )
    .unwrap();
    if !m.writes.is_empty() {
        let w: Vec<String> = m.writes.iter().map(|w| q(w)).collect();
        writeln!(s, "writes = [{}]", w.join(", ")).unwrap();
    }
    for cb in &m.cbs {
        writeln!(s, "\n[[ops.callback]]\nfn = {}", q(&cb.proto.c(true))).unwrap();
        if cb.required {
            s.push_str("required = true\n");
        }
        if let Some(d) = &cb.default {
            writeln!(s, "default = {}", q(d)).unwrap();
        }
        if cb.sleepable {
            s.push_str("sleepable = true\n");
        }
        if cb.exit {
            s.push_str("exit = true\n");
        }
        if cb.zero {
            s.push_str("if_missing = \"zero\"\n");
        }
        if let Some(d) = &cb.doc {
            writeln!(s, "doc = {}", q(d)).unwrap();
        }
    }
    for d in &m.data {
        let field = match d.len {
            Some(l) => format!("{} {}[{l}]", d.ty, d.name),
            None => format!("{} {}", d.ty, d.name),
        };
        writeln!(
            s,
            "\n[[ops.data]]\nfield = {}\nkind = {}",
            q(&field),
            q(d.kind)
        )
        .unwrap();
        if !d.flags.is_empty() {
            let f: Vec<String> = d
                .flags
                .iter()
                .map(|(n, b)| format!("{{ name = {}, bit = {b} }}", q(n)))
                .collect();
            writeln!(s, "flags = [{}]", f.join(", ")).unwrap();
        }
        if let Some(max) = d.max {
            writeln!(s, "max = {max}").unwrap();
        }
        if let Some(doc) = &d.doc {
            writeln!(s, "doc = {}", q(doc)).unwrap();
        }
    }
    for k in &m.kfuncs {
        writeln!(s, "\n[[kfunc]]\nproto = {}", q(&k.proto.c(false))).unwrap();
        let list = |xs: &[&str]| xs.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ");
        writeln!(s, "flags = [{}]", list(&k.flags)).unwrap();
        writeln!(s, "prog_types = [{}]", list(&k.prog_types)).unwrap();
        if let Some(ops) = &k.ops {
            let ops: Vec<&str> = ops.iter().map(String::as_str).collect();
            writeln!(s, "ops = [{}]", list(&ops)).unwrap();
        }
        if let Some(d) = &k.doc {
            let args: Vec<String> = k
                .proto
                .params
                .iter()
                .map(|(_, n)| format!("{} = \"an argument\"", q(n)))
                .collect();
            writeln!(s, "doc = {}\ndoc_args = {{ {} }}", q(d), args.join(", ")).unwrap();
        }
    }
    for h in &m.hooks {
        writeln!(s, "\n[[hook]]\nproto = {}", q(&h.proto.c(false))).unwrap();
        let attach = if h.fmod_ret { "fmod_ret" } else { "fentry" };
        writeln!(s, "attach = {}", q(attach)).unwrap();
        if let Some(r) = &h.ret_range {
            writeln!(s, "ret_range = [{}]", r.join(", ")).unwrap();
        }
        if let Some(d) = &h.default {
            writeln!(s, "default = {d}").unwrap();
        }
        if h.sleepable {
            s.push_str("sleepable = true\n");
        }
        if let Some(d) = &h.doc {
            writeln!(s, "doc = {}", q(d)).unwrap();
        }
    }
    for (from, to) in &m.edits {
        s = s.replacen(from, to, 1);
    }
    s
}

impl Arbitrary for Wild {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut m = base(g);
        let mut mutations = Vec::new();
        for _ in 0..below(g, 4) {
            mutations.push(mutate(g, &mut m));
        }
        Wild {
            text: render(&m),
            mutations,
        }
    }
}
