//! The TOML file as serde sees it; every value a user might get wrong
//! keeps its span.

use serde::Deserialize;
use toml::Spanned;

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub subsystem: S<RawSubsystem>,
    #[serde(default, rename = "struct")]
    pub structs: Vec<S<RawStruct>>,
    pub ops: S<RawOps>,
    #[serde(default, rename = "kfunc")]
    pub kfuncs: Vec<S<RawKfunc>>,
    #[serde(default, rename = "hook")]
    pub hooks: Vec<S<RawHook>>,
    #[serde(default, rename = "lint_kfunc")]
    pub lint_kfuncs: Vec<S<RawLintKfunc>>,
    /// `[compat]`: see `crate::compat`.
    pub compat: Option<crate::compat::RawCompat>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSubsystem {
    pub name: S<String>,
    pub doc: Option<String>,
    /// `[subsystem.in_tree]`: emit the glue as built-in kernel source.
    pub in_tree: Option<S<RawInTree>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInTree {
    pub dir: S<String>,
    pub config: S<String>,
    #[serde(default)]
    pub depends_on: Vec<S<String>>,
    #[serde(default)]
    pub includes: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStruct {
    pub name: S<String>,
    pub doc: Option<String>,
    pub fields: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOps {
    pub name: S<String>,
    pub doc: Option<String>,
    pub instances: Option<S<String>>,
    #[serde(default)]
    pub writes: Vec<S<String>>,
    #[serde(default, rename = "callback")]
    pub callbacks: Vec<S<RawCallback>>,
    #[serde(default)]
    pub data: Vec<S<RawData>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCallback {
    #[serde(rename = "fn")]
    pub proto: S<String>,
    #[serde(default)]
    pub required: bool,
    pub default: Option<String>,
    #[serde(default)]
    pub sleepable: bool,
    #[serde(default)]
    pub hot: bool,
    #[serde(default)]
    pub exit: bool,
    pub if_missing: Option<S<String>>,
    /// `{ enum, values, fallback }`: the op's named answers.
    pub verdict: Option<S<RawVerdict>>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVerdict {
    #[serde(rename = "enum")]
    pub name: Option<String>,
    pub values: Vec<String>,
    pub fallback: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawData {
    pub field: S<String>,
    pub kind: S<String>,
    pub if_missing: Option<S<String>>,
    #[serde(default)]
    pub flags: Vec<RawFlag>,
    pub max: Option<u64>,
    /// `kind = "name"`: stored when the policy leaves the member empty.
    pub default: Option<String>,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlag {
    pub name: String,
    pub bit: u32,
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKfunc {
    pub proto: S<String>,
    #[serde(default)]
    pub flags: Vec<S<String>>,
    #[serde(default)]
    pub prog_types: Vec<S<String>>,
    pub ops: Option<Vec<S<String>>>,
    /// `"*"` or a list of ops whose programs may not call it.
    pub deny_ops: Option<S<RawDeny>>,
    pub doc: Option<String>,
    #[serde(default)]
    pub doc_args: toml::Table,
    pub doc_return: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawDeny {
    All(String),
    Ops(Vec<String>),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum IntOrStr {
    Int(i64),
    Str(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHook {
    pub proto: S<String>,
    pub attach: S<String>,
    pub ret_range: Option<S<Vec<IntOrStr>>>,
    pub default: Option<S<IntOrStr>>,
    #[serde(default)]
    pub sleepable: bool,
    #[serde(default)]
    pub error_injection: bool,
    pub doc: Option<String>,
}

/// `[[lint_kfunc]]`: a kernel kfunc declared by name, for lint only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLintKfunc {
    pub name: S<String>,
    #[serde(default)]
    pub flags: Vec<S<String>>,
    #[serde(default)]
    pub prog_types: Vec<S<String>>,
    pub ops: Option<Vec<S<String>>>,
}
