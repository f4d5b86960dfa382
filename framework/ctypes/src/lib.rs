//! C types and function prototypes as a modless declaration spells them.
//!
//! ```text
//! "u32 (*select_domain)(struct jobd_job *job, u32 nr_domains)"
//!        --parse_fn_ptr-->  FuncProto { ret: u32, name, params }
//! "char name[16]"  --parse_decl-->  Decl { ty: char[16], name }
//! ```
//!
//! The bottom of the modless crate graph: it knows kernel scalar types,
//! their sizes, identifier rules and how to print a type back as C. It knows
//! nothing about BPF.

pub mod cfmt;
mod ident;
mod layout;
mod parse;
mod span;
mod types;

pub use ident::{check_ident, is_c_keyword, IdentError};
pub use layout::{StructDef, StructError};
pub use parse::{
    parse_decl, parse_fn_ptr, parse_prototype, parse_type, ParseError, ParseErrorKind,
};
pub use span::Span;
pub use types::{CType, Decl, FuncProto, Param, Scalar};
