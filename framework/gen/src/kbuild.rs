//! Build snippets the subsystem pastes into (or includes from) its own
//! Kbuild and Kconfig.

use std::fmt::Write;

use modless_decl::Declaration;

use crate::banner::hash_banner;

pub fn kbuild(decl: &Declaration) -> String {
    let sub = &decl.subsystem.name;
    let mut s = hash_banner(decl);
    writeln!(
        s,
        "# Link the glue into {sub}.o next to {sub}'s own objects."
    )
    .unwrap();
    writeln!(s, "{sub}-y += {sub}_bpf.o").unwrap();
    s
}

pub fn kconfig(decl: &Declaration) -> String {
    let sub = &decl.subsystem.name;
    let mut s = hash_banner(decl);
    writeln!(
        s,
        "# Lines for {sub}'s own Kconfig entry. BPF policies need BTF for the"
    )
    .unwrap();
    writeln!(
        s,
        "# module's types and kfuncs; without these options {sub} still builds and"
    )
    .unwrap();
    writeln!(
        s,
        "# {}_CALL() runs the built-in defaults.",
        sub.to_ascii_uppercase()
    )
    .unwrap();
    s.push_str("\timply BPF_SYSCALL\n\timply BPF_JIT\n\timply DEBUG_INFO_BTF\n");
    s.push_str("\timply DEBUG_INFO_BTF_MODULES if MODULES\n");
    s
}
