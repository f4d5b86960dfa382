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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_offsets_to_line_and_column() {
        let o = Origin::new("f.toml", "ab\ncde\n");
        assert_eq!(o.line_col(Span::new(0, 1)), Some((1, 1)));
        assert_eq!(o.line_col(Span::new(4, 5)), Some((2, 2)));
        assert_eq!(o.line_col(Span::UNKNOWN), None);
    }
}
