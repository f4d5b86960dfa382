use std::fmt;

use modless_ctypes::{IdentError, ParseError, Span, StructError};
use modless_hooks::HookError;
use modless_kfuncs::KfuncError;
use modless_struct_ops::OpsError;
use thiserror::Error;

use crate::location::Origin;

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
    #[error("name `{name}` is used by both {first} and {second}; C names must be unique")]
    NameCollision {
        name: String,
        first: String,
        second: String,
    },
    #[error("exit op `{op}` takes `struct {given} *`; the glue passes `struct {want} *`, declare it `void (*{op})(struct {want} *info)`")]
    ExitInfoType {
        op: String,
        given: String,
        want: String,
    },
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
