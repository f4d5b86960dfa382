//! The BPF-program side of an ops table: the struct as programs see it and
//! the macros that define programs and the `.struct_ops.link` map.

use std::fmt::Write;

use crate::emit_kernel::{h_flags, struct_def};
use crate::model::OpsTable;
use crate::names::Names;

/// Flags, the ops struct (without kernel-private members; libbpf matches
/// members by name) and the definition macros.
pub fn bpf_ops(ops: &OpsTable, n: &Names) -> String {
    let mut s = h_flags(ops, n);
    s.push_str(&struct_def(ops, n, false));
    s.push('\n');
    s.push_str("/* Define a program implementing the op @name of the ops table. */\n");
    writeln!(
        s,
        "#define {}(name, args...)\t\\\n\tSEC(\"struct_ops/\" #name) BPF_PROG(name, ##args)",
        n.op_prog_macro(false)
    )
    .unwrap();
    if ops.callbacks.iter().any(|c| c.sleepable) {
        writeln!(
            s,
            "#define {}(name, args...)\t\\\n\tSEC(\"struct_ops.s/\" #name) BPF_PROG(name, ##args)",
            n.op_prog_macro(true)
        )
        .unwrap();
    }
    s.push('\n');
    writeln!(
        s,
        "/* Define the ops map, attached as a link: {}(my_ops, .{} = (void *)prog, ...) */",
        n.ops_define_macro(),
        ops.callbacks.first().map(|c| c.name()).unwrap_or("op")
    )
    .unwrap();
    writeln!(s, "#define {}(__name, ...)\t\t\t\\\n\tSEC(\".struct_ops.link\")\t\t\t\\\n\tstruct {} __name = {{ __VA_ARGS__ }}", n.ops_define_macro(), ops.name).unwrap();
    s
}
