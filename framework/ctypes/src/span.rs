/// A byte range in the declaration source.
///
/// Items built from Rust (not parsed from a file) carry [`Span::UNKNOWN`];
/// error reports then name the item without a line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const UNKNOWN: Span = Span {
        start: usize::MAX,
        end: usize::MAX,
    };

    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn is_known(&self) -> bool {
        self.start != usize::MAX
    }

    /// The span of `len` bytes at `offset` inside a quoted string literal
    /// whose own span is `self` (the quote is one byte).
    pub fn inside_string(&self, offset: usize, len: usize) -> Span {
        if !self.is_known() {
            return *self;
        }
        let start = (self.start + 1 + offset).min(self.end);
        Span {
            start,
            end: (start + len.max(1)).min(self.end),
        }
    }
}
