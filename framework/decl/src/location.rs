use modless_ctypes::Span;

/// Where a declaration came from, to turn spans into `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The name errors and the generated banner use (e.g. `jobd.toml`).
    pub file: String,
    /// The source text; empty for declarations built in Rust.
    pub text: String,
}

impl Origin {
    pub fn new(file: &str, text: &str) -> Self {
        Origin {
            file: file.to_string(),
            text: text.to_string(),
        }
    }

    /// 1-based line and column (in characters) of a span's start.
    pub fn line_col(&self, span: Span) -> Option<(usize, usize)> {
        if !span.is_known() || span.start > self.text.len() {
            return None;
        }
        let before = self.text.get(..span.start)?;
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        Some((line, col))
    }
}

/// Line starts of an [`Origin`], so locating many errors stays linear.
pub(crate) struct Lines<'a> {
    pub origin: &'a Origin,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(origin: &'a Origin) -> Self {
        let starts = std::iter::once(0)
            .chain(origin.text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { origin, starts }
    }

    /// [`Origin::line_col`] in O(log lines + line length).
    pub fn line_col(&self, span: Span) -> Option<(usize, usize)> {
        let text = &self.origin.text;
        if !span.is_known() || span.start > text.len() || !text.is_char_boundary(span.start) {
            return None;
        }
        let line = self.starts.partition_point(|s| *s <= span.start);
        let start = self.starts[line - 1];
        Some((line, text[start..span.start].chars().count() + 1))
    }
}

/// The span of `len` bytes at byte `offset` of the *decoded* value of the
/// TOML string whose source token is at `span`: escapes, quote styles and
/// line-ending backslashes are walked so the column lands on the source
/// character.
pub(crate) fn inside_string(text: &str, span: Span, offset: usize, len: usize) -> Span {
    let Some(token) = span
        .is_known()
        .then(|| text.get(span.start..span.end))
        .flatten()
    else {
        return span;
    };
    let start = span.start + raw_offset(token, offset);
    let end = span.start + raw_offset(token, offset + len.max(1));
    Span::new(
        start.min(span.end),
        end.clamp(start.min(span.end), span.end),
    )
}

/// Byte offset in `token` (a TOML string with its quotes) of decoded byte `want`.
fn raw_offset(token: &str, want: usize) -> usize {
    let (quote, literal) = if token.starts_with("\"\"\"") {
        (3, false)
    } else if token.starts_with("'''") {
        (3, true)
    } else if token.starts_with('\'') {
        (1, true)
    } else {
        (1, false)
    };
    let b = token.as_bytes();
    let mut i = quote.min(b.len());
    // a newline right after the opening delimiter is not part of the value
    if quote == 3 {
        if b.get(i) == Some(&b'\r') {
            i += 1;
        }
        if b.get(i) == Some(&b'\n') {
            i += 1;
        }
    }
    let body_end = b.len().saturating_sub(quote).max(i);
    let mut decoded = 0;
    while i < body_end {
        let continuation =
            !literal && b[i] == b'\\' && b.get(i + 1).is_some_and(|c| c.is_ascii_whitespace());
        if decoded >= want && !continuation {
            break;
        }
        if literal || b[i] != b'\\' {
            let ch = token
                .get(i..)
                .and_then(|t| t.chars().next())
                .map_or(1, char::len_utf8);
            i += ch;
            decoded += ch;
            continue;
        }
        let (skip, digits) = match b.get(i + 1) {
            Some(b'u') => (6, 4),
            Some(b'U') => (10, 8),
            Some(b'x') => (4, 2),
            Some(c) if c.is_ascii_whitespace() => {
                // line-ending backslash: the newline and leading blanks go
                i += 1;
                while i < body_end && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                continue;
            }
            _ => (2, 0),
        };
        decoded += if digits == 0 {
            1
        } else {
            token
                .get(i + 2..i + 2 + digits)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
                .map_or(1, char::len_utf8)
        };
        i += skip;
    }
    i.min(token.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_offsets_map_back_through_escapes() {
        // value a<TAB>bc: 'c' is decoded byte 3, source byte 5
        assert_eq!(raw_offset(r#""a\tbc""#, 3), 5);
        assert_eq!(raw_offset(r#""\u00e9x""#, 2), 7);
        assert_eq!(raw_offset(r"'a\tb'", 3), 4);
        assert_eq!(raw_offset("\"\"\"\nab\"\"\"", 1), 5);
        assert_eq!(raw_offset("\"\"\"a\\\n   b\"\"\"", 1), 9);
    }

    #[test]
    fn line_index_agrees_with_origin() {
        let o = Origin::new("f.toml", "ab\ncdé\nx");
        let l = Lines::new(&o);
        for i in [0, 1, 3, 4, 5, 9] {
            let s = Span::new(i, i + 1);
            assert_eq!(l.line_col(s), o.line_col(s), "{i}");
        }
    }

    #[test]
    fn maps_offsets_to_line_and_column() {
        let o = Origin::new("f.toml", "ab\ncde\n");
        assert_eq!(o.line_col(Span::new(0, 1)), Some((1, 1)));
        assert_eq!(o.line_col(Span::new(4, 5)), Some((2, 2)));
        assert_eq!(o.line_col(Span::UNKNOWN), None);
    }
}
