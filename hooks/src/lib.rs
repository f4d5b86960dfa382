//! BPF hook sites: global noinline functions a subsystem calls so BPF can
//! attach with fentry/fexit (observe) or fmod_ret (override the return
//! value within a declared range).
//!
//! ```text
//! [Hook] --validate/validate_set--> [(Span, HookError)]
//!        --emit--> hook functions, fmodret set, clamping wrappers, BPF macros
//! ```

pub mod emit;
mod model;
pub mod names;
mod validate;

pub use model::{Hook, HookKind, RetValue};
pub use validate::{validate, validate_set, HookError, MAX_ARGS};
