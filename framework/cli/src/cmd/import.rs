use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// `modless import --btf vmlinux --ops sched_ext_ops -o sched_ext.toml`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// vmlinux ELF (kfunc flags and sets come from its .BTF_ids) or raw BTF.
    #[arg(long)]
    btf: PathBuf,
    /// The ops struct to import, e.g. sched_ext_ops.
    #[arg(long)]
    ops: String,
    /// Import every kfunc of the BTF id sets whose name starts with this (repeatable).
    #[arg(long = "kfunc-set", value_name = "PREFIX")]
    kfunc_sets: Vec<String>,
    /// Import kfuncs whose name starts with this (repeatable).
    #[arg(long = "kfunc", value_name = "PREFIX")]
    kfuncs: Vec<String>,
    /// Callbacks that may be sleepable (comma-separated; kernel code decides, not BTF).
    #[arg(long, value_delimiter = ',')]
    sleepable: Vec<String>,
    /// Ops that may call the kfuncs of a set, `SET=op,op` or `SET=*` for any (repeatable;
    /// the kernel's kfunc filter is code, not BTF). Sets not named do not restrict.
    #[arg(long = "set-ops", value_name = "SET=OPS", value_parser = parse_set_ops)]
    set_ops: Vec<(String, modless_import::SetOps)>,
    /// Program types a set is registered for, `SET=struct_ops,tracing,syscall` (repeatable;
    /// register_btf_kfunc_id_set is code, not BTF). Sets not named: struct_ops only.
    #[arg(long = "set-prog-types", value_name = "SET=TYPES", value_parser = parse_set_prog_types)]
    set_prog_types: Vec<(String, Vec<modless_import::ProgType>)>,
    /// An older kernel the interface must also work on, `NAME=VMLINUX` (repeatable,
    /// oldest first): adds a [compat] table of what each kernel has.
    #[arg(long = "kernel", value_name = "NAME=VMLINUX", value_parser = parse_kernel, requires = "kernel_name")]
    older: Vec<(String, PathBuf)>,
    /// The name of --btf's kernel in [compat], e.g. 7.3 (with --kernel).
    #[arg(long = "kernel-name", value_name = "NAME", requires = "older")]
    kernel_name: Option<String>,
    /// kfunc OLD was renamed NEW: one operation with two versions (repeatable).
    #[arg(long = "rename", value_name = "OLD=NEW", value_parser = parse_rename, requires = "older")]
    renames: Vec<(String, String)>,
    /// Where to write the declaration.
    #[arg(short, long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = modless_import::ImportOptions {
        btf: args.btf,
        ops: args.ops,
        kfunc_prefixes: args.kfuncs,
        kfunc_sets: args.kfunc_sets,
        sleepable: args.sleepable,
        set_ops: args.set_ops,
        set_prog_types: args.set_prog_types,
    };
    let mut imported = modless_import::import(&opts)?;
    if let Some(newest) = args.kernel_name {
        let compat = modless_import::CompatOptions {
            older: args.older,
            newest,
            renames: args.renames,
        };
        let (section, skipped) = modless_import::compat_section(&opts, &compat, &imported.toml)?;
        imported.toml.push_str(&section);
        for (what, why) in skipped {
            eprintln!("{}: not in [compat]: {what}: {why}", args.out.display());
        }
    }
    modless_import::write(&imported, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    for (what, why) in &imported.dropped {
        eprintln!("{}: not imported: {what}: {why}", args.out.display());
    }
    for (what, why) in &imported.lint_kfuncs {
        eprintln!(
            "{}: lint only (no prototype): {what}: {why}",
            args.out.display()
        );
    }
    println!(
        "{}: {} callbacks, {} data fields, {} kfuncs, {} lint-only kfuncs ({} left out)",
        args.out.display(),
        imported.callbacks,
        imported.data,
        imported.kfuncs,
        imported.lint_kfuncs.len(),
        imported.dropped.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_set_ops(s: &str) -> Result<(String, modless_import::SetOps), String> {
    let (set, ops) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: want SET=op,op or SET=*"))?;
    Ok((set.trim().to_string(), modless_import::SetOps::parse(ops)))
}

fn parse_kernel(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: want NAME=VMLINUX, e.g. 6.12=/path/to/vmlinux"))?;
    Ok((name.trim().to_string(), PathBuf::from(path)))
}

fn parse_rename(s: &str) -> Result<(String, String), String> {
    let (old, new) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: want OLD=NEW, e.g. scx_bpf_dispatch=scx_bpf_dsq_insert"))?;
    Ok((old.trim().to_string(), new.trim().to_string()))
}

fn parse_set_prog_types(s: &str) -> Result<(String, Vec<modless_import::ProgType>), String> {
    let (set, types) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: want SET=struct_ops,tracing,syscall"))?;
    Ok((set.trim().to_string(), modless_import::parse_prog_types(types)?))
}
