//! The declaration's rules applied to a scanned object: the same ones the
//! generated kernel filter and `validate` enforce, before the kernel sees it.

use std::fmt;
use std::path::{Path, PathBuf};

use modless_decl::kfuncs::{Kfunc, LintKfunc, OpScope, ProgType};
use modless_decl::Declaration;

use super::scan::{scan, ScanError, Scanned, ScannedProgram};
use crate::flavor::essential_name;

/// One program: which op it implements and which kfuncs it calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramUse {
    /// Function name.
    pub name: String,
    /// ELF section.
    pub section: String,
    /// `map.member` it fills, for a struct_ops program.
    pub ops: Vec<String>,
    /// Sleepable section.
    pub sleepable: bool,
    /// kfuncs it calls (through subprograms too).
    pub kfuncs: Vec<String>,
}

/// A rule the object breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LintProblem {
    /// A struct_ops map of a type no declaration's table has.
    WrongOpsType {
        map: String,
        found: String,
        /// Every declaration's ops type, comma-separated.
        expected: String,
    },
    /// A member the declaration's table does not have.
    OpNotInTable {
        map: String,
        member: String,
        program: String,
    },
    /// A required op left NULL (the kernel's `validate` refuses it).
    RequiredOpMissing { map: String, op: String },
    /// A sleepable program on an op the declaration does not mark sleepable.
    SleepableOnNonSleepableOp { program: String, op: String },
    /// A subsystem kfunc called from an op it is not allowlisted for
    /// (`allowed` empty: from no op of the struct).
    KfuncNotAllowedInOp {
        program: String,
        op: String,
        kfunc: String,
        allowed: Vec<String>,
    },
    /// A struct_ops program of one ops type calling a kfunc another
    /// declaration keeps for its own ops type (its filter refuses it).
    KfuncOfOtherOpsType {
        program: String,
        ops_type: String,
        kfunc: String,
        owner: String,
    },
    /// A subsystem kfunc called from a program type it is not registered for.
    KfuncWrongProgType {
        program: String,
        kfunc: String,
        prog_type: &'static str,
    },
    /// The object's member type differs from the declaration's prototype.
    WrongSignature {
        map: String,
        op: String,
        expected: String,
        found: String,
    },
    /// A struct_ops program no map uses (libbpf refuses to load it).
    UnusedOpProgram { program: String },
    /// A tracing program on a subsystem function that is no declared hook.
    UnknownHook { program: String, target: String },
    /// fmod_ret on a hook declared fentry-only.
    HookNotFmodRet { program: String, hook: String },
}

impl fmt::Display for LintProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LintProblem::*;
        match self {
            WrongOpsType { map, found, expected } => write!(
                f,
                "struct_ops map `{map}` is a `struct {found}`, the declaration's table is `struct {expected}`: \
                 give the declaration of `{found}` too if the object implements both"
            ),
            OpNotInTable { map, member, program } => write!(
                f,
                "map `{map}` sets `{member}` to `{program}`, but the declaration has no op `{member}`"
            ),
            RequiredOpMissing { map, op } => {
                write!(f, "map `{map}` leaves required op `{op}` NULL")
            }
            SleepableOnNonSleepableOp { program, op } => write!(
                f,
                "program `{program}` is sleepable (struct_ops.s/) but op `{op}` is not declared sleepable"
            ),
            KfuncNotAllowedInOp { program, op, kfunc, allowed } if allowed.is_empty() => write!(
                f,
                "program `{program}` implements `{op}` and calls kfunc `{kfunc}`, which no op of this struct may call"
            ),
            KfuncNotAllowedInOp { program, op, kfunc, allowed } => write!(
                f,
                "program `{program}` implements `{op}` and calls kfunc `{kfunc}`, allowed only in: {}",
                allowed.join(", ")
            ),
            KfuncOfOtherOpsType { program, ops_type, kfunc, owner } => write!(
                f,
                "program `{program}` implements an op of `struct {ops_type}` and calls kfunc `{kfunc}`, \
                 which only programs of `struct {owner}` may call"
            ),
            KfuncWrongProgType { program, kfunc, prog_type } => write!(
                f,
                "program `{program}` ({prog_type}) calls kfunc `{kfunc}`, which is not registered for {prog_type} programs"
            ),
            WrongSignature { map, op, expected, found } => write!(
                f,
                "map `{map}` op `{op}` has type `{found}`, the declaration says `{expected}` (rebuild against the generated header)"
            ),
            UnusedOpProgram { program } => write!(
                f,
                "struct_ops program `{program}` is in no ops map: it implements no op"
            ),
            UnknownHook { program, target } => write!(
                f,
                "program `{program}` attaches to `{target}`, which is not a declared hook site"
            ),
            HookNotFmodRet { program, hook } => write!(
                f,
                "program `{program}` is fmod_ret on `{hook}`, which is declared fentry-only"
            ),
        }
    }
}

/// What `lint` found in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintReport {
    /// The object.
    pub object: PathBuf,
    /// Every program.
    pub programs: Vec<ProgramUse>,
    /// Every rule broken; empty when the object is fine.
    pub problems: Vec<LintProblem>,
}

/// Lints the object at `path` against `decl`.
pub fn lint(path: &Path, decl: &Declaration) -> Result<LintReport, ScanError> {
    lint_all(path, &[decl])
}

/// Lints the object at `path` against one declaration per ops type it
/// implements (sched_ext in 7.3: `sched_ext_ops` and `sched_ext_ops_cid`):
/// each struct_ops map is checked against the declaration of its type,
/// other programs against the kfuncs of all.
pub fn lint_all(path: &Path, decls: &[&Declaration]) -> Result<LintReport, ScanError> {
    let scanned = scan(path)?;
    let btf = modless_btf::Btf::from_elf(path).ok();
    Ok(check(path, &scanned, decls, btf.as_ref()))
}

/// A kfunc as one declaration states it: in full or lint-only.
enum DeclaredKfunc<'a> {
    Full(&'a Kfunc),
    LintOnly(&'a LintKfunc),
}

impl<'a> DeclaredKfunc<'a> {
    fn find(decl: &'a Declaration, name: &str) -> Option<Self> {
        if let Some(kf) = decl.kfuncs.iter().find(|kf| kf.name() == name) {
            return Some(Self::Full(kf));
        }
        let kf = decl.lint_kfuncs.iter().find(|kf| kf.name == name)?;
        Some(Self::LintOnly(kf))
    }

    fn prog_types(&self) -> &'a [ProgType] {
        match self {
            Self::Full(kf) => &kf.prog_types,
            Self::LintOnly(kf) => &kf.prog_types,
        }
    }

    fn scope(&self) -> &'a OpScope {
        match self {
            Self::Full(kf) => &kf.scope,
            Self::LintOnly(kf) => &kf.scope,
        }
    }

    fn allowed_in_op(&self, op: &str) -> bool {
        match self {
            Self::Full(kf) => kf.allowed_in_op(op),
            Self::LintOnly(kf) => kf.allowed_in_op(op),
        }
    }

    /// Whether its declaration's filter refuses it to struct_ops programs
    /// of other ops types (as sched_ext's does): all but `deny_ops` kfuncs.
    fn kept_for_own_ops_type(&self) -> bool {
        let struct_ops = self.prog_types().contains(&ProgType::StructOps);
        match self {
            Self::Full(kf) => struct_ops && !kf.callable_from_other_ops_types(),
            Self::LintOnly(_) => struct_ops,
        }
    }
}

/// The program types the kfunc `name` is declared for in any of `decls`.
fn declared_prog_types<'a>(decls: &[&'a Declaration], name: &str) -> Option<&'a [ProgType]> {
    decls
        .iter()
        .find_map(|d| DeclaredKfunc::find(d, name))
        .map(|kf| kf.prog_types())
}

/// The ops type of the declaration, other than `own`, that keeps the kfunc
/// `name` for its own struct_ops programs.
fn kept_by_other_ops_type<'a>(
    decls: &[&'a Declaration],
    own: &Declaration,
    name: &str,
) -> Option<&'a str> {
    decls
        .iter()
        .filter(|d| !std::ptr::eq(**d, own))
        .find(|d| DeclaredKfunc::find(d, name).is_some_and(|kf| kf.kept_for_own_ops_type()))
        .map(|d| d.ops.name.as_str())
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The declaration's callback as the C type of a struct member.
fn expected_member_type(cb: &modless_decl::struct_ops::Callback) -> String {
    let params: Vec<String> = cb.proto.params.iter().map(|p| p.ty.to_string()).collect();
    let params = if params.is_empty() {
        "void".to_string()
    } else {
        params.join(", ")
    };
    format!("{} (*)({params})", cb.proto.ret)
}

fn prog_type_of(p: &ScannedProgram) -> Option<ProgType> {
    let kind = p.section.split('/').next().unwrap_or("");
    let kind = kind.trim_end_matches(".s");
    match kind {
        "struct_ops" => Some(ProgType::StructOps),
        "syscall" => Some(ProgType::Syscall),
        "fentry" | "fexit" | "fmod_ret" | "tp_btf" | "raw_tp" | "tp" | "tracepoint" | "lsm"
        | "perf_event" | "iter" | "fsession" => Some(ProgType::Tracing),
        _ => None,
    }
}

fn check(
    path: &Path,
    s: &Scanned,
    decls: &[&Declaration],
    btf: Option<&modless_btf::Btf>,
) -> LintReport {
    let mut problems = Vec::new();
    let mut uses: Vec<ProgramUse> = s
        .programs
        .iter()
        .map(|p| ProgramUse {
            name: p.name.clone(),
            section: p.section.clone(),
            ops: Vec::new(),
            sleepable: p.is_sleepable(),
            kfuncs: p.kfuncs.iter().cloned().collect(),
        })
        .collect();

    for map in &s.ops {
        // Which programs fill which member, whatever the table's type: a
        // wrong type is one problem, not one more per program.
        for (member, prog) in &map.members {
            if let Some(u) = uses.iter_mut().find(|u| &u.name == prog) {
                u.ops.push(format!("{}.{member}", map.map));
            }
        }
        // libbpf matches `struct x___flavor` to the kernel's `struct x`.
        let essential = essential_name(&map.type_name);
        let Some(decl) = decls.iter().find(|d| d.ops.name == essential) else {
            problems.push(LintProblem::WrongOpsType {
                map: map.map.clone(),
                found: essential.to_string(),
                expected: decls
                    .iter()
                    .map(|d| d.ops.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
            continue;
        };
        let ops = &decl.ops;
        let layout = btf.and_then(|b| b.find_struct(&map.type_name).ok());
        for cb in &ops.callbacks {
            if cb.required && !map.members.iter().any(|(m, _)| m == cb.name()) {
                problems.push(LintProblem::RequiredOpMissing {
                    map: map.map.clone(),
                    op: cb.name().to_string(),
                });
            }
        }
        for (member, prog) in &map.members {
            let Some(cb) = ops.callback(member) else {
                problems.push(LintProblem::OpNotInTable {
                    map: map.map.clone(),
                    member: member.clone(),
                    program: prog.clone(),
                });
                continue;
            };
            if let Some(found) = layout.as_ref().and_then(|l| l.member(member)) {
                let expected = expected_member_type(cb);
                if squash(&found.c_type) != squash(&expected) {
                    problems.push(LintProblem::WrongSignature {
                        map: map.map.clone(),
                        op: member.clone(),
                        expected,
                        found: found.c_type.clone(),
                    });
                }
            }
            let Some(p) = s.programs.iter().find(|p| &p.name == prog) else {
                continue;
            };
            if p.is_sleepable() && !cb.sleepable {
                problems.push(LintProblem::SleepableOnNonSleepableOp {
                    program: prog.clone(),
                    op: member.clone(),
                });
            }
            for k in &p.kfuncs {
                let Some(kf) = DeclaredKfunc::find(decl, k) else {
                    if let Some(owner) = kept_by_other_ops_type(decls, decl, k) {
                        problems.push(LintProblem::KfuncOfOtherOpsType {
                            program: prog.clone(),
                            ops_type: decl.ops.name.clone(),
                            kfunc: k.clone(),
                            owner: owner.to_string(),
                        });
                    }
                    continue;
                };
                if !kf.allowed_in_op(member) {
                    let allowed = match kf.scope() {
                        OpScope::Ops(o) => o.clone(),
                        OpScope::AnyOp => Vec::new(),
                    };
                    problems.push(LintProblem::KfuncNotAllowedInOp {
                        program: prog.clone(),
                        op: member.clone(),
                        kfunc: k.clone(),
                        allowed,
                    });
                }
            }
        }
    }

    for p in &s.programs {
        let used = uses.iter().any(|u| u.name == p.name && !u.ops.is_empty());
        if p.is_struct_ops() && !used {
            problems.push(LintProblem::UnusedOpProgram {
                program: p.name.clone(),
            });
        }
        let Some(pt) = prog_type_of(p) else { continue };
        for k in &p.kfuncs {
            if let Some(types) = declared_prog_types(decls, k) {
                if !types.contains(&pt) {
                    problems.push(LintProblem::KfuncWrongProgType {
                        program: p.name.clone(),
                        kfunc: k.clone(),
                        prog_type: pt.key(),
                    });
                }
            }
        }
        let mut parts = p.section.splitn(2, '/');
        let kind = parts.next().unwrap_or("").trim_end_matches(".s");
        let target = parts.next().unwrap_or("");
        if !matches!(kind, "fentry" | "fexit" | "fmod_ret") {
            continue;
        }
        let prefixes: Vec<String> = decls
            .iter()
            .map(|d| format!("{}_", d.subsystem.name))
            .collect();
        match decls
            .iter()
            .find_map(|d| d.hooks.iter().find(|h| h.name() == target))
        {
            Some(h) if kind == "fmod_ret" && !h.is_fmod_ret() => {
                problems.push(LintProblem::HookNotFmodRet {
                    program: p.name.clone(),
                    hook: target.to_string(),
                })
            }
            None if prefixes.iter().any(|p| target.starts_with(p)) => {
                problems.push(LintProblem::UnknownHook {
                    program: p.name.clone(),
                    target: target.to_string(),
                })
            }
            _ => {}
        }
    }
    LintReport {
        object: path.to_path_buf(),
        programs: uses,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{ScannedOps, ScannedProgram};

    const DECL: &str = r#"[subsystem]
name = "demo"

[ops]
name = "demo_ops"

[[ops.callback]]
fn = "int (*pick)(u32 n)"
default = "demo_default_pick"

[[ops.callback]]
fn = "void (*done)(u32 n)"

[[lint_kfunc]]
name = "bpf_demo_walk___v2"
prog_types = ["struct_ops"]
ops = ["pick"]

[[lint_kfunc]]
name = "bpf_demo_never"
prog_types = ["struct_ops"]
ops = []
"#;

    fn prog(name: &str, section: &str, kfuncs: &[&str]) -> ScannedProgram {
        ScannedProgram {
            name: name.into(),
            section: section.into(),
            kfuncs: kfuncs.iter().map(|k| k.to_string()).collect(),
        }
    }

    /// Before, kfuncs declared only for lint were never looked at.
    #[test]
    fn a_lint_only_kfunc_is_checked_like_any_other() {
        let decl = modless_decl::parse(DECL, "demo.toml").unwrap();
        decl.validate().unwrap();
        let walk = "bpf_demo_walk___v2";
        let s = Scanned {
            programs: vec![
                prog("ok_pick", "struct_ops/ok_pick", &[walk]),
                prog("bad_done", "struct_ops/bad_done", &[walk, "bpf_demo_never"]),
                prog("bad_sys", "syscall", &[walk]),
            ],
            ops: vec![ScannedOps {
                map: "m".into(),
                type_name: "demo_ops".into(),
                members: vec![
                    ("pick".into(), "ok_pick".into()),
                    ("done".into(), "bad_done".into()),
                ],
            }],
        };
        let r = check(Path::new("x.bpf.o"), &s, &[&decl], None);
        let text: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            text,
            [
                "program `bad_done` implements `done` and calls kfunc `bpf_demo_never`, \
                 which no op of this struct may call",
                "program `bad_done` implements `done` and calls kfunc `bpf_demo_walk___v2`, \
                 allowed only in: pick",
                "program `bad_sys` (syscall) calls kfunc `bpf_demo_walk___v2`, \
                 which is not registered for syscall programs",
            ]
        );
    }

    const OTHER: &str = r#"[subsystem]
name = "other"

[ops]
name = "other_ops"

[[ops.callback]]
fn = "void (*tick)(u32 n)"

[[kfunc]]
proto = "u32 bpf_other_peek(u32 n)"
prog_types = ["struct_ops", "syscall"]
"#;

    /// A kfunc of another subsystem's ops type, called from a program of
    /// this one, was "ok" although that subsystem's filter refuses it.
    #[test]
    fn a_kfunc_kept_for_another_ops_type_is_flagged() {
        let demo = modless_decl::parse(DECL, "demo.toml").unwrap();
        let other = modless_decl::parse(OTHER, "other.toml").unwrap();
        let s = Scanned {
            programs: vec![
                prog("pick", "struct_ops/pick", &["bpf_other_peek"]),
                prog("tick", "struct_ops/tick", &["bpf_other_peek"]),
                prog("sys", "syscall", &["bpf_other_peek"]),
            ],
            ops: vec![
                ScannedOps {
                    map: "d".into(),
                    type_name: "demo_ops".into(),
                    members: vec![("pick".into(), "pick".into())],
                },
                ScannedOps {
                    map: "o".into(),
                    type_name: "other_ops".into(),
                    members: vec![("tick".into(), "tick".into())],
                },
            ],
        };
        let r = check(Path::new("x.bpf.o"), &s, &[&demo, &other], None);
        let text: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            text,
            [
                "program `pick` implements an op of `struct demo_ops` and calls kfunc \
              `bpf_other_peek`, which only programs of `struct other_ops` may call"
            ]
        );
    }
}
