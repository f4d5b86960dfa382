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

/// The x86-64 ftrace sites the hook sites read; elsewhere every site calls.
const X86_FTRACE: &str = "defined(CONFIG_X86_64) && defined(CONFIG_DYNAMIC_FTRACE)";

/// `<sub>_hook_traced()`: whether a hook's function is traced, so that an
/// idle hook site skips the call (`enabled` is the glue's BPF switch).
fn h_traced(sub: &str, enabled: &str) -> String {
    let key = names::entries_key(sub);
    let traced = names::traced_fn(sub);
    let nop = names::nop_opcode_macro(sub);
    let check = names::check_entries_fn(sub);
    let mut s = String::new();
    writeln!(s, "#if {enabled} && {X86_FTRACE}").unwrap();
    s.push_str("#include <asm/ibt.h>\n\n");
    writeln!(s, "DECLARE_STATIC_KEY_FALSE({key});").unwrap();
    writeln!(
        s,
        "/* x86-64's BYTES_NOP5 starts with it; a call with 0xe8 */"
    )
    .unwrap();
    writeln!(s, "#define {nop}\t0x0f\n").unwrap();
    let site = names::site_fn(sub);
    s.push_str("/* @hook's ftrace site, computed: objtool rejects a relocation past ENDBR */\n");
    writeln!(
        s,
        "static __always_inline const u8 *{site}(const void *hook)\n{{\n\
         \tconst u8 *entry = hook;\n\n\
         \tOPTIMIZER_HIDE_VAR(entry);\n\
         \treturn entry + ENDBR_INSN_SIZE;\n}}\n"
    )
    .unwrap();
    s.push_str(&comment(
        0,
        &format!(
            "fentry, fexit and fmod_ret programs, and kprobes at a function's entry, \
             all attach through its ftrace site: the 5-byte nop at its entry (after \
             ENDBR64) becomes a call. A hook site whose function's site is still that \
             nop skips the call and returns the hook's default, a load and a branch \
             instead of a call and a return. {check}() checks every entry at init; \
             until it has, and wherever an entry is not such a site, hook sites always \
             call. A kprobe past the entry fires only while the function is traced \
             otherwise."
        ),
    ));
    writeln!(
        s,
        "static __always_inline bool {traced}(const void *hook)\n{{\n\
         \treturn !static_branch_likely(&{key}) ||\n\
         \t       READ_ONCE(*{site}(hook)) != {nop};\n}}"
    )
    .unwrap();
    s.push_str("#else\n");
    writeln!(
        s,
        "static __always_inline bool {traced}(const void *hook)\n{{\n\treturn true;\n}}"
    )
    .unwrap();
    writeln!(s, "#endif").unwrap();
    s
}

/// Prototypes, return ranges, the clamping wrappers and `<SUB>_HOOK`.
pub fn h_hooks(hooks: &[Hook], sub: &str, enabled: &str) -> String {
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
    s.push('\n');
    s.push_str(&h_traced(sub, enabled));
    let traced = names::traced_fn(sub);
    for h in hooks {
        let args = h.proto.arg_names().join(", ");
        s.push('\n');
        writeln!(
            s,
            "{}\n{{",
            h.proto
                .render_wrapped("static __always_inline ", &names::wrapper(h.name()), "")
        )
        .unwrap();
        match &h.kind {
            HookKind::FentryOnly => writeln!(
                s,
                "\tif ({traced}({}))\n\t\t{}({args});",
                h.name(),
                h.name()
            )
            .unwrap(),
            HookKind::FmodRet { default, .. } => {
                let ty = h.proto.ret.to_string();
                writeln!(
                    s,
                    "\tif (!{traced}({}))\n\t\treturn {};",
                    h.name(),
                    default.expr
                )
                .unwrap();
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

/// The arch headers [`c_entries`] needs, after the glue's own includes.
pub fn c_includes() -> String {
    format!("#if {X86_FTRACE}\n#include <asm/nops.h>\n#include <asm/text-patching.h>\n#endif\n")
}

/// The key idle hook sites test and the init step that turns it on once
/// every hook's entry is an ftrace site (inside the glue's BPF switch).
pub fn c_entries(hooks: &[Hook], sub: &str) -> String {
    let key = names::entries_key(sub);
    let nop = names::nop_opcode_macro(sub);
    let check = names::check_entries_fn(sub);
    let mut s = String::new();
    writeln!(s, "#if {X86_FTRACE}").unwrap();
    writeln!(s, "DEFINE_STATIC_KEY_FALSE({key});\n").unwrap();
    let fns = names::fns_array(sub);
    writeln!(s, "static const void *const {fns}[] __initconst = {{").unwrap();
    for h in hooks {
        writeln!(s, "\t{},", h.name()).unwrap();
    }
    s.push_str("};\n\n");
    s.push_str(&comment(
        0,
        "Idle hook sites skip their call once every hook's entry is what ftrace \
         leaves there: the 5-byte nop, or a call if something already traces it. \
         Anything else (a compiler that laid the entry out otherwise) leaves every \
         site calling.",
    ));

    writeln!(s, "static int __init {check}(void)\n{{").unwrap();
    s.push_str("\tstatic const u8 idle[] = { BYTES_NOP5 };\n");
    s.push_str("\tconst u8 *site;\n\tunsigned int i;\n\n");
    writeln!(s, "\tif (idle[0] != {nop})\n\t\treturn 0;").unwrap();
    writeln!(s, "\tfor (i = 0; i < ARRAY_SIZE({fns}); i++) {{").unwrap();
    writeln!(s, "\t\tsite = {}({fns}[i]);", names::site_fn(sub)).unwrap();
    s.push_str("\t\tif (memcmp(site, idle, sizeof(idle)) &&\n");
    s.push_str("\t\t    site[0] != CALL_INSN_OPCODE)\n\t\t\treturn 0;\n\t}\n");
    writeln!(s, "\tstatic_branch_enable(&{key});\n\treturn 0;\n}}").unwrap();
    s.push_str("#else\n");
    writeln!(s, "static inline int {check}(void)\n{{\n\treturn 0;\n}}").unwrap();
    writeln!(s, "#endif").unwrap();
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

/// Init steps: the fmodret set's registration, the entries' check.
pub fn c_register(hooks: &[Hook], sub: &str) -> Vec<String> {
    let mut steps = Vec::new();
    if hooks.iter().any(Hook::is_fmod_ret) {
        steps.push(format!(
            "register_btf_fmodret_id_set(&{})",
            names::fmodret_id_set(sub)
        ));
    }
    if !hooks.is_empty() {
        steps.push(format!("{}()", names::check_entries_fn(sub)));
    }
    steps
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
