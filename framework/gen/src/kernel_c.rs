//! `<sub>_bpf.c`, in bpf_qdisc.c's order: everything is defined before
//! it is used, the one forward declaration being the struct_ops the kfunc
//! filter compares against.

use std::fmt::Write;

use modless_decl::ctypes::cfmt::wrapped;
use modless_decl::kfuncs::emit::FilterCtx;
use modless_decl::struct_ops::emit_kernel;
use modless_decl::{hooks, kfuncs, Declaration};

use crate::banner::c_banner;
use crate::kernel_h::names;

pub fn emit(decl: &Declaration) -> String {
    let n = names(decl);
    let sub = &decl.subsystem.name;
    let ops = &decl.ops;
    let built_in = decl.in_tree().is_some();
    let mut s = c_banner(decl, false);
    let mut includes = vec![
        "linux/bpf.h",
        "linux/bpf_verifier.h",
        "linux/btf.h",
        "linux/btf_ids.h",
        "linux/cleanup.h",
        "linux/init.h",
        "linux/jump_label.h",
        "linux/module.h",
        "linux/mutex.h",
        "linux/rcupdate.h",
    ];
    if decl.hooks.iter().any(|h| {
        matches!(
            h.kind,
            hooks::HookKind::FmodRet {
                error_injection: true,
                ..
            }
        )
    }) {
        includes.push("linux/error-injection.h");
    }
    if ops.instances == modless_decl::struct_ops::Instances::Many {
        includes.push("linux/rculist.h");
    } else {
        // <sub>_bpf_eject()
        includes.extend(["linux/sprintf.h", "linux/stdarg.h"]);
    }
    let names = ops
        .data
        .iter()
        .any(|d| d.kind == modless_decl::struct_ops::DataKind::Name);
    if names {
        includes.push("linux/ctype.h");
    }
    if names || ops.instances == modless_decl::struct_ops::Instances::One || !decl.hooks.is_empty()
    {
        includes.push("linux/string.h");
    }
    if ops.has_sleepable() {
        includes.push("linux/srcu.h");
    }
    if ops.hot().next().is_some() {
        includes.push("linux/static_call.h");
    }
    let own = format!("linux/{sub}.h");
    if built_in {
        includes.push(&own);
    }
    includes.sort_unstable();
    for i in includes {
        writeln!(s, "#include <{i}>").unwrap();
    }
    if !decl.hooks.is_empty() {
        s.push_str(&hooks::emit::c_includes());
    }
    if built_in {
        s.push('\n');
    } else {
        writeln!(s, "\n#include \"{sub}_bpf.h\"\n").unwrap();
    }

    if !decl.hooks.is_empty() {
        s.push_str(&hooks::emit::c_hooks(&decl.hooks));
        s.push('\n');
    }

    // built in, Kconfig builds this file only when the interface is on
    if !built_in {
        writeln!(s, "#if {}\n", n.enabled_macro()).unwrap();
    }
    s.push_str(&emit_kernel::c_prelude(ops, &n));
    s.push('\n');
    s.push_str(&emit_kernel::c_btf_ids(
        ops,
        &n,
        kfuncs::emit::has_filter(&decl.kfuncs),
        built_in,
    ));
    s.push('\n');
    s.push_str(&emit_kernel::c_verifier(ops, &n, built_in));
    s.push('\n');
    if !decl.kfuncs.is_empty() {
        let ctx = FilterCtx {
            sub: sub.clone(),
            is_ours_fn: n.prog_is_ours(),
            op_idx: n.op_idx(),
            local_id_fn: n.btf_local_id(),
            ops: ops.callbacks.iter().map(|c| c.name().to_string()).collect(),
            built_in,
        };
        s.push_str(&kfuncs::emit::c_sets(&decl.kfuncs, &ctx));
    }
    s.push_str(&emit_kernel::c_callbacks(ops, &n, built_in));
    s.push('\n');
    s.push_str(&emit_kernel::c_stubs(ops, &n));
    s.push('\n');
    let fmodret = hooks::emit::c_fmodret_set(&decl.hooks, sub);
    if !fmodret.is_empty() {
        s.push_str(&fmodret);
        s.push('\n');
    }
    if !decl.hooks.is_empty() {
        s.push_str(&hooks::emit::c_entries(&decl.hooks, sub));
        s.push('\n');
    }

    let mut steps = kfuncs::emit::c_register(&decl.kfuncs, sub);
    steps.push(emit_kernel::c_register(ops, &n));
    steps.extend(hooks::emit::c_register(&decl.hooks, sub));
    if built_in {
        writeln!(s, "/* Registers {sub}'s BPF interface at boot. */").unwrap();
        writeln!(
            s,
            "static int __init {}(void)\n{{\n\tint ret;\n",
            n.init_fn()
        )
        .unwrap();
    } else {
        writeln!(
            s,
            "/* Registers {sub}'s BPF interface; call it from {sub}'s module init. */"
        )
        .unwrap();
        writeln!(s, "int __init {}(void)\n{{\n\tint ret;\n", n.init_fn()).unwrap();
    }
    for (i, step) in steps.iter().enumerate() {
        let lead = if i == 0 {
            "\tret = "
        } else {
            "\tret = ret ?: "
        };
        // steps are `f(arg, arg)`: wrap the arguments, not the call
        let (f, args) = step.split_once('(').unwrap_or((step, ")"));
        let args: Vec<String> = args
            .trim_end_matches(')')
            .split(", ")
            .map(str::to_string)
            .collect();
        writeln!(s, "{}", wrapped(&format!("{lead}{f}("), &args, ");")).unwrap();
    }
    s.push_str("\treturn ret;\n}\n");
    if built_in {
        // after the BTF of vmlinux and the kfunc hooks are set up
        writeln!(s, "late_initcall({});", n.init_fn()).unwrap();
    } else {
        writeln!(s, "\n#endif /* {} */", n.enabled_macro()).unwrap();
    }
    s
}
