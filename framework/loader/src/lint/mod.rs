//! `modless lint`: which op each program of an object implements and which
//! kfuncs it calls, checked against the declaration without a kernel.

mod rules;
mod scan;

pub use rules::{lint, lint_all, LintProblem, LintReport, ProgramUse};
pub use scan::{scan, ScanError, Scanned, ScannedOps, ScannedProgram};
