//! Kernel C and BPF declarations for a kfunc set, in bpf_qdisc.c's shape:
//! the sets and the per-op table are data, the filter is fixed logic.

use std::fmt::Write;

use modless_ctypes::cfmt::{pad, width, wrap_words};

use crate::model::{Deny, Kfunc, OpScope, ProgType};
use crate::names;

/// What the filter needs from the ops table it guards.
#[derive(Debug, Clone)]
pub struct FilterCtx {
    /// Subsystem prefix, e.g. `jobd`.
    pub sub: String,
    /// Whether a prog attaches to the ops type (`bool f(const struct bpf_prog *)`).
    pub is_ours_fn: String,
    pub op_idx: String,
    /// Maps a runtime BTF id to the build-time one of the sets (unused
    /// when `built_in`).
    pub local_id_fn: String,
    /// Built into vmlinux: ids need no translation, and the filter sees
    /// every vmlinux kfunc of the hook.
    pub built_in: bool,
    /// Callback names in struct order.
    pub ops: Vec<String>,
}

fn used_prog_types(kfuncs: &[Kfunc]) -> Vec<ProgType> {
    ProgType::ALL
        .into_iter()
        .filter(|t| kfuncs.iter().any(|k| k.prog_types.contains(t)))
        .collect()
}

/// Kernel-doc and prototypes for the subsystem's header; the subsystem
/// defines each with `__bpf_kfunc`.
pub fn h_prototypes(kfuncs: &[Kfunc]) -> String {
    let mut s = String::new();
    for (i, k) in kfuncs.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        if let Some(doc) = &k.doc {
            s.push_str("/**\n");
            s.push_str(&wrap_words(
                &format!(" * {} - ", k.name()),
                " *   ",
                &doc.summary,
            ));
            // parameter order, not the order the declaration listed them in
            for a in &k.bpf_proto().params {
                if let Some((_, d)) = doc.args.iter().find(|(n, _)| n == &a.name) {
                    s.push_str(&wrap_words(&format!(" * @{}: ", a.name), " *   ", d));
                }
            }
            if let Some(r) = &doc.ret {
                s.push_str(" *\n");
                s.push_str(&wrap_words(" * Return: ", " * ", r));
            }
            s.push_str(" */\n");
        }
        writeln!(s, "{}", k.proto.render_wrapped("", k.name(), ";")).unwrap();
    }
    s
}

/// `BTF_KFUNCS_START` sets, per-op BTF sets, the filter and the
/// `btf_kfunc_id_set`s.
/// Whether [`c_sets`] emits a struct_ops kfunc filter (its only user of
/// the ops glue's id translation and ownership check).
pub fn has_filter(kfuncs: &[Kfunc]) -> bool {
    kfuncs
        .iter()
        .any(|k| k.prog_types.contains(&ProgType::StructOps))
}

pub fn c_sets(kfuncs: &[Kfunc], f: &FilterCtx) -> String {
    let sub = &f.sub;
    let mut s = String::new();
    for t in used_prog_types(kfuncs) {
        let set = names::set8(sub, t);
        writeln!(s, "BTF_KFUNCS_START({set})").unwrap();
        for k in kfuncs.iter().filter(|k| k.prog_types.contains(&t)) {
            match k.flags_c() {
                Some(fl) => writeln!(s, "BTF_ID_FLAGS(func, {}, {fl})", k.name()).unwrap(),
                None => writeln!(s, "BTF_ID_FLAGS(func, {})", k.name()).unwrap(),
            }
        }
        writeln!(s, "BTF_KFUNCS_END({set})\n").unwrap();
    }

    if has_filter(kfuncs) {
        let st: Vec<&Kfunc> = kfuncs
            .iter()
            .filter(|k| k.prog_types.contains(&ProgType::StructOps))
            .collect();
        s.push_str(&c_filter(&st, f));
    }

    for t in used_prog_types(kfuncs) {
        writeln!(
            s,
            "static const struct btf_kfunc_id_set {} = {{",
            names::id_set(sub, t)
        )
        .unwrap();
        s.push_str("\t.owner\t= THIS_MODULE,\n");
        writeln!(s, "\t.set\t= &{},", names::set8(sub, t)).unwrap();
        if t == ProgType::StructOps {
            writeln!(s, "\t.filter\t= {},", names::filter(sub)).unwrap();
        }
        s.push_str("};\n\n");
    }
    s
}

fn c_filter(st: &[&Kfunc], f: &FilterCtx) -> String {
    let sub = &f.sub;
    let mut s = String::new();
    let any: Vec<&&Kfunc> = st
        .iter()
        .filter(|k| k.scope == OpScope::AnyOp && k.deny == Deny::None)
        .collect();
    if !any.is_empty() {
        writeln!(s, "BTF_SET_START({})", names::any_op_set(sub)).unwrap();
        for k in &any {
            writeln!(s, "BTF_ID(func, {})", k.name()).unwrap();
        }
        writeln!(s, "BTF_SET_END({})\n", names::any_op_set(sub)).unwrap();
    }
    let mut op_sets = Vec::new();
    for op in &f.ops {
        // listed for the op, or denied only in other ops
        let members: Vec<&&Kfunc> = st
            .iter()
            .filter(|k| match (&k.scope, &k.deny) {
                (OpScope::Ops(o), _) => o.contains(op),
                (OpScope::AnyOp, Deny::Ops(d)) => !d.contains(op),
                (OpScope::AnyOp, _) => false,
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        let name = names::op_set(sub, op);
        writeln!(s, "BTF_SET_START({name})").unwrap();
        for k in members {
            writeln!(s, "BTF_ID(func, {})", k.name()).unwrap();
        }
        writeln!(s, "BTF_SET_END({name})\n").unwrap();
        op_sets.push((op.clone(), name));
    }
    let outside: Vec<&&Kfunc> = st.iter().filter(|k| k.deny != Deny::None).collect();
    if !outside.is_empty() {
        writeln!(s, "BTF_SET_START({})", names::outside_set(sub)).unwrap();
        for k in &outside {
            writeln!(s, "BTF_ID(func, {})", k.name()).unwrap();
        }
        writeln!(s, "BTF_SET_END({})\n", names::outside_set(sub)).unwrap();
    }
    let table = names::op_sets_table(sub);
    if !op_sets.is_empty() {
        s.push_str("/* kfuncs each op may call besides the ones any op may call */\n");
        writeln!(s, "static const struct btf_id_set *const {table}[] = {{").unwrap();
        let col = op_sets
            .iter()
            .map(|(op, _)| width(&format!("\t[{}({op})]", f.op_idx)))
            .max()
            .unwrap_or(0);
        for (op, name) in &op_sets {
            let key = format!("\t[{}({op})]", f.op_idx);
            writeln!(s, "{key}{}= &{name},", pad(width(&key), (col / 8 + 1) * 8)).unwrap();
        }
        s.push_str("};\n\n");
    }

    writeln!(
        s,
        "static int {}(const struct bpf_prog *prog, u32 kfunc_id)\n{{",
        names::filter(sub)
    )
    .unwrap();
    // built in, the sets hold the runtime ids: no translation
    let id = if f.built_in { "kfunc_id" } else { "id" };
    let locals: Vec<&str> = [
        (!f.built_in).then_some("id"),
        (!op_sets.is_empty()).then_some("idx"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !locals.is_empty() {
        writeln!(s, "\tu32 {};\n", locals.join(", ")).unwrap();
    }
    // a module's filters only ever see that module's kfuncs
    let (open, close) = if f.built_in {
        ("", "")
    } else {
        ("#ifndef MODULE\n", "\n#endif")
    };
    writeln!(
        s,
        "{open}\t/* built in, this filter sees every vmlinux kfunc of the hook */\n\
         \tif (!btf_id_set8_contains(&{}, kfunc_id))\n\t\treturn 0;{close}",
        names::set8(sub, ProgType::StructOps)
    )
    .unwrap();
    s.push_str("\t/* early CFG pass: the prog is not checked against its member yet */\n");
    s.push_str("\tif (!prog->aux->attach_func_name)\n\t\treturn 0;\n");
    if outside.is_empty() {
        writeln!(s, "\tif (!{}(prog))\n\t\treturn -EACCES;\n", f.is_ours_fn).unwrap();
    } else {
        // deny kfuncs need built-in ids (modless-decl refuses them in a module)
        s.push_str("\t/* other struct_ops types may call only the kfuncs denied here */\n");
        writeln!(
            s,
            "\tif (!{}(prog))\n\t\treturn btf_id_set_contains(&{}, {id}) ?\n\t\t       0 : -EACCES;\n",
            f.is_ours_fn,
            names::outside_set(sub)
        )
        .unwrap();
    }
    if !f.built_in {
        writeln!(s, "\tid = {}(kfunc_id);", f.local_id_fn).unwrap();
    }
    if !any.is_empty() {
        writeln!(
            s,
            "\tif (btf_id_set_contains(&{}, {id}))\n\t\treturn 0;",
            names::any_op_set(sub)
        )
        .unwrap();
    }
    if !op_sets.is_empty() {
        s.push_str("\t/* a struct_ops prog's member index; callbacks come first */\n");
        s.push_str("\tidx = prog->expected_attach_type;\n");
        writeln!(s, "\tif (idx < ARRAY_SIZE({table}) && {table}[idx] &&").unwrap();
        writeln!(
            s,
            "\t    btf_id_set_contains({table}[idx], {id}))\n\t\treturn 0;"
        )
        .unwrap();
    }
    s.push_str("\treturn -EACCES;\n}\n\n");
    s
}

/// `register_btf_kfunc_id_set(...)` calls, one per program-type hook.
pub fn c_register(kfuncs: &[Kfunc], sub: &str) -> Vec<String> {
    used_prog_types(kfuncs)
        .into_iter()
        .map(|t| {
            format!(
                "register_btf_kfunc_id_set({}, &{})",
                t.c_enum(),
                names::id_set(sub, t)
            )
        })
        .collect()
}

/// `extern ... __ksym __weak;` so programs can probe with bpf_ksym_exists().
pub fn bpf_externs(kfuncs: &[Kfunc]) -> String {
    let mut s = String::new();
    for k in kfuncs {
        let p = k.bpf_proto();
        writeln!(
            s,
            "{}",
            p.render_wrapped("extern ", k.name(), " __ksym __weak;")
        )
        .unwrap();
    }
    s
}
