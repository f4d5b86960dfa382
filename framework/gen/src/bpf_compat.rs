//! The BPF header's compat layer, from a declaration's `[compat]`: one name
//! per kfunc operation that works on every declared kernel.
//!
//! Each version is a `__weak` extern flavoured `<kfunc>___k<kernel>` (libbpf
//! resolves it to the kernel's `<kfunc>`, or leaves it unset where the
//! kernel lacks it or its prototype differs). The operation's name is an
//! inline that calls the first version the running kernel has, chosen at
//! load time with `bpf_ksym_exists()` (the verifier drops the other
//! branches); a macro of the operation's name stands for the inline. Where a declared kernel has no version with the operation's
//! prototype, the last branch calls `<op>__missing_on_<kernels>`, a kfunc no
//! kernel has: a program that reaches it there fails to load, naming it.
//! `<SUB>_HAS(op)` is the load-time test a program guards such a call with,
//! taking its own fallback otherwise.

use std::fmt::Write;

use modless_decl::compat::{Compat, Operation, Version};
use modless_decl::ctypes::FuncProto;

/// `6.12` -> `6_12`: a kernel name as part of a C identifier.
pub(crate) fn ident(kernel: &str) -> String {
    kernel
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The flavoured extern of `v`: `<kfunc>___k<its oldest kernel>`.
pub(crate) fn flavour(v: &Version) -> String {
    let oldest = v.kernels.first().map(String::as_str).unwrap_or("any");
    format!("{}___k{}", v.proto.name, ident(oldest))
}

/// The kfunc no kernel has, called where `op` has no usable version.
pub(crate) fn missing_name(compat: &Compat, op: &Operation) -> Option<String> {
    let missing: Vec<String> = compat
        .kernels
        .iter()
        .filter(|k| usable(op).all(|v| !v.kernels.contains(k)))
        .map(|k| ident(k))
        .collect();
    (!missing.is_empty()).then(|| format!("{}__missing_on_{}", op.name, missing.join("_")))
}

fn same_types(a: &FuncProto, b: &FuncProto) -> bool {
    a.ret == b.ret
        && a.params.len() == b.params.len()
        && a.params.iter().zip(&b.params).all(|(x, y)| x.ty == y.ty)
}

/// The operation's own prototype: its version named like it.
fn own(op: &Operation) -> Option<&FuncProto> {
    op.versions
        .iter()
        .map(|v| &v.proto)
        .find(|p| p.name == op.name)
}

/// Versions callable with the operation's prototype, in declared order.
fn usable(op: &Operation) -> impl Iterator<Item = &Version> {
    let own = own(op);
    op.versions
        .iter()
        .filter(move |v| own.is_some_and(|p| same_types(p, &v.proto)))
}

/// Names the header must not also declare as plain externs: every
/// operation and version name.
pub(crate) fn replaced(compat: &Compat) -> Vec<&str> {
    compat
        .kfuncs
        .iter()
        .flat_map(|o| {
            std::iter::once(o.name.as_str()).chain(o.versions.iter().map(|v| v.proto.name.as_str()))
        })
        .collect()
}

/// The compat section of `<sub>.bpf.h`.
pub(crate) fn emit(compat: &Compat, lower: &str) -> String {
    let upper = lower.to_ascii_uppercase();
    let mut s = String::new();
    writeln!(
        s,
        "/*\n * Compat layer for kernels {}: one name per kfunc operation, the\n \
         * kernel's kfunc chosen at load time. {upper}_HAS(op) tells whether the\n \
         * running kernel has the operation; where it does not and the program\n \
         * calls it anyway, loading fails naming <op>__missing_on_<kernels>.\n */",
        compat.kernels.join(", ")
    )
    .unwrap();
    writeln!(s, "#define {upper}_HAS(op)\t__{lower}_has_##op()").unwrap();
    for m in &compat.members {
        writeln!(
            s,
            "/* ops member {}: only on {}; leave it unset for the others */",
            m.name,
            m.kernels.join(", ")
        )
        .unwrap();
    }
    for op in &compat.kfuncs {
        s.push('\n');
        s.push_str(&operation(compat, op, lower));
    }
    s
}

fn operation(compat: &Compat, op: &Operation, lower: &str) -> String {
    let mut s = String::new();
    let Some(own) = own(op) else {
        return s; // validation rejects this
    };
    let on: Vec<String> = op
        .versions
        .iter()
        .map(|v| format!("{}: {}", v.kernels.join(", "), v.proto.name))
        .collect();
    let lacking: Vec<&str> = compat.missing_on(op).collect();
    let mut comment = format!("/* {}: {}", op.name, on.join("; "));
    if !lacking.is_empty() {
        write!(comment, "; none on {}", lacking.join(", ")).unwrap();
    }
    for v in op.versions.iter().filter(|v| !same_types(own, &v.proto)) {
        write!(
            comment,
            "; {} differs in prototype: call {} yourself",
            v.proto.name,
            flavour(v)
        )
        .unwrap();
    }
    comment.push_str(" */");
    writeln!(s, "{comment}").unwrap();
    for v in &op.versions {
        writeln!(
            s,
            "{}",
            v.proto
                .render_wrapped("extern ", &flavour(v), " __ksym __weak;")
        )
        .unwrap();
    }
    let missing = missing_name(compat, op);
    if let Some(m) = &missing {
        writeln!(s, "extern void {m}(void) __ksym __weak;").unwrap();
    }
    let tests: Vec<String> = usable(op)
        .map(|v| format!("bpf_ksym_exists({})", flavour(v)))
        .collect();
    let has = if tests.is_empty() {
        "false".to_string()
    } else {
        tests.join(" ||\n\t       ")
    };
    writeln!(
        s,
        "static __always_inline bool __{lower}_has_{}(void)\n{{\n\treturn {has};\n}}",
        op.name
    )
    .unwrap();
    // a macro to the inline: vmlinux.h may declare the kfunc under the
    // operation's name already, and a definition would inherit its
    // extern __weak __ksym and become a global function
    let inline = format!("__{lower}_{}", op.name);
    s.push_str(&wrapper(own, &inline, op, missing.as_deref()));
    writeln!(s, "#define {} {inline}", op.name).unwrap();
    s
}

/// `static __always_inline <proto of op>`: the first version the kernel has.
fn wrapper(own: &FuncProto, name: &str, op: &Operation, missing: Option<&str>) -> String {
    let mut s = own.render_wrapped("static __always_inline ", name, "\n{\n");
    let args: Vec<String> = own
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.name.is_empty() {
                format!("arg{i}")
            } else {
                p.name.clone()
            }
        })
        .collect();
    let args = args.join(", ");
    let void = own.ret.is_void();
    for v in usable(op) {
        let f = flavour(v);
        if void {
            writeln!(
                s,
                "\tif (bpf_ksym_exists({f})) {{\n\t\t{f}({args});\n\t\treturn;\n\t}}"
            )
            .unwrap();
        } else {
            writeln!(s, "\tif (bpf_ksym_exists({f}))\n\t\treturn {f}({args});").unwrap();
        }
    }
    if let Some(m) = missing {
        writeln!(s, "\t{m}();").unwrap();
    }
    if !void {
        s.push_str("\treturn 0;\n");
    }
    s.push_str("}\n");
    s
}
