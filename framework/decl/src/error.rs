use std::fmt;

use modless_ctypes::{IdentError, ParseError, Span, StructError};
use modless_hooks::HookError;
use modless_kfuncs::KfuncError;
use modless_struct_ops::OpsError;
use thiserror::Error;

use crate::location::{Lines, Origin};

/// One problem in a declaration, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct DeclError {
    pub file: String,
    /// 1-based; `None` for declarations built in Rust.
    pub line_col: Option<(usize, usize)>,
    pub kind: DeclErrorKind,
}

impl fmt::Display for DeclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((l, c)) => write!(f, "{}:{l}:{c}: error: {}", self.file, self.kind),
            None => write!(f, "{}: error: {}", self.file, self.kind),
        }
    }
}

impl DeclError {
    pub fn at(origin: &Origin, span: Span, kind: DeclErrorKind) -> Self {
        DeclError {
            file: origin.file.clone(),
            line_col: origin.line_col(span),
            kind,
        }
    }

    pub(crate) fn located(lines: &Lines, span: Span, kind: DeclErrorKind) -> Self {
        DeclError {
            file: lines.origin.file.clone(),
            line_col: lines.line_col(span),
            kind,
        }
    }

    pub fn line(&self) -> Option<usize> {
        self.line_col.map(|(l, _)| l)
    }
}

/// What is wrong; each message names the item and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DeclErrorKind {
    #[error("cannot read declaration: {0}")]
    Io(String),
    #[error("{0}")]
    Toml(String),
    #[error("in {item}: {err}")]
    CSyntax { item: String, err: ParseError },
    #[error("{0}")]
    Struct(#[from] StructError),
    #[error("{0}")]
    Ops(#[from] OpsError),
    #[error("{0}")]
    Kfunc(#[from] KfuncError),
    #[error("{0}")]
    Hook(#[from] HookError),
    #[error("subsystem name `{name}`: {err}")]
    SubsystemName { name: String, err: IdentError },
    #[error("subsystem name `{name}` must be lower case (it prefixes every generated C name)")]
    SubsystemCase { name: String },
    #[error("{item}: `{value}` is not a valid {key}; use one of: {expected}")]
    BadValue {
        item: String,
        key: &'static str,
        value: String,
        expected: String,
    },
    #[error("kfunc `{kfunc}` is allowed in op `{op}`, but ops `{ops}` has no callback `{op}`; fix the name or add the callback")]
    UnknownOp {
        kfunc: String,
        op: String,
        ops: String,
    },
    #[error("kfunc `{kfunc}` is denied in op `{op}`, but ops `{ops}` has no callback `{op}`; fix the name or add the callback")]
    UnknownDenyOp {
        kfunc: String,
        op: String,
        ops: String,
    },
    #[error("kfunc `{kfunc}`: `deny_ops` needs [subsystem.in_tree]: an out-of-tree module's kfunc filter cannot tell its kfuncs apart for programs of other types (module BTF ids shift at load, and only this type's programs reveal the shift); build the glue in-tree or drop `deny_ops`")]
    DenyNeedsInTree { kfunc: String },
    #[error("kfunc `{kfunc}` is sleepable but op `{op}` is not; mark `{op}` `sleepable = true` or remove it from the kfunc's `ops`")]
    SleepableKfuncInAtomicOp { kfunc: String, op: String },
    #[error("kfunc `{kfunc}` is sleepable and allowed in every op, but no op is sleepable; list sleepable ops in its `ops` or drop KF_SLEEPABLE")]
    SleepableKfuncNoSleepableOp { kfunc: String },
    #[error("write rule `{rule}` must be `<struct>.<field>`, e.g. \"jobd_job.prio\"")]
    WriteSyntax { rule: String },
    #[error("write rule `{rule}` names struct `{strukt}`, which is not declared in [[struct]]; BPF may only write fields of the subsystem's own structs")]
    WriteUnknownStruct { rule: String, strukt: String },
    #[error("write rule `{rule}`: struct `{strukt}` has no field `{field}`")]
    WriteUnknownField {
        rule: String,
        strukt: String,
        field: String,
    },
    #[error(
        "generated name `{name}` would be defined by both {first} and {second}; rename one of them"
    )]
    NameCollision {
        name: String,
        first: String,
        second: String,
    },
    #[error("{role} `{name}` is {why}; rename it")]
    Reserved {
        role: String,
        name: String,
        why: &'static str,
    },
    #[error("parameter `{param}` of {func} is also {what}, which the generated code refers to; rename the parameter")]
    ParamShadows {
        param: String,
        func: String,
        what: String,
    },
    #[error("parameter `{param}` of op `{op}` is a local variable of the generated call function `{call}`; rename the parameter")]
    ParamIsGlueLocal {
        param: String,
        op: String,
        call: String,
    },
    #[error("{func} declares parameter `{param}` twice (annotation suffixes such as __ref are not part of the name); rename one")]
    DuplicateParam { func: String, param: String },
    #[error("ops callbacks `{first}` and `{second}` share default `{default}` but their prototypes differ; give each its own default")]
    SharedDefaultSignature {
        default: String,
        first: String,
        second: String,
    },
    #[error("the doc of {item} contains `{seq}`, which would end or nest the generated C comment; reword it")]
    DocCommentMarker { item: String, seq: &'static str },
    #[error("the doc of {item} contains a control character (U+{code:04X}); use plain text")]
    DocControl { item: String, code: u32 },
    #[error("subsystem name `{name}` is {len} characters; at most {max} are allowed (it names the module, and MODULE_NAME_LEN is 56 with the NUL)")]
    SubsystemTooLong {
        name: String,
        len: usize,
        max: usize,
    },
    #[error("generated name `{name}` ({what}) is {len} characters; at most {max} are allowed (resolve_btfids and BTF keep names in KSYM_NAME_LEN = 512 bytes with a suffix); shorten it")]
    SymbolTooLong {
        name: String,
        what: String,
        len: usize,
        max: usize,
    },
    #[error("{role} `{name}` cannot be a Rust field: it is {why}; rename it")]
    RustFieldName {
        role: String,
        name: String,
        why: &'static str,
    },
    #[error("flag `{flag}` must be upper case and start with `{prefix}` (it becomes a C macro and a Rust constant), e.g. `{prefix}{suggest}`")]
    FlagName {
        flag: String,
        prefix: String,
        suggest: String,
    },
    #[error("verdict `{value}` must be upper case and start with `{prefix}` (it becomes a C enumerator in both headers), e.g. `{prefix}{suggest}`")]
    VerdictValueName {
        value: String,
        prefix: String,
        suggest: String,
    },
    #[error("{item} is an array of {len} elements; at most {max} are allowed (shared structs and ops tables are copied whole); make it smaller")]
    ArrayTooLarge {
        item: String,
        len: usize,
        max: usize,
    },
    #[error("{item}: `ret_range` has {count} values; give exactly two, e.g. ret_range = [\"-EPERM\", 0]")]
    RetRangeLen { item: String, count: usize },
    #[error("exit op `{op}` takes `struct {given} *`; the glue passes `struct {want} *`, declare it `void (*{op})(struct {want} *info)`")]
    ExitInfoType {
        op: String,
        given: String,
        want: String,
    },
    #[error("in_tree.dir `{dir}` must be a directory of the kernel tree, relative, of [A-Za-z0-9_-] components separated by `/`, e.g. \"mm\"")]
    InTreeDir { dir: String },
    #[error("in_tree.{key} `{symbol}` is not a Kconfig symbol; write it upper case without `CONFIG_`, e.g. \"{suggest}\"")]
    InTreeSymbol {
        key: &'static str,
        symbol: String,
        suggest: String,
    },
    #[error("in_tree.includes `{include}` is not a kernel header; write it as between the <> of #include, e.g. \"linux/oom.h\"")]
    InTreeInclude { include: String },
    #[error("hook `{hook}`: hook sites are not generated in-tree yet (their functions would be missing when CONFIG_{config} is off); call a hand-written noinline function instead, or drop [subsystem.in_tree]")]
    InTreeHook { hook: String, config: String },
    #[error("kfunc `{kfunc}` has flag {flag}, which Linux {since} removed ({instead}), and the target kernel is {release}; remove {flag} from its `flags`")]
    FlagRemoved {
        kfunc: String,
        flag: &'static str,
        since: String,
        instead: &'static str,
        release: String,
    },
    #[error("compat {item}: {why}")]
    Compat { item: String, why: String },
    #[error("{what} `{name}` already exists in the target kernel's BTF; module {what}s must be globally unique, rename it")]
    KernelNameClash { what: &'static str, name: String },
}

/// All errors of one declaration, printable one per line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct DeclErrors(pub Vec<DeclError>);

impl fmt::Display for DeclErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
