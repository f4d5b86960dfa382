//! kfunc sets: the model of a kfunc (flags, argument annotations, which
//! program types and ops may call it), its rules, and the C it turns into.
//!
//! ```text
//! [Kfunc] --validate/validate_set--> [(Span, KfuncError)]
//!         --emit--> prototypes, BTF_KFUNCS sets + filter, ksym externs
//! [LintKfunc] --validate_lint_only--> (for lint only; nothing is emitted)
//! ```

pub mod emit;
mod lint_only;
mod model;
pub mod names;
mod validate;

pub use lint_only::{validate_lint_only, LintKfunc};
pub use model::{Deny, KfFlag, Kfunc, KfuncDoc, OpScope, ProgType};
pub use validate::{arg_suffix, validate, validate_set, KfuncError, ARG_SUFFIXES, MAX_ARGS};
