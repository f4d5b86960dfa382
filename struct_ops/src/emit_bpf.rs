//! The BPF-program side of an ops table: the struct as programs see it and
//! the macros that define programs and the `.struct_ops.link` map.

use std::fmt::Write;

use crate::emit_kernel::{
    exit_info_def, h_flags, h_verdicts, struct_def, EXIT_REASON_LEN, ZERO_TAG_MACRO,
};
use crate::model::{IfMissing, OpsTable};
use crate::names::{Names, EXIT_RECORD_MACROS, EXIT_RECORD_TAG, EXIT_RECORD_VAR};

/// Flags and the ops struct, without kernel-private members (libbpf
/// matches members by name and leaves missing ones zero).
pub fn bpf_ops_struct(ops: &OpsTable, n: &Names) -> String {
    let mut s = h_flags(ops, n);
    s.push_str(&exit_info_def(ops, n));
    s.push_str(&h_verdicts(ops));
    let zero = ops.callbacks.iter().map(|c| c.if_missing);
    if zero
        .chain(ops.data.iter().map(|d| d.if_missing))
        .any(|m| m == IfMissing::Zero)
    {
        writeln!(
            s,
            "/* modless-loader leaves these members out where the kernel lacks them */\n\
             #ifndef {ZERO_TAG_MACRO}\n\
             #define {ZERO_TAG_MACRO}\t__attribute__((btf_decl_tag(\"{}\")))\n\
             #endif\n",
            IfMissing::ZERO_TAG
        )
        .unwrap();
    }
    s.push_str(&struct_def(ops, n, false));
    s
}

/// Where an exit op leaves why its instance stopped, for the loader.
pub fn bpf_exit_record(ops: &OpsTable, n: &Names) -> String {
    let Some(op) = ops.exit_op() else {
        return String::new();
    };
    let mut s = String::new();
    writeln!(
        s,
        "/*\n * Record why the program stopped where modless-loader reads it after the\n\
         \x20* kernel detached it (ExitInfo::record), like sched_ext's UEI:\n\
         \x20*\tMODLESS_EXIT_RECORD_DEFINE();\n\
         \x20*\tvoid {}(my_{m}, struct {} *info)\n\
         \x20*\t{{\n\
         \x20*\t\tMODLESS_EXIT_RECORD(info);\n\
         \x20*\t}}\n */",
        n.op_prog_macro(false),
        n.exit_info(),
        m = op.name()
    )
    .unwrap();
    let [define, record] = EXIT_RECORD_MACROS;
    let (tag, var) = (EXIT_RECORD_TAG, EXIT_RECORD_VAR);
    writeln!(
        s,
        "#ifndef {define}\n\
         struct {tag} {{\n\
         \ts32 kind;\n\
         \ts64 exit_code;\n\
         \tchar reason[{EXIT_REASON_LEN}];\n\
         }};\n\n\
         #define {define}()\t\t\t\t\\\n\
         \tstruct {tag} {var} SEC(\".data\")\n\
         /* kind last: a record whose kind is set is complete */\n\
         #define {record}(info) ({{\t\t\t\t\\\n\
         \tbpf_probe_read_kernel_str({var}.reason,\t\t\\\n\
         \t\t\t\t  sizeof({var}.reason),\t\\\n\
         \t\t\t\t  (info)->reason);\t\t\\\n\
         \t{var}.exit_code = (info)->exit_code;\t\t\\\n\
         \tasm volatile(\"\" ::: \"memory\");\t\t\t\t\\\n\
         \t{var}.kind = (info)->kind;\t\t\t\\\n\
         }})\n\
         #endif"
    )
    .unwrap();
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
