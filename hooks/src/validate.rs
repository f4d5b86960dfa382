//! Rules for hook sites (verifier.c:20111-20459, btf.c:7614-7676).

use modless_ctypes::{check_ident, CType, IdentError, Span};
use thiserror::Error;

use crate::model::{Hook, HookKind};

pub const MAX_ARGS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HookError {
    #[error("hook name `{name}`: {err}")]
    Name { name: String, err: IdentError },
    #[error("hook `{name}` is declared twice; hook names must be unique")]
    Duplicate { name: String },
    #[error("hook `{name}` takes {count} arguments; at most {MAX_ARGS} are allowed")]
    TooManyArgs { name: String, count: usize },
    #[error("hook `{name}` passes a struct by value (`{what}`); use a pointer")]
    StructByValue { name: String, what: String },
    #[error("hook `{name}` is fentry-only but returns `{ty}`; nothing can change that value, so declare it `void` or make it `fmod_ret`")]
    FentryReturnsValue { name: String, ty: String },
    #[error("hook `{name}` is fmod_ret but returns `{ty}`; fmod_ret hooks must return an integer")]
    FmodRetNotInteger { name: String, ty: String },
    #[error("hook `{name}` return range [{min}, {max}] is empty; min must not exceed max")]
    EmptyRange { name: String, min: i128, max: i128 },
    #[error("hook `{name}` return range bound {value} does not fit `{ty}`")]
    RangeOutsideType {
        name: String,
        value: i128,
        ty: String,
    },
    #[error("hook `{name}` default return {value} is outside its range [{min}, {max}]; change one of them")]
    DefaultOutsideRange {
        name: String,
        value: i128,
        min: i128,
        max: i128,
    },
}

pub fn validate(h: &Hook) -> Vec<(Span, HookError)> {
    let mut errs = Vec::new();
    let name = h.name().to_string();
    let mut push = |e| errs.push((h.span, e));
    if let Err(err) = check_ident(&name) {
        push(HookError::Name {
            name: name.clone(),
            err,
        });
    }
    if h.proto.params.len() > MAX_ARGS {
        push(HookError::TooManyArgs {
            name: name.clone(),
            count: h.proto.params.len(),
        });
    }
    for a in &h.proto.params {
        if matches!(a.ty, CType::Struct(_)) {
            push(HookError::StructByValue {
                name: name.clone(),
                what: a.to_string(),
            });
        }
    }
    let ty = h.proto.ret.to_string();
    match &h.kind {
        HookKind::FentryOnly => {
            if !h.proto.ret.is_void() {
                push(HookError::FentryReturnsValue { name, ty });
            }
        }
        HookKind::FmodRet {
            min, max, default, ..
        } => {
            let Some(s) = h.proto.ret.scalar().filter(|s| s.is_integer()) else {
                push(HookError::FmodRetNotInteger { name, ty });
                return errs;
            };
            let (lo, hi) = s.range();
            for v in [min.value, max.value] {
                if v < lo || v > hi {
                    push(HookError::RangeOutsideType {
                        name: name.clone(),
                        value: v,
                        ty: ty.clone(),
                    });
                }
            }
            if min.value > max.value {
                push(HookError::EmptyRange {
                    name: name.clone(),
                    min: min.value,
                    max: max.value,
                });
            } else if default.value < min.value || default.value > max.value {
                push(HookError::DefaultOutsideRange {
                    name,
                    value: default.value,
                    min: min.value,
                    max: max.value,
                });
            }
        }
    }
    errs
}

pub fn validate_set(hooks: &[Hook]) -> Vec<(Span, HookError)> {
    let mut seen = std::collections::HashSet::new();
    hooks
        .iter()
        .filter(|h| !seen.insert(h.name()))
        .map(|h| {
            (
                h.span,
                HookError::Duplicate {
                    name: h.name().into(),
                },
            )
        })
        .collect()
}
