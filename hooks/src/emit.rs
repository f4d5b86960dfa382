//! Hook sites in C: the functions BPF attaches to, the fmodret set that
//! allows `fmod_ret` on them, the clamping call wrappers, and the
//! BPF-side program macros.

use std::fmt::Write;

use modless_ctypes::cfmt::comment;

use crate::model::{Hook, HookKind};
use crate::names::{self, Bound};

/// BPF programs have no errno macros, so `numeric` spells values out.
fn range_defines(hooks: &[Hook], numeric: bool) -> String {
    let mut s = String::new();
    let show = |v: &crate::model::RetValue| {
        if !numeric || v.expr == v.value.to_string() {
            v.expr.clone()
        } else {
            format!(
                "({})\t/* {} */",
                v.value,
                v.expr.trim_matches(|c| c == '(' || c == ')')
            )
        }
    };
    for h in hooks {
        if let HookKind::FmodRet { min, max, .. } = &h.kind {
            writeln!(
                s,
                "#define {}\t{}",
                names::bound(h.name(), Bound::Min),
                show(min)
            )
            .unwrap();
            writeln!(
                s,
                "#define {}\t{}",
                names::bound(h.name(), Bound::Max),
                show(max)
            )
            .unwrap();
        }
    }
    s
}

/// Prototypes, return ranges, the clamping wrappers and `<SUB>_HOOK`.
pub fn h_hooks(hooks: &[Hook], sub: &str) -> String {
    let mut s = range_defines(hooks, false);
    if !s.is_empty() {
        s.push('\n');
    }
    for h in hooks {
        if let Some(doc) = &h.doc {
            s.push_str(&comment(0, doc));
        }
        writeln!(s, "{}", h.proto.render_wrapped("", h.name(), ";")).unwrap();
    }
    for h in hooks {
        let args = h.proto.arg_names().join(", ");
        s.push('\n');
        writeln!(
            s,
            "{}\n{{",
            h.proto
                .render_wrapped("static inline ", &names::wrapper(h.name()), "")
        )
        .unwrap();
        match &h.kind {
            HookKind::FentryOnly => writeln!(s, "\t{}({args});", h.name()).unwrap(),
            HookKind::FmodRet { .. } => {
                let ty = h.proto.ret.to_string();
                s.push_str("\t/* fmod_ret programs may return anything */\n");
                writeln!(
                    s,
                    "\treturn clamp_t({ty}, {}({args}),\n\t\t       {}, {});",
                    h.name(),
                    names::bound(h.name(), Bound::Min),
                    names::bound(h.name(), Bound::Max)
                )
                .unwrap();
            }
        }
        s.push_str("}\n");
    }
    s.push('\n');
    s.push_str("/* Call the hook site @hook, so BPF programs attached to it run. */\n");
    writeln!(
        s,
        "#define {}(hook, ...)\thook##_hook(__VA_ARGS__)",
        names::call_macro(sub)
    )
    .unwrap();
    s
}

/// The hook functions themselves; built whether or not BPF is enabled.
pub fn c_hooks(hooks: &[Hook]) -> String {
    let mut s = String::new();
    for (i, h) in hooks.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        writeln!(
            s,
            "{}\n{{",
            h.proto.render_wrapped("__weak noinline ", h.name(), "")
        )
        .unwrap();
        s.push_str("\t/* an opaque body keeps every call a real, patchable call */\n");
        s.push_str("\tasm volatile(\"\");\n");
        if let HookKind::FmodRet { default, .. } = &h.kind {
            writeln!(s, "\treturn {};", default.expr).unwrap();
        }
        s.push_str("}\n");
        if matches!(
            h.kind,
            HookKind::FmodRet {
                error_injection: true,
                ..
            }
        ) {
            writeln!(s, "ALLOW_ERROR_INJECTION({}, ERRNO);", h.name()).unwrap();
        }
    }
    s
}

/// The fmodret id set (BPF side of the build only), empty if no hook is
/// `fmod_ret`.
pub fn c_fmodret_set(hooks: &[Hook], sub: &str) -> String {
    let fm: Vec<&Hook> = hooks.iter().filter(|h| h.is_fmod_ret()).collect();
    if fm.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    writeln!(s, "BTF_SET8_START({})", names::fmodret_set(sub)).unwrap();
    for h in fm {
        let sleepable = matches!(
            h.kind,
            HookKind::FmodRet {
                sleepable: true,
                ..
            }
        );
        if sleepable {
            writeln!(s, "BTF_ID_FLAGS(func, {}, KF_SLEEPABLE)", h.name()).unwrap();
        } else {
            writeln!(s, "BTF_ID_FLAGS(func, {})", h.name()).unwrap();
        }
    }
    writeln!(s, "BTF_SET8_END({})\n", names::fmodret_set(sub)).unwrap();
    writeln!(
        s,
        "static const struct btf_kfunc_id_set {} = {{",
        names::fmodret_id_set(sub)
    )
    .unwrap();
    writeln!(
        s,
        "\t.owner\t= THIS_MODULE,\n\t.set\t= &{},\n}};",
        names::fmodret_set(sub)
    )
    .unwrap();
    s
}

pub fn c_register(hooks: &[Hook], sub: &str) -> Option<String> {
    hooks.iter().any(Hook::is_fmod_ret).then(|| {
        format!(
            "register_btf_fmodret_id_set(&{})",
            names::fmodret_id_set(sub)
        )
    })
}

/// Return ranges and program macros for BPF authors.
pub fn bpf_hooks(hooks: &[Hook], sub: &str) -> String {
    let mut s = String::new();
    s.push_str(&range_defines(hooks, true));
    let fentry = names::prog_macro(sub, "FENTRY");
    writeln!(
        s,
        "\n/* Observe a hook site: {fentry}(hook, prog, args...) */"
    )
    .unwrap();
    let sec = [
        ("FENTRY", "fentry"),
        ("FEXIT", "fexit"),
        ("FMOD_RET", "fmod_ret"),
    ];
    for (kind, sec) in sec {
        if kind == "FMOD_RET" {
            if !hooks.iter().any(Hook::is_fmod_ret) {
                break;
            }
            s.push_str(
                "/* Replace a hook's result; the caller clamps it to <HOOK>_RET_MIN..MAX */\n",
            );
        }
        writeln!(
            s,
            "#define {}(hook, name, args...)\t\\\n\tSEC(\"{sec}/\" #hook) int BPF_PROG(name, ##args)",
            names::prog_macro(sub, kind)
        )
        .unwrap();
    }
    s
}
