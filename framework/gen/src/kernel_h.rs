//! `<sub>_bpf.h`: what the subsystem's C code includes.

use std::collections::BTreeSet;
use std::fmt::Write;

use modless_decl::struct_ops::{emit_kernel, Instances, Names};
use modless_decl::{hooks, kfuncs, Declaration, InTree};

use modless_decl::ctypes::cfmt::{comment, wrap_words};

use crate::banner::c_banner;

pub fn names(decl: &Declaration) -> Names {
    Names::new(&decl.subsystem.name, &decl.ops.name)
}

/// Struct tags the declaration mentions but does not define (kernel types).
pub fn foreign_structs(decl: &Declaration) -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    let mut add = |ty: &modless_decl::ctypes::CType| {
        for t in ty.struct_tags() {
            tags.insert(t.to_string());
        }
    };
    for cb in &decl.ops.callbacks {
        add(&cb.proto.ret);
        cb.proto.params.iter().for_each(|p| add(&p.ty));
    }
    for k in &decl.kfuncs {
        add(&k.proto.ret);
        k.proto.params.iter().for_each(|p| add(&p.ty));
    }
    for h in &decl.hooks {
        add(&h.proto.ret);
        h.proto.params.iter().for_each(|p| add(&p.ty));
    }
    for s in &decl.structs {
        s.def.fields.iter().for_each(|f| add(&f.ty));
    }
    tags.remove(&decl.ops.name);
    if decl.ops.exit_op().is_some() {
        tags.remove(&names(decl).exit_info());
    }
    for s in &decl.structs {
        tags.remove(&s.def.name);
    }
    tags
}

/// Shared struct definitions, as both the kernel and BPF see them.
pub fn shared_structs(decl: &Declaration) -> String {
    let mut s = String::new();
    for st in &decl.structs {
        if let Some(doc) = &st.doc {
            s.push_str(&modless_decl::ctypes::cfmt::comment(0, doc));
        }
        writeln!(s, "struct {} {{", st.def.name).unwrap();
        for f in &st.def.fields {
            writeln!(s, "\t{f};").unwrap();
        }
        s.push_str("};\n\n");
    }
    s
}

/// BPF's own Kconfig dependencies, then the declared ones, each once.
pub fn kconfig_depends(t: &InTree) -> Vec<&str> {
    let mut deps: Vec<&str> = InTree::BPF_DEPENDS.to_vec();
    for d in &t.depends_on {
        if !deps.contains(&d.as_str()) {
            deps.push(d);
        }
    }
    deps
}

pub fn emit(decl: &Declaration) -> String {
    let n = names(decl);
    let sub = &decl.subsystem.name;
    let up = n.upper();
    let in_tree = decl.in_tree();
    let guard = match in_tree {
        Some(_) => n.linux_h_guard(),
        None => n.kernel_h_guard(),
    };
    let mut s = c_banner(decl, true);
    s.push_str("/*\n");
    if let Some(doc) = &decl.subsystem.doc {
        s.push_str(&wrap_words(&format!(" * {sub}: "), " * ", doc));
        s.push_str(" *\n");
    }
    match in_tree {
        Some(t) => {
            writeln!(
                s,
                " * {}/{sub}.c registers the interface at boot (CONFIG_{}); call",
                t.dir, t.config
            )
            .unwrap();
            writeln!(s, " * {up}_CALL(op, args...) where {sub} runs a policy op.").unwrap();
        }
        None => {
            writeln!(
                s,
                " * Call {sub}_bpf_init() from module init, {up}_CALL(op, args...) where"
            )
            .unwrap();
            writeln!(
                s,
                " * {sub} runs a policy op, and {up}_HOOK(hook, args...) at hook sites."
            )
            .unwrap();
        }
    }
    s.push_str(" */\n");
    writeln!(s, "#ifndef {guard}\n#define {guard}\n").unwrap();
    let mut includes = vec![
        // __bpf_kfunc and __bpf_kfunc_start_defs() for the kfunc bodies
        "linux/btf.h",
        "linux/compiler.h",
        "linux/init.h",
        "linux/jump_label.h",
        "linux/minmax.h",
        "linux/rcupdate.h",
        "linux/types.h",
    ];
    if decl.ops.instances == Instances::Many {
        includes.push("linux/rculist.h");
    }
    if decl.ops.callbacks.iter().any(|c| c.sleepable) {
        includes.extend(["linux/kernel.h", "linux/srcu.h"]);
    }
    if decl.ops.hot().next().is_some() {
        includes.push("linux/static_call.h");
    }
    if decl.hooks.iter().any(|h| h.is_fmod_ret()) {
        includes.push("linux/errno.h");
    }
    if let Some(t) = in_tree {
        includes.extend(t.includes.iter().map(String::as_str));
    }
    includes.sort_unstable();
    includes.dedup();
    for i in includes {
        writeln!(s, "#include <{i}>").unwrap();
    }
    s.push('\n');
    match in_tree {
        Some(t) => {
            s.push_str(&comment(
                0,
                &format!(
                    "CONFIG_{} depends on {}: off, {up}_CALL() runs the declared defaults.",
                    t.config,
                    kconfig_depends(t).join(", ")
                ),
            ));
            writeln!(
                s,
                "#define {}\tIS_ENABLED(CONFIG_{})\n",
                n.enabled_macro(),
                t.config
            )
            .unwrap();
        }
        None => {
            s.push_str("/* The BPF side needs BTF for the types and kfuncs below. */\n");
            s.push_str("#if IS_ENABLED(CONFIG_BPF_SYSCALL) && IS_ENABLED(CONFIG_BPF_JIT)\n");
            writeln!(
                s,
                "#define {}\tIS_ENABLED(CONFIG_DEBUG_INFO_BTF)",
                n.enabled_macro()
            )
            .unwrap();
            writeln!(s, "#else\n#define {}\t0\n#endif\n", n.enabled_macro()).unwrap();
        }
    }

    let foreign = foreign_structs(decl);
    for t in &foreign {
        writeln!(s, "struct {t};").unwrap();
    }
    if !foreign.is_empty() {
        s.push('\n');
    }
    s.push_str(&shared_structs(decl));
    s.push_str(&emit_kernel::h_flags(&decl.ops, &n));
    s.push_str(&emit_kernel::exit_info_def(&decl.ops, &n));
    s.push_str(&emit_kernel::h_verdicts(&decl.ops));
    s.push_str(&emit_kernel::struct_def(&decl.ops, &n, true));

    let defaults = emit_kernel::h_defaults(&decl.ops);
    if !defaults.is_empty() {
        writeln!(
            s,
            "\n/* Defined by {sub}: what {up}_CALL() runs when no BPF op is attached. */"
        )
        .unwrap();
        s.push_str(&defaults);
    }
    if !decl.kfuncs.is_empty() {
        writeln!(s, "\n/* kfuncs: {sub} defines each with __bpf_kfunc. */\n").unwrap();
        s.push_str(&kfuncs::emit::h_prototypes(&decl.kfuncs));
    }
    if !decl.hooks.is_empty() {
        s.push('\n');
        s.push_str(&hooks::emit::h_hooks(&decl.hooks, sub, &n.enabled_macro()));
    }
    s.push('\n');
    s.push_str(&emit_kernel::h_call_path(&decl.ops, &n));
    s.push('\n');
    let one = decl.ops.instances == Instances::One;
    // built in, the glue registers itself from an initcall
    let init = in_tree.is_none();
    let (names_on, names_off) = emit_kernel::h_policy_names(&decl.ops, &n);
    if init || one {
        writeln!(s, "#if {}", n.enabled_macro()).unwrap();
        if init {
            writeln!(s, "int __init {}(void);", n.init_fn()).unwrap();
        }
        if one {
            writeln!(
                s,
                "__printf(2, 3) void {}(s64 code, const char *fmt, ...);",
                n.eject_fn()
            )
            .unwrap();
        }
        s.push_str(&names_on);
        s.push_str("#else\n");
        if init {
            writeln!(
                s,
                "static inline int {}(void)\n{{\n\treturn 0;\n}}",
                n.init_fn()
            )
            .unwrap();
        }
        if one {
            if init {
                s.push('\n');
            }
            writeln!(
                s,
                "static inline __printf(2, 3)\nvoid {}(s64 code, const char *fmt, ...)\n{{\n}}",
                n.eject_fn()
            )
            .unwrap();
        }
        s.push_str(&names_off);
        s.push_str("#endif\n\n");
    }
    writeln!(s, "#endif /* {guard} */").unwrap();
    s
}
