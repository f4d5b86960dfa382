use thiserror::Error;

/// Why a string is not usable as a C identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdentError {
    #[error("identifier is empty")]
    Empty,
    #[error("`{0}` is not a C identifier: use letters, digits and `_`, not starting with a digit")]
    BadChar(String),
    #[error("`{0}` is a C keyword or kernel type name")]
    Keyword(String),
}

const C_KEYWORDS: &[&str] = &[
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "bool", "true", "false", "u8", "u16", "u32",
    "u64", "s8", "s16", "s32", "s64", "size_t", "_Bool", "typeof", "asm",
];

/// True for C keywords and the kernel scalar type names.
pub fn is_c_keyword(s: &str) -> bool {
    C_KEYWORDS.contains(&s)
}

/// Checks `s` is a C identifier that is not a keyword.
pub fn check_ident(s: &str) -> Result<(), IdentError> {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return Err(IdentError::Empty);
    };
    let ok_first = first.is_ascii_alphabetic() || first == '_';
    if !ok_first || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(IdentError::BadChar(s.to_string()));
    }
    if is_c_keyword(s) {
        return Err(IdentError::Keyword(s.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kernel_style_names() {
        assert_eq!(check_ident("jobd_ops"), Ok(()));
        assert_eq!(check_ident("_x9"), Ok(()));
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(check_ident(""), Err(IdentError::Empty));
        assert_eq!(
            check_ident("9lives"),
            Err(IdentError::BadChar("9lives".into()))
        );
        assert_eq!(check_ident("a-b"), Err(IdentError::BadChar("a-b".into())));
        assert_eq!(check_ident("u32"), Err(IdentError::Keyword("u32".into())));
        assert_eq!(
            check_ident("struct"),
            Err(IdentError::Keyword("struct".into()))
        );
    }
}
