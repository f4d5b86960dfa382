//! `<sub>.bpf.h`: included by BPF programs after vmlinux.h and libbpf's
//! bpf_helpers.h / bpf_tracing.h.

use std::fmt::Write;

use modless_decl::struct_ops::emit_bpf;
use modless_decl::struct_ops::names::{COUNTER_MACRO, COUNTER_TAG};
use modless_decl::{hooks, kfuncs, Declaration};

use crate::banner::c_banner;
use crate::bpf_compat;
use crate::kernel_h::{foreign_structs, names, shared_structs};

pub fn emit(decl: &Declaration) -> String {
    let n = names(decl);
    let sub = &decl.subsystem.name;
    let guard = n.bpf_h_guard();
    let in_vmlinux = n.types_in_vmlinux();
    let mut s = c_banner(decl, true);
    writeln!(
        s,
        "/*\n * For BPF programs extending {sub}. Include after vmlinux.h,"
    )
    .unwrap();
    s.push_str(" * <bpf/bpf_helpers.h> and <bpf/bpf_tracing.h>; programs must be GPL.\n");
    writeln!(
        s,
        " * Define {in_vmlinux} when {sub} is built in, so vmlinux.h"
    )
    .unwrap();
    s.push_str(" * already has its types.\n */\n");
    writeln!(s, "#ifndef {guard}\n#define {guard}\n").unwrap();
    // kernel types come from vmlinux.h; a tag it lacks must still name one
    // type across the prototypes below
    let foreign = foreign_structs(decl);
    for t in &foreign {
        writeln!(s, "struct {t};").unwrap();
    }
    if !foreign.is_empty() {
        s.push('\n');
    }
    writeln!(s, "#ifndef {in_vmlinux}").unwrap();
    s.push_str("/* CO-RE: field offsets are relocated against the kernel's BTF. */\n");
    s.push_str("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
    s.push_str("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n");
    s.push_str("#endif\n\n");
    s.push_str(&shared_structs(decl));
    s.push_str(&decl_ops_struct(decl));
    s.push_str("\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n");
    writeln!(s, "#endif /* {in_vmlinux} */\n").unwrap();
    s.push_str(&emit_bpf::bpf_macros(&decl.ops, &n));
    let record = emit_bpf::bpf_exit_record(&decl.ops, &n);
    if !record.is_empty() {
        s.push('\n');
        s.push_str(&record);
    }
    s.push('\n');
    s.push_str(&counter_macro());
    // a kfunc of a [compat] operation is declared by the compat layer
    let replaced = decl
        .compat
        .as_ref()
        .map(bpf_compat::replaced)
        .unwrap_or_default();
    let plain: Vec<_> = decl
        .kfuncs
        .iter()
        .filter(|k| !replaced.contains(&k.name()))
        .cloned()
        .collect();
    if !plain.is_empty() {
        s.push_str("\n/* __weak: probe with bpf_ksym_exists() where a kfunc is optional */\n");
        s.push_str(&kfuncs::emit::bpf_externs(&plain));
    }
    if let Some(compat) = &decl.compat {
        s.push('\n');
        s.push_str(&bpf_compat::emit(compat, sub));
    }
    if !decl.hooks.is_empty() {
        s.push('\n');
        s.push_str(&hooks::emit::bpf_hooks(&decl.hooks, sub));
    }
    writeln!(s, "\n#endif /* {guard} */").unwrap();
    s
}

fn decl_ops_struct(decl: &Declaration) -> String {
    emit_bpf::bpf_ops_struct(&decl.ops, &names(decl))
}

/// Tags a `.bss`/`.data` global as a declared counter, which
/// `modless load --stats` prints beside the programs' runs.
fn counter_macro() -> String {
    let mut s = String::from("/*\n");
    s.push_str(" * A counter modless-loader reads (`modless load --stats`, counters()):\n");
    writeln!(s, " *\tu64 nr_events {COUNTER_MACRO};\n */").unwrap();
    writeln!(s, "#ifndef {COUNTER_MACRO}").unwrap();
    writeln!(
        s,
        "#define {COUNTER_MACRO}\t__attribute__((btf_decl_tag(\"{COUNTER_TAG}\")))\n#endif"
    )
    .unwrap();
    s
}
