//! The BPF-program side of an ops table: the struct as programs see it and
//! the macros that define programs and the `.struct_ops.link` map.

use std::fmt::Write;

use crate::emit_kernel::{h_flags, struct_def};
use crate::model::OpsTable;
use crate::names::Names;

/// Flags and the ops struct, without kernel-private members (libbpf
/// matches members by name and leaves missing ones zero).
pub fn bpf_ops_struct(ops: &OpsTable, n: &Names) -> String {
    let mut s = h_flags(ops, n);
    s.push_str(&struct_def(ops, n, false));
    s
}

/// Program and map definition macros.
pub fn bpf_macros(ops: &OpsTable, n: &Names) -> String {
    let mut s = String::new();
    s.push_str("/* Define the program implementing op @name. */\n");
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
    let first = ops.callbacks.first().map(|c| c.name()).unwrap_or("op");
    writeln!(
        s,
        "\n/*\n * Define the ops map, attached as a link:\n * {}(my_ops,\n *\t.{first} = (void *)my_{first},\n *\t.name = \"my_ops\");\n */",
        n.ops_define_macro()
    )
    .unwrap();
    writeln!(
        s,
        "#define {}(__name, ...)\t\t\t\\\n\tSEC(\".struct_ops.link\")\t\t\t\\\n\tstruct {} __name = {{ __VA_ARGS__ }}",
        n.ops_define_macro(),
        ops.name
    )
    .unwrap();
    s
}
