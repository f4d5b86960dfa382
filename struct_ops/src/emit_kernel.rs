//! Kernel C for an ops table: the shared struct and call path (header) and
//! the `struct bpf_struct_ops` with its callbacks and CFI stubs (source).

use std::fmt::Write;

use modless_ctypes::cfmt::{comment, pad, wrapped};
use modless_ctypes::{CType, FuncProto};

use crate::model::{Callback, DataKind, IfMissing, Instances, OpsTable};
use crate::names::Names;
use crate::validate::plain_arg_name;

/// Prototype with annotation suffixes stripped from parameter names.
fn plain_proto(p: &FuncProto, name: &str) -> FuncProto {
    let mut q = p.clone();
    q.name = name.to_string();
    for arg in &mut q.params {
        arg.name = plain_arg_name(&arg.name).to_string();
    }
    q
}

fn call_args(p: &FuncProto) -> String {
    p.params
        .iter()
        .map(|a| plain_arg_name(&a.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `#define` lines for every flags data member.
pub fn h_flags(ops: &OpsTable, n: &Names) -> String {
    let mut s = String::new();
    for d in &ops.data {
        let DataKind::Flags(flags) = &d.kind else {
            continue;
        };
        for f in flags {
            if let Some(doc) = &f.doc {
                s.push_str(&comment(0, doc));
            }
            writeln!(s, "#define {}\t(1ULL << {})", f.name, f.bit).unwrap();
        }
        let all = if flags.is_empty() {
            "0ULL".to_string()
        } else {
            flags
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(" | \\\n\t\t\t\t ")
        };
        writeln!(s, "#define {}\t({all})", n.flags_all(&d.decl.name)).unwrap();
        s.push('\n');
    }
    s
}

/// The ops struct; `kernel` adds the private list node of `Many`.
pub fn struct_def(ops: &OpsTable, n: &Names, kernel: bool) -> String {
    let mut s = String::new();
    if let Some(doc) = &ops.doc {
        s.push_str(&comment(0, doc));
    }
    writeln!(s, "struct {} {{", ops.name).unwrap();
    for cb in &ops.callbacks {
        if let Some(doc) = &cb.doc {
            s.push_str(&comment(1, doc));
        }
        let tag = zero_tag(kernel, cb.if_missing);
        writeln!(s, "\t{}{tag};", cb.proto.render_fn_ptr()).unwrap();
    }
    for d in &ops.data {
        if let Some(doc) = &d.doc {
            s.push_str(&comment(1, doc));
        }
        let tag = zero_tag(kernel, d.if_missing);
        writeln!(s, "\t{}{tag};", d.decl).unwrap();
    }
    if kernel && ops.instances == Instances::Many {
        writeln!(
            s,
            "\t/* kernel-private: BPF leaves it zero, reg links it */"
        )
        .unwrap();
        writeln!(s, "\tstruct list_head {};", n.list_node()).unwrap();
    }
    s.push_str("};\n");
    s
}

/// The macro the BPF-side header defines for [`IfMissing::ZERO_TAG`].
pub const ZERO_TAG_MACRO: &str = "__modless_zero_if_missing";

fn zero_tag(kernel: bool, m: IfMissing) -> String {
    if !kernel && m == IfMissing::Zero {
        format!(" {ZERO_TAG_MACRO}")
    } else {
        String::new()
    }
}

/// The exit kinds and `struct <sub>_exit_info`, if the table has an exit op.
pub fn exit_info_def(ops: &OpsTable, n: &Names) -> String {
    let Some(op) = ops.exit_op() else {
        return String::new();
    };
    let t = &ops.name;
    let mut s = String::new();
    writeln!(
        s,
        "/* Who stopped an instance of {t}; its {} op gets it in kind. */",
        op.name()
    )
    .unwrap();
    writeln!(s, "enum {} {{", n.exit_kind_enum()).unwrap();
    let kinds = EXIT_KINDS;
    let items: Vec<String> = kinds
        .iter()
        .map(|(k, _)| {
            let first = if *k == "UNREG" { " = 1" } else { "" };
            format!("{}{first},", n.exit_kind(k))
        })
        .collect();
    let col = items.iter().map(|i| 8 + i.len()).max().unwrap_or(8) / 8 * 8 + 8;
    for (item, (_, why)) in items.iter().zip(kinds) {
        writeln!(s, "\t{item}{}/* {why} */", pad(8 + item.len(), col)).unwrap();
    }
    s.push_str(
        "};

",
    );
    writeln!(
        s,
        "/* Why an instance of {t} stopped, passed to its {} op. */",
        op.name()
    )
    .unwrap();
    writeln!(
        s,
        "struct {} {{\n\ts32 kind;\n\ts64 exit_code;\n\tchar reason[{EXIT_REASON_LEN}];\n}};\n",
        n.exit_info()
    )
    .unwrap();
    s
}

/// The exit kinds (values from 1, in this order) and what each means.
pub const EXIT_KINDS: [(&str, &str); 3] = [
    ("UNREG", "its link was detached or closed"),
    ("SWAP", "another instance replaced it"),
    ("EJECT", "the subsystem ejected it, see reason"),
];

/// Bytes of `<sub>_exit_info.reason` (sched_ext's `SCX_EXIT_REASON_LEN`).
pub const EXIT_REASON_LEN: usize = 128;

fn default_name(cb: &Callback) -> Option<&str> {
    cb.default.as_deref()
}

/// What the call path answers without the op: its default's call, or
/// the verdict's fallback.
fn fallback_expr(cb: &Callback, args: &str) -> Option<String> {
    match (default_name(cb), &cb.verdict) {
        (Some(d), _) => Some(format!("{d}({args})")),
        (None, Some(v)) => Some(v.fallback.clone()),
        (None, None) => None,
    }
}

/// `prefix ret name(plain params)suffix`; an op with a verdict returns
/// its enum to the subsystem.
fn subsystem_proto(cb: &Callback, prefix: &str, name: &str, suffix: &str) -> String {
    let p = plain_proto(&cb.proto, name);
    match &cb.verdict {
        None => p.render_wrapped(prefix, name, suffix),
        Some(v) => {
            let params: Vec<String> = if p.params.is_empty() {
                vec!["void".into()]
            } else {
                p.params.iter().map(|a| a.to_string()).collect()
            };
            let head = format!("{prefix}enum {} {name}(", v.name);
            wrapped(&head, &params, &format!("){suffix}"))
        }
    }
}

/// The verdict enums, one per op that has one.
pub fn h_verdicts(ops: &OpsTable) -> String {
    let mut s = String::new();
    for cb in &ops.callbacks {
        let Some(v) = &cb.verdict else {
            continue;
        };
        s.push_str(&comment(
            0,
            &format!(
                "What {} answers; any other value means {}.",
                cb.name(),
                v.fallback
            ),
        ));
        writeln!(s, "enum {} {{", v.name).unwrap();
        for value in &v.values {
            writeln!(s, "\t{value},").unwrap();
        }
        s.push_str("};\n\n");
    }
    s
}

/// Prototypes of the subsystem-provided defaults, one per function (ops
/// of one prototype may share a default).
pub fn h_defaults(ops: &OpsTable) -> String {
    let mut s = String::new();
    let mut seen = Vec::new();
    for cb in &ops.callbacks {
        if let Some(d) = default_name(cb).filter(|d| !seen.contains(d)) {
            seen.push(d);
            writeln!(s, "{}", subsystem_proto(cb, "", d, ";")).unwrap();
        }
    }
    s
}

/// The call function's SRCU read-side index (a name declared parameters
/// may not take, see modless-decl's `CALL_PATH_LOCALS`).
pub const SRCU_IDX: &str = "srcu_idx";

/// `might_sleep()` for a sleepable op, then the static key's test: with
/// no instance attached the op's fallback runs outside any read section.
fn idle_branch(n: &Names, cb: &Callback, default_call: Option<&str>) -> String {
    let ret_void = cb.proto.ret.is_void();
    let mut s = String::new();
    if cb.sleepable {
        s.push_str("\tmight_sleep();\n");
    }
    let brace = if ret_void && default_call.is_some() {
        " {"
    } else {
        ""
    };
    writeln!(
        s,
        "\tif (!static_branch_unlikely(&{})){brace}",
        n.static_key()
    )
    .unwrap();
    match (default_call, ret_void) {
        (Some(c), false) => writeln!(s, "\t\treturn {c};").unwrap(),
        (Some(c), true) => writeln!(s, "\t\t{c};\n\t\treturn;\n\t}}").unwrap(),
        (None, _) => s.push_str("\t\treturn;\n"),
    }
    s
}

/// A hot op's call: behind the static key (idle, the default called
/// directly), its static call inside the read section unreg and update
/// wait for: RCU, or the glue's SRCU if it may sleep.
fn call_fn_hot(n: &Names, cb: &Callback) -> String {
    let p = &cb.proto;
    let args = call_args(p);
    let ret_void = p.ret.is_void();
    let sc = n.static_call(cb.name());
    // a void op without a default: NULL, the call site a NOP
    let call = match &cb.default {
        Some(_) => format!("static_call({sc})({args})"),
        None => format!("static_call_cond({sc})({args})"),
    };
    let mut s = String::new();
    writeln!(
        s,
        "{}\n{{",
        // always inlined: idle, the call site is the default's own call
        subsystem_proto(cb, "static __always_inline ", &n.call_fn(cb.name()), "")
    )
    .unwrap();
    if !ret_void {
        writeln!(s, "\t{};", p.ret.declare("ret")).unwrap();
    }
    if cb.sleepable {
        writeln!(s, "\tint {SRCU_IDX};").unwrap();
    }
    if !ret_void || cb.sleepable {
        s.push('\n');
    }
    s.push_str(&idle_branch(n, cb, fallback_expr(cb, &args).as_deref()));
    let (lock, unlock) = if cb.sleepable {
        let srcu = n.srcu();
        (
            format!("{SRCU_IDX} = srcu_read_lock(&{srcu})"),
            format!("srcu_read_unlock(&{srcu}, {SRCU_IDX})"),
        )
    } else {
        (
            "rcu_read_lock()".to_string(),
            "rcu_read_unlock()".to_string(),
        )
    };
    let ret_assign = if ret_void { "" } else { "ret = " };
    writeln!(s, "\t{lock};\n\t{ret_assign}{call};\n\t{unlock};").unwrap();
    if !ret_void {
        s.push_str("\treturn ret;\n");
    }
    s.push_str("}\n");
    s
}

/// What a hot op's static call is declared with: its default, or for a
/// void op without one, the member's own function type.
fn static_call_type(ops: &OpsTable, cb: &Callback) -> String {
    match &cb.default {
        Some(d) => d.clone(),
        None => format!("*((struct {} *)NULL)->{}", ops.name, cb.name()),
    }
}

fn call_fn_bpf(ops: &OpsTable, n: &Names, cb: &Callback) -> String {
    if cb.hot {
        return call_fn_hot(n, cb);
    }
    let p = &cb.proto;
    let m = cb.name();
    let args = call_args(p);
    let ret_void = p.ret.is_void();
    let default_call = fallback_expr(cb, &args);
    let mut s = String::new();
    let f = n.call_fn(m);
    writeln!(s, "{}", subsystem_proto(cb, "static inline ", &f, "")).unwrap();
    s.push_str("{\n");
    writeln!(s, "\tstruct {} *ops;", ops.name).unwrap();
    if !ret_void {
        writeln!(s, "\t{};", p.ret.declare("ret")).unwrap();
    }
    let track_done = ops.instances == Instances::Many && (!ret_void || default_call.is_some());
    if track_done {
        s.push_str("\tbool done = false;\n");
    }
    if cb.sleepable {
        writeln!(s, "\tint {SRCU_IDX};").unwrap();
    }
    s.push('\n');
    s.push_str(&idle_branch(n, cb, default_call.as_deref()));
    let ret_assign = if ret_void {
        String::new()
    } else {
        "ret = ".to_string()
    };
    match ops.instances {
        Instances::One if cb.sleepable => {
            let srcu = n.srcu();
            writeln!(s, "\t{SRCU_IDX} = srcu_read_lock(&{srcu});").unwrap();
            writeln!(s, "\tops = srcu_dereference({}, &{srcu});", n.live()).unwrap();
            writeln!(
                s,
                "\tif (ops && ops->{m})\n\t\t{ret_assign}ops->{m}({args});"
            )
            .unwrap();
            if let Some(c) = &default_call {
                writeln!(s, "\telse\n\t\t{ret_assign}{c};").unwrap();
            }
            writeln!(s, "\tsrcu_read_unlock(&{srcu}, {SRCU_IDX});").unwrap();
        }
        Instances::One => {
            s.push_str("\trcu_read_lock();\n");
            writeln!(s, "\tops = rcu_dereference({});", n.live()).unwrap();
            let cond = if cb.required {
                format!("likely(ops && ops->{m})")
            } else {
                format!("ops && ops->{m}")
            };
            writeln!(s, "\tif ({cond})\n\t\t{ret_assign}ops->{m}({args});").unwrap();
            if let Some(c) = &default_call {
                writeln!(s, "\telse\n\t\t{ret_assign}{c};").unwrap();
            }
            s.push_str("\trcu_read_unlock();\n");
        }
        Instances::Many => {
            s.push_str("\trcu_read_lock();\n");
            writeln!(
                s,
                "\tlist_for_each_entry_rcu(ops, &{}, {}) {{",
                n.live_list(),
                n.list_node()
            )
            .unwrap();
            if ret_void {
                writeln!(s, "\t\tif (ops->{m}) {{").unwrap();
                writeln!(s, "\t\t\tops->{m}({args});").unwrap();
                if track_done {
                    s.push_str("\t\t\tdone = true;\n");
                }
                s.push_str("\t\t}\n");
            } else {
                writeln!(s, "\t\tif (ops->{m}) {{").unwrap();
                writeln!(s, "\t\t\tret = ops->{m}({args});").unwrap();
                s.push_str("\t\t\tdone = true;\n\t\t\tbreak;\n\t\t}\n");
            }
            s.push_str("\t}\n\trcu_read_unlock();\n");
            if let Some(c) = &default_call {
                writeln!(s, "\tif (!done)\n\t\t{ret_assign}{c};").unwrap();
            }
        }
    }
    if let Some(v) = &cb.verdict {
        writeln!(
            s,
            "\t/* outside enum {}: {fb} */\n\tif ((u64)ret > {})\n\t\treturn {fb};",
            v.name,
            v.last(),
            fb = v.fallback
        )
        .unwrap();
    }
    if !ret_void {
        s.push_str("\treturn ret;\n");
    }
    s.push_str("}\n");
    s
}

fn call_fn_off(n: &Names, cb: &Callback) -> String {
    let p = &cb.proto;
    let mut s = String::new();
    let f = n.call_fn(cb.name());
    writeln!(s, "{}", subsystem_proto(cb, "static inline ", &f, "")).unwrap();
    match fallback_expr(cb, &call_args(p)) {
        Some(e) => {
            let ret = if p.ret.is_void() { "" } else { "return " };
            writeln!(s, "{{\n\t{ret}{e};\n}}").unwrap();
        }
        None => s.push_str("{\n}\n"),
    }
    s
}

/// What the header says about the two call forms, where a table has both.
const CALL_FORMS: &str = "Every op's call tests a static key first: with no policy attached \
     it is a patched-out jump (one load without CONFIG_JUMP_LABEL) and a \
     direct call of the default, as if the subsystem called it itself. \
     Attached, an op declared hot is a static call: a direct call of the \
     op's BPF trampoline, inside rcu_read_lock() (the glue's SRCU for a \
     sleepable op), with nothing loaded at the call site. The other ops \
     load the instance under the same read section and call the op \
     through its pointer.";

/// The per-op call functions (BPF and fallback variants) and `<SUB>_CALL`.
pub fn h_call_path(ops: &OpsTable, n: &Names) -> String {
    let mut s = String::new();
    writeln!(s, "#if {}", n.enabled_macro()).unwrap();
    match ops.instances {
        Instances::One => writeln!(s, "extern struct {} __rcu *{};", ops.name, n.live()).unwrap(),
        Instances::Many => writeln!(s, "extern struct list_head {};", n.live_list()).unwrap(),
    }
    if ops.has_sleepable() {
        writeln!(s, "extern struct srcu_struct {};", n.srcu()).unwrap();
    }
    writeln!(s, "DECLARE_STATIC_KEY_FALSE({});", n.static_key()).unwrap();
    if ops.hot().next().is_some() {
        s.push('\n');
        s.push_str(&comment(0, CALL_FORMS));
    }
    for cb in ops.hot() {
        writeln!(
            s,
            "DECLARE_STATIC_CALL({}, {});",
            n.static_call(cb.name()),
            static_call_type(ops, cb)
        )
        .unwrap();
    }
    for cb in ops.called() {
        s.push('\n');
        s.push_str(&call_fn_bpf(ops, n, cb));
    }
    writeln!(s, "#else /* !{} */", n.enabled_macro()).unwrap();
    for (i, cb) in ops.called().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&call_fn_off(n, cb));
    }
    writeln!(s, "#endif /* {} */", n.enabled_macro()).unwrap();
    s.push('\n');
    writeln!(
        s,
        "/* Run the attached BPF implementation of @op, or its declared default. */"
    )
    .unwrap();
    writeln!(
        s,
        "#define {}(op, ...)\t{}(__VA_ARGS__)",
        n.call_macro(),
        n.call_fn("##op")
    )
    .unwrap();
    s
}

/// Index macros, the forward declaration the kfunc filter needs, and the
/// live-instance state.
pub fn c_prelude(ops: &OpsTable, n: &Names) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "#define {}(op)\t\\\n\t(offsetof(struct {}, op) / sizeof(void (*)(void)))",
        n.op_idx(),
        ops.name
    )
    .unwrap();
    writeln!(
        s,
        "#define {}(moff)\t((moff) / sizeof(void (*)(void)))",
        n.moff_idx()
    )
    .unwrap();
    s.push('\n');
    writeln!(s, "static struct bpf_struct_ops {};", n.st_ops_var()).unwrap();
    s.push('\n');
    match ops.instances {
        Instances::One => writeln!(s, "struct {} __rcu *{};", ops.name, n.live()).unwrap(),
        Instances::Many => writeln!(s, "LIST_HEAD({});", n.live_list()).unwrap(),
    }
    writeln!(s, "DEFINE_STATIC_KEY_FALSE({});", n.static_key()).unwrap();
    writeln!(s, "static DEFINE_MUTEX({});", n.lock()).unwrap();
    if ops.hot().next().is_some() {
        s.push('\n');
        s.push_str(&comment(0, HOT_GRACE));
        for cb in ops.hot() {
            let (def, ty) = match &cb.default {
                Some(_) => ("DEFINE_STATIC_CALL", static_call_type(ops, cb)),
                None => ("DEFINE_STATIC_CALL_NULL", static_call_type(ops, cb)),
            };
            writeln!(s, "{def}({}, {ty});", n.static_call(cb.name())).unwrap();
        }
    }
    if ops.has_sleepable() {
        s.push_str(&comment(
            0,
            "Sleepable ops run under SRCU, the others under RCU. SRCU rather \
             than RCU tasks trace: its readers may block on anything (the \
             caller's mutexes included), and unreg waits for this \
             subsystem's readers only, not for every sleepable BPF program \
             in the system.",
        ));
        writeln!(s, "DEFINE_SRCU({});", n.srcu()).unwrap();
    }
    s
}

/// Which grace period protects a hot op's old trampoline, and where it is
/// waited, in the glue's words.
const HOT_GRACE: &str = "Hot ops are static calls, re-pointed to the attached op's trampoline \
     by reg and update and back to the default by unreg, before these \
     return. Two waits cover a call still in the old op. The kernel's: it \
     drops the old struct_ops map only after update() or unreg() returned, \
     and frees its trampoline and programs after an RCU and an RCU Tasks \
     grace period (bpf_struct_ops_map_free()); the RCU Tasks one covers a \
     task preempted between the patched call and the trampoline's own \
     rcu_read_lock(), so this glue never waits for RCU Tasks (0.1 s or more \
     per swap). The glue's: the call site holds rcu_read_lock() (SRCU for a \
     sleepable op) across the static call, so the synchronize_rcu() (and \
     synchronize_srcu()) in unreg and update returns after the last call \
     of the old op, and the exit op runs after it, as for the other ops.";

/// `BTF_ID_LIST` of the ops type and written structs, plus the id shift
/// that makes the lists usable from an out-of-tree module (`built_in`
/// code has none); `with_local_id` adds the id translation and ownership
/// check the kfunc filter calls.
pub fn c_btf_ids(ops: &OpsTable, n: &Names, with_local_id: bool, built_in: bool) -> String {
    let mut s = String::new();
    let structs = ops.written_structs();
    s.push_str("enum {\n");
    writeln!(s, "\t{},", n.btf_idx(None)).unwrap();
    for st in &structs {
        writeln!(s, "\t{},", n.btf_idx(Some(st))).unwrap();
    }
    s.push_str("};\n\n");
    writeln!(s, "BTF_ID_LIST({})", n.btf_ids()).unwrap();
    writeln!(s, "BTF_ID(struct, {})", ops.name).unwrap();
    for st in &structs {
        writeln!(s, "BTF_ID(struct, {st})").unwrap();
    }
    s.push('\n');
    if !built_in {
        s.push_str(&comment(
            0,
            "An out-of-tree module's BTF is relocated at load time, which shifts \
             its type ids by a constant; BTF_ID_LIST and BTF_SET entries keep the \
             build-time ids (the shift is 0 in-tree). check_member sees every prog \
             of this type before its body is verified and records the shift.",
        ));
        writeln!(s, "static u32 {};\n", n.btf_shift()).unwrap();
        writeln!(
            s,
            "static void {}(const struct bpf_prog *prog)\n{{",
            n.btf_shift_note()
        )
        .unwrap();
        writeln!(
            s,
            "\tu32 shift = prog->aux->attach_btf_id - {}[{}];\n",
            n.btf_ids(),
            n.btf_idx(None)
        )
        .unwrap();
        writeln!(s, "\tWRITE_ONCE({}, shift);\n}}\n", n.btf_shift()).unwrap();
    }
    s.push_str(&comment(
        0,
        "The BTF holding this ops type, from init. The kfunc filter asks \
         whether a prog attaches to this type from attach_btf and \
         attach_btf_id, which every kernel since struct_ops sets at load \
         (prog->aux->st_ops came later).",
    ));
    writeln!(s, "static const struct btf *{};", n.btf_var()).unwrap();
    if with_local_id && !built_in {
        writeln!(s, "\nstatic u32 {}(u32 id)\n{{", n.btf_local_id()).unwrap();
        writeln!(s, "\treturn id - READ_ONCE({});\n}}", n.btf_shift()).unwrap();
    }
    if with_local_id {
        s.push('\n');
        writeln!(
            s,
            "static bool {}(const struct bpf_prog *prog)\n{{",
            n.prog_is_ours()
        )
        .unwrap();
        let shift = if built_in {
            String::new()
        } else {
            format!(" + READ_ONCE({})", n.btf_shift())
        };
        writeln!(
            s,
            "\treturn prog->aux->attach_btf == READ_ONCE({}) &&\n\
             \t       prog->aux->attach_btf_id ==\n\
             \t       {}[{}]{shift};\n}}",
            n.btf_var(),
            n.btf_ids(),
            n.btf_idx(None),
        )
        .unwrap();
    }
    s
}

/// Verifier callbacks: read any argument, write only the allowlist.
pub fn c_verifier(ops: &OpsTable, n: &Names, built_in: bool) -> String {
    let mut s = String::new();
    let is_valid = n.is_valid_access();
    let params = [
        "int off",
        "int size",
        "enum bpf_access_type type",
        "const struct bpf_prog *prog",
        "struct bpf_insn_access_aux *info",
    ];
    writeln!(s, "{}", sig(&format!("static bool {is_valid}("), &params)).unwrap();
    s.push_str("{\n\treturn bpf_tracing_btf_ctx_access(off, size, type, prog, info);\n}\n");

    let structs = ops.written_structs();
    for st in &structs {
        s.push('\n');
        writeln!(
            s,
            "static int {}(int off, size_t *end)\n{{",
            n.struct_access(st)
        )
        .unwrap();
        s.push_str("\tswitch (off) {\n");
        for w in ops.writes.iter().filter(|w| &w.strukt == st) {
            let f = &w.field;
            let case =
                format!("\tcase offsetof(struct {st}, {f}) ... offsetofend(struct {st}, {f}) - 1:");
            if modless_ctypes::cfmt::width(&case) <= 80 {
                writeln!(s, "{case}").unwrap();
            } else {
                writeln!(s, "\tcase offsetof(struct {st}, {f}) ...\n\t     offsetofend(struct {st}, {f}) - 1:").unwrap();
            }
            writeln!(
                s,
                "\t\t*end = offsetofend(struct {st}, {});\n\t\tbreak;",
                w.field
            )
            .unwrap();
        }
        s.push_str("\tdefault:\n\t\treturn -EACCES;\n\t}\n\treturn 0;\n}\n");
    }

    let access = n.btf_struct_access();
    if !structs.is_empty() {
        s.push('\n');
        writeln!(
            s,
            "static const struct btf_type *{}(const struct btf *btf, int idx)",
            n.btf_type_fn()
        )
        .unwrap();
        if built_in {
            writeln!(s, "{{\n\tu32 id = {}[idx];\n", n.btf_ids()).unwrap();
        } else {
            writeln!(
                s,
                "{{\n\tu32 id = {}[idx] + READ_ONCE({});\n",
                n.btf_ids(),
                n.btf_shift()
            )
            .unwrap();
        }
        s.push_str("\treturn btf_type_by_id(btf, id);\n}\n\n");
        let params = [
            "struct bpf_verifier_log *log",
            "const struct bpf_reg_state *reg",
            "int off",
            "int size",
        ];
        writeln!(s, "{}\n{{", sig(&format!("static int {access}("), &params)).unwrap();
        s.push_str("\tconst struct btf_type *t = btf_type_by_id(reg->btf, reg->btf_id);\n");
        s.push_str("\tconst char *name;\n\tsize_t end;\n\tint err;\n\n");
        for (i, st) in structs.iter().enumerate() {
            let kw = if i == 0 { "if" } else { "} else if" };
            writeln!(
                s,
                "\t{kw} (t == {}(reg->btf, {})) {{",
                n.btf_type_fn(),
                n.btf_idx(Some(st))
            )
            .unwrap();
            writeln!(s, "\t\tname = \"{st}\";").unwrap();
            writeln!(s, "\t\terr = {}(off, &end);", n.struct_access(st)).unwrap();
        }
        s.push_str("\t} else {\n\t\tbpf_log(log, \"only read is supported\\n\");\n\t\treturn -EACCES;\n\t}\n\n");
        s.push_str(
            "\tif (err) {\n\t\tbpf_log(log, \"no write support to %s at off %d\\n\", name, off);\n",
        );
        s.push_str("\t\treturn -EACCES;\n\t}\n");
        s.push_str("\tif (off + size > end) {\n\t\tbpf_log(log,\n");
        s.push_str("\t\t\t\"write access at off %d with size %d beyond the member of %s ended at %zu\\n\",\n");
        s.push_str("\t\t\toff, size, name, end);\n\t\treturn -EACCES;\n\t}\n\treturn 0;\n}\n");
    }

    s.push('\n');
    writeln!(
        s,
        "static const struct bpf_verifier_ops {} = {{",
        n.verifier_ops()
    )
    .unwrap();
    s.push_str("\t.get_func_proto\t\t= bpf_base_func_proto,\n");
    writeln!(s, "\t.is_valid_access\t= {is_valid},").unwrap();
    if !structs.is_empty() {
        writeln!(s, "\t.btf_struct_access\t= {access},").unwrap();
    }
    s.push_str("};\n");
    s
}

fn member_switch_header(s: &mut String) {
    s.push_str("\tswitch (__btf_member_bit_offset(t, member) / 8) {\n");
}

/// `init`, `check_member`, `init_member`, `validate`, `reg`, `unreg`, `update`.
pub fn c_callbacks(ops: &OpsTable, n: &Names, built_in: bool) -> String {
    let mut s = String::new();
    let t = &ops.name;

    if ops.data.iter().any(|d| d.kind == DataKind::Name) {
        // bpf_obj_name_cpy()'s rule; 6.12 does not export it to modules
        writeln!(
            s,
            "/* A name: 1 to size - 1 of [A-Za-z0-9_.], NUL-terminated within @size. */\n\
             static bool {}(const char *name, size_t size)\n{{\n\
             \tsize_t len = strnlen(name, size);\n\n\
             \tif (!len || len == size)\n\t\treturn false;\n\
             \twhile (len--)\n\
             \t\tif (!isalnum(name[len]) && name[len] != '_' && name[len] != '.')\n\
             \t\t\treturn false;\n\
             \treturn true;\n}}\n",
            n.name_valid()
        )
        .unwrap();
    }
    writeln!(s, "static int {}(struct btf *btf)\n{{", n.st_cb("init")).unwrap();
    let enums: Vec<&str> = ops
        .callbacks
        .iter()
        .filter_map(|c| c.verdict.as_ref().map(|v| v.name.as_str()))
        .collect();
    if !enums.is_empty() {
        s.push_str("\t/* BPF programs find the verdicts in BTF (vmlinux.h) */\n");
        for e in enums {
            writeln!(s, "\tBTF_TYPE_EMIT(enum {e});").unwrap();
        }
    }
    writeln!(s, "\tWRITE_ONCE({}, btf);\n\treturn 0;\n}}\n", n.btf_var()).unwrap();

    let cm = n.st_cb("check_member");
    let params = [
        "const struct btf_type *t",
        "const struct btf_member *member",
        "const struct bpf_prog *prog",
    ];
    writeln!(s, "{}\n{{", sig(&format!("static int {cm}("), &params)).unwrap();
    if !built_in {
        writeln!(s, "\t{}(prog);\n", n.btf_shift_note()).unwrap();
    }
    let sleepable: Vec<_> = ops.callbacks.iter().filter(|c| c.sleepable).collect();
    if !sleepable.is_empty() {
        member_switch_header(&mut s);
        for cb in &sleepable {
            writeln!(s, "\tcase offsetof(struct {t}, {}):", cb.name()).unwrap();
        }
        s.push_str("\t\treturn 0;\n\t}\n");
    }
    if sleepable.is_empty() {
        s.push_str("\t/* the subsystem calls these ops under rcu_read_lock() */\n");
    } else {
        s.push_str("\t/* the subsystem calls the other ops under rcu_read_lock() */\n");
    }
    s.push_str("\treturn prog->sleepable ? -EINVAL : 0;\n}\n\n");

    let im = n.st_cb("init_member");
    let params = [
        "const struct btf_type *t",
        "const struct btf_member *member",
        "void *kdata",
        "const void *udata",
    ];
    writeln!(s, "{}\n{{", sig(&format!("static int {im}("), &params)).unwrap();
    if !ops.data.is_empty() {
        writeln!(
            s,
            "\tconst struct {t} *uops = udata;\n\tstruct {t} *ops = kdata;\n"
        )
        .unwrap();
        member_switch_header(&mut s);
        for d in &ops.data {
            let m = &d.decl.name;
            writeln!(s, "\tcase offsetof(struct {t}, {m}):").unwrap();
            match &d.kind {
                DataKind::Name => {
                    if let Some(def) = &d.default {
                        writeln!(
                            s,
                            "\t\tif (!uops->{m}[0]) {{\n\t\t\t/* left empty: the declared default */\n\
                             \t\t\tstrscpy(ops->{m}, \"{def}\");\n\t\t\treturn 1;\n\t\t}}"
                        )
                        .unwrap();
                    }
                    writeln!(
                        s,
                        "\t\tif (!{}(uops->{m}, sizeof(uops->{m}))) {{",
                        n.name_valid()
                    )
                    .unwrap();
                    writeln!(
                        s,
                        "\t\t\tpr_warn_ratelimited(\"{t}: {m} must be 1 to %zu of [A-Za-z0-9_.]\\n\",\n\t\t\t\t\t    sizeof(ops->{m}) - 1);\n\t\t\treturn -EINVAL;\n\t\t}}"
                    )
                    .unwrap();
                    writeln!(s, "\t\tstrscpy(ops->{m}, uops->{m});").unwrap();
                }
                DataKind::Flags(_) => {
                    writeln!(
                        s,
                        "\t\tif (uops->{m} & ~{all}) {{\n\t\t\tpr_warn_ratelimited(\"{t}: unknown bits %#llx in {m}\\n\",\n\t\t\t\t\t    (unsigned long long)(uops->{m} & ~{all}));\n\t\t\treturn -EINVAL;\n\t\t}}",
                        all = n.flags_all(m)
                    )
                    .unwrap();
                    writeln!(s, "\t\tops->{m} = uops->{m};").unwrap();
                }
                DataKind::Value { max } => {
                    if let Some(max) = max {
                        writeln!(s, "\t\tif (uops->{m} > {max})\n\t\t\treturn -E2BIG;").unwrap();
                    }
                    writeln!(s, "\t\tops->{m} = uops->{m};").unwrap();
                }
            }
            s.push_str("\t\treturn 1;\n");
        }
        s.push_str("\t}\n");
    }
    s.push_str("\treturn 0;\n}\n\n");

    writeln!(s, "static int {}(void *kdata)\n{{", n.st_cb("validate")).unwrap();
    let required: Vec<_> = ops.callbacks.iter().filter(|c| c.required).collect();
    if !required.is_empty() {
        writeln!(s, "\tconst struct {t} *ops = kdata;\n").unwrap();
        // No verifier log exists at map update; the kernel log names the op.
        for c in &required {
            let m = c.name();
            writeln!(
                s,
                "\tif (!ops->{m}) {{\n\t\tpr_warn_ratelimited(\"{t}: required op {m} is missing\\n\");\n\t\treturn -EINVAL;\n\t}}"
            )
            .unwrap();
        }
    }
    s.push_str("\treturn 0;\n}\n\n");

    s.push_str(&match ops.instances {
        Instances::One => reg_one(ops, n),
        Instances::Many => reg_many(ops, n),
    });
    s.push_str(&c_policy_names(ops, n));
    s
}

/// `<sub>_policy_<member>()` for each [`OpsTable::reported_names`].
fn c_policy_names(ops: &OpsTable, n: &Names) -> String {
    let (t, live) = (&ops.name, n.live());
    let mut s = String::new();
    for d in ops.reported_names() {
        let m = &d.decl.name;
        let f = n.policy_member(m);
        let def = d.default.as_deref().unwrap_or_default();
        writeln!(
            s,
            "\n/**\n * {f} - the {m} of the attached {t}\n * @buf: where to copy it\n\
             \x20* @size: bytes at @buf\n *\n\
             \x20* For {}'s reports; the policy's own {m}, or \"{def}\" if it left it empty.\n *\n\
             \x20* Return: @buf, or NULL when no {t} is attached.\n */",
            n.sub
        )
        .unwrap();
        writeln!(
            s,
            "{}\n{{\n\tstruct {t} *ops;\n\tchar *ret = NULL;\n\n\
             \trcu_read_lock();\n\tops = rcu_dereference({live});\n\tif (ops) {{\n\
             \t\tstrscpy(buf, ops->{m}, size);\n\t\tret = buf;\n\t}}\n\
             \trcu_read_unlock();\n\treturn ret;\n}}",
            policy_proto(n, m)
        )
        .unwrap();
    }
    s
}

fn policy_proto(n: &Names, member: &str) -> String {
    format!("char *{}(char *buf, size_t size)", n.policy_member(member))
}

/// Header prototypes of the `<sub>_policy_<member>()` readers, and their
/// stubs for when the interface is off.
pub fn h_policy_names(ops: &OpsTable, n: &Names) -> (String, String) {
    let (mut on, mut off) = (String::new(), String::new());
    for d in ops.reported_names() {
        let p = policy_proto(n, &d.decl.name);
        writeln!(on, "{p};").unwrap();
        writeln!(off, "\nstatic inline {p}\n{{\n\treturn NULL;\n}}").unwrap();
    }
    (on, off)
}

/// `<sub>_bpf_patch()`: every hot op's static call to the instance's op,
/// or to its default (NULL for a void op without one).
fn patch_fn(ops: &OpsTable, n: &Names) -> String {
    if ops.hot().next().is_none() {
        return String::new();
    }
    let mut s = String::new();
    writeln!(
        s,
        "/* Points each hot op's call site at @ops's op, or at the default. */\n\
         static void {}(const struct {} *ops)\n{{",
        n.patch_fn(),
        ops.name
    )
    .unwrap();
    for cb in ops.hot() {
        let (m, sc) = (cb.name(), n.static_call(cb.name()));
        match &cb.default {
            Some(d) => {
                writeln!(s, "\tif (ops && ops->{m})").unwrap();
                let to_op = [sc.clone(), format!("ops->{m}")];
                writeln!(s, "{}", wrapped("\t\tstatic_call_update(", &to_op, ");")).unwrap();
                s.push_str("\telse\n");
                let to_default = [sc, d.clone()];
                writeln!(
                    s,
                    "{}",
                    wrapped("\t\tstatic_call_update(", &to_default, ");")
                )
                .unwrap();
            }
            None => {
                let to = [sc, format!("ops ? ops->{m} : NULL")];
                writeln!(s, "{}", wrapped("\tstatic_call_update(", &to, ");")).unwrap();
            }
        }
    }
    s.push_str("}\n\n");
    s
}

/// Waits for the sleepable ops' SRCU readers, if there are any.
fn srcu_sync(ops: &OpsTable, n: &Names) -> String {
    if ops.has_sleepable() {
        format!(
            "\t/* nor inside a sleepable one */\n\tsynchronize_srcu(&{});\n",
            n.srcu()
        )
    } else {
        String::new()
    }
}

/// The exit op's call on `var` with the local `info`, or nothing.
fn exit_call(ops: &OpsTable, var: &str) -> String {
    match ops.exit_op() {
        Some(op) => format!("\tif ({var}->{m})\n\t\t{var}->{m}(&info);\n", m = op.name()),
        None => String::new(),
    }
}

/// `struct <sub>_exit_info info = { .kind = KIND, .reason = "..." };`
fn exit_info_local(n: &Names, kind: &str, reason: &str) -> String {
    format!(
        "\tstruct {} info = {{\n\t\t.kind = {},\n\t\t.reason = \"{reason}\",\n\t}};\n",
        n.exit_info(),
        n.exit_kind(kind)
    )
}

fn reg_one(ops: &OpsTable, n: &Names) -> String {
    let (t, live, key, lock, sub) = (&ops.name, n.live(), n.static_key(), n.lock(), &n.sub);
    let link_var = n.link_var();
    let (eject, ejected, einfo) = (n.eject_fn(), n.ejected_var(), n.eject_info_var());
    let has_exit = ops.exit_op().is_some();
    let hot = ops.hot().next().is_some();
    let patch = n.patch_fn();
    let mut s = patch_fn(ops, n);
    writeln!(
        s,
        "/* the attached instance's link, for {eject}() */\nstatic struct bpf_link *{link_var};"
    )
    .unwrap();
    if has_exit {
        writeln!(
            s,
            "/* what {eject}() said about the link it detached */\n\
             static struct bpf_link *{ejected};\n\
             static struct {} {einfo};",
            n.exit_info()
        )
        .unwrap();
    }
    s.push('\n');
    writeln!(
        s,
        "static int {}(void *kdata, struct bpf_link *link)\n{{",
        n.st_cb("reg")
    )
    .unwrap();
    writeln!(s, "\tguard(mutex)(&{lock});").unwrap();
    s.push_str("\t/* one instance; this also refuses a second link on the same map */\n");
    writeln!(s, "\tif (rcu_access_pointer({live}))\n\t\treturn -EBUSY;").unwrap();
    writeln!(s, "\trcu_assign_pointer({live}, (struct {t} *)kdata);").unwrap();
    writeln!(s, "\t{link_var} = link;").unwrap();
    if has_exit {
        writeln!(s, "\t{ejected} = NULL;").unwrap();
    }
    if hot {
        writeln!(s, "\t{patch}(kdata);").unwrap();
    }
    writeln!(s, "\tstatic_branch_enable(&{key});\n\treturn 0;\n}}\n").unwrap();

    writeln!(
        s,
        "static void {}(void *kdata, struct bpf_link *link)\n{{",
        n.st_cb("unreg")
    )
    .unwrap();
    if has_exit {
        writeln!(s, "\tstruct {t} *ops = kdata;").unwrap();
        s.push_str(&exit_info_local(n, "UNREG", "detached"));
        s.push('\n');
    }
    writeln!(s, "\tguard(mutex)(&{lock});").unwrap();
    writeln!(s, "\tif (rcu_access_pointer({live}) != kdata)\n\t\treturn;").unwrap();
    writeln!(s, "\tstatic_branch_disable(&{key});").unwrap();
    writeln!(s, "\tRCU_INIT_POINTER({live}, NULL);").unwrap();
    if hot {
        writeln!(s, "\t{patch}(NULL);").unwrap();
    }
    writeln!(s, "\t{link_var} = NULL;").unwrap();
    s.push_str("\t/* no CPU is still inside one of its ops */\n");
    s.push_str("\tsynchronize_rcu();\n");
    s.push_str(&srcu_sync(ops, n));
    if has_exit {
        writeln!(
            s,
            "\tif (link && link == {ejected})\n\t\tinfo = {einfo};\n\t{ejected} = NULL;"
        )
        .unwrap();
        s.push_str(&exit_call(ops, "ops"));
    }
    s.push_str("}\n\n");

    let up = n.st_cb("update");
    writeln!(
        s,
        "{}\n{{",
        sig(
            &format!("static int {up}("),
            &["void *kdata", "void *old_kdata", "struct bpf_link *link"]
        )
    )
    .unwrap();
    if has_exit {
        writeln!(s, "\tstruct {t} *old = old_kdata;").unwrap();
        s.push_str(&exit_info_local(n, "SWAP", "replaced"));
        s.push('\n');
    }
    writeln!(s, "\tguard(mutex)(&{lock});").unwrap();
    writeln!(
        s,
        "\tif (rcu_access_pointer({live}) != old_kdata)\n\t\treturn -EINVAL;"
    )
    .unwrap();
    writeln!(s, "\trcu_assign_pointer({live}, (struct {t} *)kdata);").unwrap();
    writeln!(s, "\t{link_var} = link;").unwrap();
    if hot {
        writeln!(s, "\t{patch}(kdata);").unwrap();
    }
    s.push_str("\tsynchronize_rcu();\n");
    s.push_str(&srcu_sync(ops, n));
    s.push_str(&exit_call(ops, "old"));
    s.push_str("\treturn 0;\n}\n\n");

    writeln!(
        s,
        "/**\n * {eject} - detach the attached {t} and say why\n\
         \x20* @code: exit code, for the exit op and the loader\n\
         \x20* @fmt: printf-style reason\n *\n\
         \x20* Lets {sub} drop a misbehaving policy: the default takes over and the\n\
         \x20* loader sees its link detached (EPOLLHUP)."
    )
    .unwrap();
    if let Some(op) = ops.exit_op() {
        writeln!(
            s,
            " * The policy's {} op gets {} and the reason first.",
            op.name(),
            n.exit_kind("EJECT")
        )
        .unwrap();
    }
    writeln!(
        s,
        " * Only link-attached instances can be ejected. Call it outside the ops\n\
         \x20* and without {lock} held.\n */"
    )
    .unwrap();
    writeln!(
        s,
        "void {eject}(s64 code, const char *fmt, ...)\n{{\n\tstruct bpf_link *link;\n\
         \tchar reason[{EXIT_REASON_LEN}];\n\tva_list args;\n"
    )
    .unwrap();
    s.push_str("\tva_start(args, fmt);\n\tvscnprintf(reason, sizeof(reason), fmt, args);\n\tva_end(args);\n\n");
    writeln!(s, "\tmutex_lock(&{lock});\n\tlink = {link_var};").unwrap();
    writeln!(s, "\tif (link)\n\t\tlink = bpf_link_inc_not_zero(link);").unwrap();
    if has_exit {
        let info = &einfo;
        writeln!(
            s,
            "\tif (!IS_ERR_OR_NULL(link)) {{\n\t\t{ejected} = link;\n\
             \t\t{info}.kind = {};\n\t\t{info}.exit_code = code;\n\
             \t\tstrscpy({info}.reason, reason);\n\t}}",
            n.exit_kind("EJECT")
        )
        .unwrap();
    }
    writeln!(
        s,
        "\tmutex_unlock(&{lock});\n\tif (IS_ERR_OR_NULL(link))\n\t\treturn;"
    )
    .unwrap();
    writeln!(
        s,
        "\tpr_warn(\"{t}: ejected (code %lld): %s\\n\", code, reason);"
    )
    .unwrap();
    s.push_str("\t/* unreg runs from here, as if the loader had detached */\n");
    s.push_str("\tlink->ops->detach(link);\n\tbpf_link_put(link);\n}\n");
    s
}

fn reg_many(ops_t: &OpsTable, n: &Names) -> String {
    let ops = ops_t;
    let (t, list, key, lock, node) = (
        &ops.name,
        n.live_list(),
        n.static_key(),
        n.lock(),
        n.list_node(),
    );
    let find = n.find_fn();
    let mut s = String::new();
    writeln!(
        s,
        "static struct {t} *{find}(const void *kdata)\n{{\n\tstruct {t} *ops;\n"
    )
    .unwrap();
    writeln!(s, "\tlockdep_assert_held(&{lock});").unwrap();
    writeln!(s, "\tlist_for_each_entry(ops, &{list}, {node})").unwrap();
    s.push_str("\t\tif (ops == kdata)\n\t\t\treturn ops;\n\treturn NULL;\n}\n\n");

    writeln!(
        s,
        "static int {}(void *kdata, struct bpf_link *link)\n{{",
        n.st_cb("reg")
    )
    .unwrap();
    writeln!(s, "\tstruct {t} *ops = kdata;\n").unwrap();
    writeln!(s, "\tguard(mutex)(&{lock});").unwrap();
    s.push_str("\t/* a second link on the same map */\n");
    writeln!(s, "\tif ({find}(kdata))\n\t\treturn -EBUSY;").unwrap();
    writeln!(s, "\tlist_add_tail_rcu(&ops->{node}, &{list});").unwrap();
    writeln!(s, "\tstatic_branch_enable(&{key});\n\treturn 0;\n}}\n").unwrap();

    writeln!(
        s,
        "static void {}(void *kdata, struct bpf_link *link)\n{{",
        n.st_cb("unreg")
    )
    .unwrap();
    writeln!(s, "\tstruct {t} *ops;").unwrap();
    if ops_t.exit_op().is_some() {
        s.push_str(&exit_info_local(n, "UNREG", "detached"));
    }
    writeln!(s, "\n\tguard(mutex)(&{lock});").unwrap();
    writeln!(s, "\tops = {find}(kdata);\n\tif (!ops)\n\t\treturn;").unwrap();
    writeln!(s, "\tlist_del_rcu(&ops->{node});").unwrap();
    writeln!(
        s,
        "\tif (list_empty(&{list}))\n\t\tstatic_branch_disable(&{key});"
    )
    .unwrap();
    s.push_str("\t/* no CPU is still inside one of its ops */\n\tsynchronize_rcu();\n");
    s.push_str(&exit_call(ops_t, "ops"));
    s.push_str("}\n\n");

    let up = n.st_cb("update");
    writeln!(
        s,
        "{}\n{{",
        sig(
            &format!("static int {up}("),
            &["void *kdata", "void *old_kdata", "struct bpf_link *link"]
        )
    )
    .unwrap();
    writeln!(s, "\tstruct {t} *old, *ops = kdata;").unwrap();
    if ops_t.exit_op().is_some() {
        s.push_str(&exit_info_local(n, "SWAP", "replaced"));
    }
    writeln!(s, "\n\tguard(mutex)(&{lock});").unwrap();
    writeln!(
        s,
        "\told = {find}(old_kdata);\n\tif (!old || {find}(kdata))\n\t\treturn -EINVAL;"
    )
    .unwrap();
    writeln!(s, "\tlist_replace_rcu(&old->{node}, &ops->{node});").unwrap();
    s.push_str("\tsynchronize_rcu();\n");
    s.push_str(&exit_call(ops_t, "old"));
    s.push_str("\treturn 0;\n}\n");
    s
}

fn stub_body(ret: &CType) -> &'static str {
    match ret {
        CType::Void => "",
        CType::Ptr { .. } => "\treturn NULL;\n",
        _ => "\treturn 0;\n",
    }
}

/// CFI stubs (named `<type>__<member>`, declared parameter names), their
/// table and the `struct bpf_struct_ops`.
pub fn c_stubs(ops: &OpsTable, n: &Names) -> String {
    let mut s = String::new();
    for cb in &ops.callbacks {
        let stub = n.stub(cb.name());
        writeln!(
            s,
            "{}\n{{\n{}}}\n",
            cb.proto.render_wrapped("static ", &stub, ""),
            stub_body(&cb.proto.ret)
        )
        .unwrap();
    }
    writeln!(s, "static struct {} {} = {{", ops.name, n.stubs_table()).unwrap();
    for cb in &ops.callbacks {
        writeln!(s, "\t.{} = {},", cb.name(), n.stub(cb.name())).unwrap();
    }
    s.push_str("};\n\n");
    writeln!(s, "static struct bpf_struct_ops {} = {{", n.st_ops_var()).unwrap();
    let fields = [
        ("verifier_ops", format!("&{}", n.verifier_ops())),
        ("init", n.st_cb("init")),
        ("check_member", n.st_cb("check_member")),
        ("init_member", n.st_cb("init_member")),
        ("validate", n.st_cb("validate")),
        ("reg", n.st_cb("reg")),
        ("unreg", n.st_cb("unreg")),
        ("update", n.st_cb("update")),
        ("cfi_stubs", format!("&{}", n.stubs_table())),
        ("name", format!("\"{}\"", ops.name)),
        ("owner", "THIS_MODULE".to_string()),
    ];
    for (k, v) in fields {
        writeln!(s, "\t.{k}{}= {v},", pad(9 + k.len(), 32)).unwrap();
    }
    s.push_str("};\n");
    s
}

/// The registration step of the init function.
pub fn c_register(ops: &OpsTable, n: &Names) -> String {
    format!("register_bpf_struct_ops(&{}, {})", n.st_ops_var(), ops.name)
}

/// A function head with parameters wrapped at 80 columns.
fn sig(head: &str, params: &[&str]) -> String {
    let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    wrapped(head, &params, ")")
}
