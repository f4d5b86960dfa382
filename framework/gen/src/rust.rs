//! `<sub>_bpf.rs`: names for Rust loaders, and the ops table's data members
//! as a typed view over a skeleton's ops map. Shared structs are not
//! emitted: a skeleton types them from the object's BTF.

mod ops_data;

use std::fmt::Write;

use modless_decl::hooks::names::{bound, Bound};
use modless_decl::hooks::HookKind;
use modless_decl::struct_ops::{emit_kernel, DataKind, IfMissing};
use modless_decl::Declaration;

use crate::banner::generated_line;
use crate::kernel_h::names;

/// `///` lines for `doc` (which may span lines).
fn doc_lines(s: &mut String, doc: &str) {
    for line in doc.lines() {
        writeln!(s, "/// {line}").unwrap();
    }
}

fn str_list(s: &mut String, doc: &str, name: &str, items: &[&str]) {
    writeln!(s, "/// {doc}").unwrap();
    write!(s, "pub const {name}: &[&str] = &[").unwrap();
    if items.is_empty() {
        s.push_str("];\n\n");
        return;
    }
    s.push('\n');
    for i in items {
        writeln!(s, "    \"{i}\",").unwrap();
    }
    s.push_str("];\n\n");
}

pub fn emit(decl: &Declaration) -> String {
    let n = names(decl);
    let ops = &decl.ops;
    let mut s = String::new();
    writeln!(
        s,
        "// SPDX-License-Identifier: GPL-2.0\n// {}",
        generated_line(decl)
    )
    .unwrap();
    writeln!(
        s,
        "//! Names of {}'s BPF interface and its ops data members, for loaders.\n",
        decl.subsystem.name
    )
    .unwrap();

    writeln!(s, "/// The struct_ops type (`struct {}`).", ops.name).unwrap();
    writeln!(s, "pub const OPS_TYPE: &str = \"{}\";\n", ops.name).unwrap();
    s.push_str("/// The struct_ops map value type in the kernel's BTF.\n");
    writeln!(
        s,
        "pub const OPS_VALUE_TYPE: &str = \"{}\";\n",
        n.value_type()
    )
    .unwrap();
    let cbs: Vec<&str> = ops.callbacks.iter().map(|c| c.name()).collect();
    str_list(
        &mut s,
        "Callback members, in struct order.",
        "OPS_CALLBACKS",
        &cbs,
    );
    let req: Vec<&str> = ops
        .callbacks
        .iter()
        .filter(|c| c.required)
        .map(|c| c.name())
        .collect();
    str_list(
        &mut s,
        "Callbacks every instance must implement.",
        "OPS_REQUIRED",
        &req,
    );
    let zero: Vec<&str> = ops
        .callbacks
        .iter()
        .filter(|c| c.if_missing == IfMissing::Zero)
        .map(|c| c.name())
        .chain(
            ops.data
                .iter()
                .filter(|d| d.if_missing == IfMissing::Zero)
                .map(|d| d.decl.name.as_str()),
        )
        .collect();
    str_list(
        &mut s,
        "Members a loader leaves out where the kernel's type lacks them.",
        "OPS_ZERO_IF_MISSING",
        &zero,
    );
    if let Some(op) = ops.exit_op() {
        writeln!(
            s,
            "/// The exit op: it gets `struct {}` when an instance stops.\n\
             pub const OPS_EXIT: &str = \"{}\";\n",
            n.exit_info(),
            op.name()
        )
        .unwrap();
        for (i, (kind, why)) in emit_kernel::EXIT_KINDS.iter().enumerate() {
            writeln!(
                s,
                "/// Exit record kind: {why}.\npub const {}: i32 = {};",
                n.exit_kind(kind),
                i + 1
            )
            .unwrap();
        }
        s.push('\n');
    }
    let kf: Vec<&str> = decl.kfuncs.iter().map(|k| k.name()).collect();
    str_list(&mut s, "kfuncs the subsystem registers.", "KFUNCS", &kf);
    let fentry: Vec<&str> = decl
        .hooks
        .iter()
        .filter(|h| h.kind == HookKind::FentryOnly)
        .map(|h| h.name())
        .collect();
    str_list(
        &mut s,
        "Hook sites for fentry/fexit only.",
        "FENTRY_HOOKS",
        &fentry,
    );
    let fmod: Vec<&str> = decl
        .hooks
        .iter()
        .filter(|h| h.is_fmod_ret())
        .map(|h| h.name())
        .collect();
    str_list(
        &mut s,
        "Hook sites that also accept fmod_ret.",
        "FMOD_RET_HOOKS",
        &fmod,
    );

    for h in &decl.hooks {
        if let HookKind::FmodRet { min, max, .. } = &h.kind {
            let ty = h.proto.ret.scalar().map(|s| s.rust_name()).unwrap_or("i64");
            writeln!(s, "/// Lowest value `{}` returns to its caller.", h.name()).unwrap();
            let (lo, hi) = (bound(h.name(), Bound::Min), bound(h.name(), Bound::Max));
            writeln!(s, "pub const {lo}: {ty} = {};", min.value).unwrap();
            writeln!(s, "/// Highest value `{}` returns to its caller.", h.name()).unwrap();
            writeln!(s, "pub const {hi}: {ty} = {};\n", max.value).unwrap();
        }
    }

    for d in &ops.data {
        if let DataKind::Flags(flags) = &d.kind {
            let ty = d.decl.ty.scalar().map(|s| s.rust_name()).unwrap_or("u64");
            for f in flags {
                let doc = f.doc.as_deref();
                doc_lines(&mut s, doc.unwrap_or("Flag bit of the ops data member."));
                writeln!(s, "pub const {}: {ty} = 1 << {};", f.name, f.bit).unwrap();
            }
            let all: Vec<&str> = flags.iter().map(|f| f.name.as_str()).collect();
            let all = if all.is_empty() {
                "0".to_string()
            } else {
                all.join(" | ")
            };
            writeln!(s, "/// Every flag `{}` accepts.", d.decl.name).unwrap();
            writeln!(
                s,
                "pub const {}: {ty} = {all};\n",
                n.flags_all(&d.decl.name)
            )
            .unwrap();
        }
    }

    if !ops.data.is_empty() {
        s.push_str(&ops_data::emit(ops, &n));
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}
