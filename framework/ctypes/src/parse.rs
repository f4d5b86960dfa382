//! A small recursive-descent parser for the C subset a declaration uses.

use thiserror::Error;

use crate::ident::{check_ident, IdentError};
use crate::types::{CType, Decl, FuncProto, Scalar};

/// A parse failure; `offset` is the byte offset inside the parsed string.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind}")]
pub struct ParseError {
    pub offset: usize,
    pub len: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    #[error("expected {expected}, found {found}")]
    Unexpected {
        expected: &'static str,
        found: String,
    },
    #[error("unknown type `{0}`: use u8..u64, s8..s64, int, long, bool, char, size_t, void or `struct <tag>`")]
    UnknownType(String),
    #[error("variadic functions (`...`) cannot be called from BPF; use fixed parameters")]
    Varargs,
    #[error("parameter {0} has no name; name every parameter (the verifier reads suffixes like `__ref` from it)")]
    MissingParamName(usize),
    #[error("`void` is only valid as a return type, a pointer target or `(void)`")]
    VoidValue,
    #[error("bad array length `{0}`: use a positive decimal number")]
    BadArrayLen(String),
    #[error("arrays are only supported as struct fields and data members")]
    ArrayNotAllowed,
    #[error("bad identifier: {0}")]
    Ident(IdentError),
    #[error("unexpected `{0}` after the end of the declaration")]
    Trailing(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Num(String),
    Punct(&'static str),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) | Tok::Num(w) => format!("`{w}`"),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::End => "end of input".into(),
        }
    }
}

struct Parser {
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    input_len: usize,
}

fn lex(s: &str) -> Result<Vec<(Tok, usize, usize)>, ParseError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let st = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Word(s[st..i].to_string()), st, i - st));
        } else if c.is_ascii_digit() {
            let st = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            out.push((Tok::Num(s[st..i].to_string()), st, i - st));
        } else if s[i..].starts_with("...") {
            out.push((Tok::Punct("..."), i, 3));
            i += 3;
        } else {
            let p = match c {
                b'*' => "*",
                b'(' => "(",
                b')' => ")",
                b'[' => "[",
                b']' => "]",
                b',' => ",",
                _ => {
                    let ch = s[i..].chars().next().unwrap_or('?');
                    return Err(ParseError {
                        offset: i,
                        len: ch.len_utf8(),
                        kind: ParseErrorKind::Unexpected {
                            expected: "a C declaration",
                            found: format!("`{ch}`"),
                        },
                    });
                }
            };
            out.push((Tok::Punct(p), i, 1));
            i += 1;
        }
    }
    Ok(out)
}

impl Parser {
    fn new(s: &str) -> Result<Self, ParseError> {
        Ok(Parser {
            toks: lex(s)?,
            pos: 0,
            input_len: s.len(),
        })
    }

    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map(|t| &t.0).unwrap_or(&Tok::End)
    }

    fn here(&self) -> (usize, usize) {
        self.toks
            .get(self.pos)
            .map(|t| (t.1, t.2))
            .unwrap_or((self.input_len, 0))
    }

    fn err(&self, kind: ParseErrorKind) -> ParseError {
        let (offset, len) = self.here();
        ParseError { offset, len, kind }
    }

    fn unexpected(&self, expected: &'static str) -> ParseError {
        self.err(ParseErrorKind::Unexpected {
            expected,
            found: self.peek().describe(),
        })
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Tok::Punct(q) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, p: &'static str, expected: &'static str) -> Result<(), ParseError> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Tok::Word(x) if x == w) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self, expected: &'static str) -> Result<String, ParseError> {
        match self.peek().clone() {
            Tok::Word(w) => {
                check_ident(&w).map_err(|e| self.err(ParseErrorKind::Ident(e)))?;
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    /// `const`? base-type `const`? `*`...
    fn type_spec(&mut self) -> Result<CType, ParseError> {
        let mut is_const = self.eat_word("const");
        let start = self.here();
        let base = if self.eat_word("struct") {
            CType::Struct(self.ident("a struct tag")?)
        } else if self.eat_word("void") {
            CType::Void
        } else {
            let mut words: Vec<String> = Vec::new();
            while let Tok::Word(w) = self.peek() {
                let w = w.clone();
                if matches!(w.as_str(), "unsigned" | "signed" | "long" | "int") {
                    words.push(w);
                    self.pos += 1;
                } else if words.is_empty() && Scalar::from_words(&[w.as_str()]).is_some() {
                    words.push(w);
                    self.pos += 1;
                    break;
                } else {
                    break;
                }
            }
            if words.is_empty() {
                return match self.peek().clone() {
                    Tok::Word(w) => Err(ParseError {
                        offset: start.0,
                        len: start.1,
                        kind: ParseErrorKind::UnknownType(w),
                    }),
                    _ => Err(self.unexpected("a type")),
                };
            }
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            match Scalar::from_words(&refs) {
                Some(s) => CType::Scalar(s),
                None => {
                    return Err(ParseError {
                        offset: start.0,
                        len: start.1,
                        kind: ParseErrorKind::UnknownType(words.join(" ")),
                    })
                }
            }
        };
        is_const |= self.eat_word("const");
        let mut ty = base;
        let mut first = true;
        while self.eat_punct("*") {
            ty = CType::Ptr {
                to: Box::new(ty),
                is_const: first && is_const,
            };
            first = false;
            self.eat_word("const");
        }
        Ok(ty)
    }

    fn params(&mut self) -> Result<Vec<Decl>, ParseError> {
        self.expect_punct("(", "`(`")?;
        let mut params = Vec::new();
        if matches!(self.peek(), Tok::Word(w) if w == "void")
            && matches!(
                self.toks.get(self.pos + 1).map(|t| &t.0),
                Some(Tok::Punct(")"))
            )
        {
            self.pos += 2;
            return Ok(params);
        }
        if self.eat_punct(")") {
            return Ok(params);
        }
        loop {
            if matches!(self.peek(), Tok::Punct("...")) {
                return Err(self.err(ParseErrorKind::Varargs));
            }
            let ty_at = self.here();
            let ty = self.type_spec()?;
            if ty.is_void() {
                return Err(ParseError {
                    offset: ty_at.0,
                    len: ty_at.1,
                    kind: ParseErrorKind::VoidValue,
                });
            }
            if !matches!(self.peek(), Tok::Word(_)) {
                return Err(self.err(ParseErrorKind::MissingParamName(params.len() + 1)));
            }
            let name = self.ident("a parameter name")?;
            if matches!(self.peek(), Tok::Punct("[")) {
                return Err(self.err(ParseErrorKind::ArrayNotAllowed));
            }
            params.push(Decl { ty, name });
            if self.eat_punct(")") {
                return Ok(params);
            }
            self.expect_punct(",", "`,` or `)`")?;
        }
    }

    fn finish(&self) -> Result<(), ParseError> {
        match self.peek() {
            Tok::End => Ok(()),
            t => Err(self.err(ParseErrorKind::Trailing(
                t.describe().trim_matches('`').into(),
            ))),
        }
    }
}

/// Parses a bare type such as `struct jobd_job *` or `u32`.
pub fn parse_type(s: &str) -> Result<CType, ParseError> {
    let mut p = Parser::new(s)?;
    let ty = p.type_spec()?;
    p.finish()?;
    Ok(ty)
}

/// Parses `type name` or `type name[N]` (a struct field or data member).
pub fn parse_decl(s: &str) -> Result<Decl, ParseError> {
    let mut p = Parser::new(s)?;
    let ty_at = p.here();
    let mut ty = p.type_spec()?;
    if ty.is_void() {
        return Err(ParseError {
            offset: ty_at.0,
            len: ty_at.1,
            kind: ParseErrorKind::VoidValue,
        });
    }
    let name = p.ident("a name")?;
    if p.eat_punct("[") {
        let len = match p.peek().clone() {
            Tok::Num(n) => match n.parse::<usize>() {
                Ok(v) if v > 0 => v,
                _ => return Err(p.err(ParseErrorKind::BadArrayLen(n))),
            },
            t => return Err(p.err(ParseErrorKind::BadArrayLen(t.describe()))),
        };
        p.pos += 1;
        p.expect_punct("]", "`]`")?;
        ty = CType::Array {
            of: Box::new(ty),
            len,
        };
    }
    p.finish()?;
    Ok(Decl { ty, name })
}

/// Parses `ret name(params)`.
pub fn parse_prototype(s: &str) -> Result<FuncProto, ParseError> {
    let mut p = Parser::new(s)?;
    let ret = p.type_spec()?;
    let name = p.ident("a function name")?;
    let params = p.params()?;
    p.finish()?;
    Ok(FuncProto { ret, name, params })
}

/// Parses a function-pointer member `ret (*name)(params)`.
pub fn parse_fn_ptr(s: &str) -> Result<FuncProto, ParseError> {
    let mut p = Parser::new(s)?;
    let ret = p.type_spec()?;
    p.expect_punct("(", "`(*name)`")?;
    p.expect_punct("*", "`*` of `(*name)`")?;
    let name = p.ident("the member name")?;
    p.expect_punct(")", "`)` after the member name")?;
    let params = p.params()?;
    p.finish()?;
    Ok(FuncProto { ret, name, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fn_ptr_member() {
        let f = parse_fn_ptr("int (*select_domain)(struct jobd_job *job__ref, u32 nr_domains)")
            .unwrap();
        assert_eq!(f.name, "select_domain");
        assert_eq!(f.ret, CType::Scalar(Scalar::Int));
        assert_eq!(
            f.params[0],
            Decl::new(CType::struct_ptr("jobd_job"), "job__ref")
        );
        assert_eq!(
            f.params[1],
            Decl::new(CType::Scalar(Scalar::U32), "nr_domains")
        );
        assert_eq!(
            f.render_fn_ptr(),
            "int (*select_domain)(struct jobd_job *job__ref, u32 nr_domains)"
        );
    }

    #[test]
    fn parses_prototype_with_pointer_return() {
        let f = parse_prototype("struct jobd_job *bpf_jobd_job_acquire(u64 id)").unwrap();
        assert_eq!(f.ret, CType::struct_ptr("jobd_job"));
        assert_eq!(
            f.to_string(),
            "struct jobd_job *bpf_jobd_job_acquire(u64 id)"
        );
        let v = parse_prototype("void f(void)").unwrap();
        assert!(v.params.is_empty());
        let u = parse_prototype("unsigned long g(const char *s, unsigned int n)").unwrap();
        assert_eq!(u.ret, CType::Scalar(Scalar::ULong));
        assert_eq!(u.params[0].ty.to_string(), "const char *");
    }

    #[test]
    fn parses_decls() {
        let d = parse_decl("char name[16]").unwrap();
        assert_eq!(d.ty.size(), Some(16));
        assert_eq!(d.to_string(), "char name[16]");
        assert_eq!(
            parse_decl("u64 flags").unwrap().ty,
            CType::Scalar(Scalar::U64)
        );
    }

    #[test]
    fn reports_varargs_with_position() {
        let e = parse_prototype("int f(int a, ...)").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Varargs);
        assert_eq!(e.offset, 13);
    }

    #[test]
    fn reports_unknown_type_and_missing_name() {
        let e = parse_prototype("float f(int a)").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::UnknownType("float".into()));
        assert_eq!(e.offset, 0);
        let e = parse_prototype("int f(int)").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::MissingParamName(1));
        let e = parse_decl("char name[0]").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::BadArrayLen("0".into()));
        let e = parse_prototype("int f(int a) x").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Trailing("x".into()));
        let e = parse_decl("void x").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::VoidValue);
    }
}
