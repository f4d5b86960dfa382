//! Kernel-style layout for generated C: tabs of 8 columns, about 80
//! columns per line, continuation lines aligned with the open parenthesis.

/// Display width of `s` starting at column 0 (tabs advance to the next
/// multiple of 8).
pub fn width(s: &str) -> usize {
    s.chars().fold(0, |col, c| {
        if c == '\t' {
            (col / 8 + 1) * 8
        } else {
            col + 1
        }
    })
}

/// Whitespace that moves from column `from` to column `to`, tabs first.
pub fn pad(from: usize, to: usize) -> String {
    let mut s = String::new();
    let mut col = from;
    while (col / 8 + 1) * 8 <= to {
        s.push('\t');
        col = (col / 8 + 1) * 8;
    }
    while col < to {
        s.push(' ');
        col += 1;
    }
    if s.is_empty() {
        s.push(' ');
    }
    s
}

/// `head` + `items` joined by ", " + `tail`, wrapped at 80 columns with
/// continuation lines aligned after `head` (which ends with `(`).
pub fn wrapped(head: &str, items: &[String], tail: &str) -> String {
    let one = format!("{head}{}{tail}", items.join(", "));
    if width(&one) <= 80 || items.len() < 2 {
        return one;
    }
    let last_line = head.rsplit('\n').next().unwrap_or(head);
    let align = width(last_line);
    let indent = pad(0, align);
    let mut out = head.to_string();
    let mut line_w = align;
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 == items.len() {
            format!("{item}{tail}")
        } else {
            format!("{item},")
        };
        if i > 0 {
            if line_w + 1 + width(&piece) > 80 {
                out.push('\n');
                out.push_str(&indent);
                line_w = align;
            } else {
                out.push(' ');
                line_w += 1;
            }
        }
        out.push_str(&piece);
        line_w += width(&piece);
    }
    out
}

/// A C comment at `tabs` indentation: one line if it fits in 80 columns,
/// otherwise a wrapped block.
pub fn comment(tabs: usize, text: &str) -> String {
    let ind = "\t".repeat(tabs);
    let one = format!("{ind}/* {text} */\n");
    if width(&one) <= 81 {
        return one;
    }
    let mut out = format!("{ind}/*\n");
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && width(&format!("{ind} * {line} {word}")) > 80 {
            out.push_str(&format!("{ind} * {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&format!("{ind} * {line}\n"));
    }
    out.push_str(&format!("{ind} */\n"));
    out
}

/// `first` + `text`, wrapped at 80 columns with `rest` starting every
/// continuation line (for kernel-doc lines such as ` * @arg: ...`).
pub fn wrap_words(first: &str, rest: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut fresh = true;
    for word in text.split_whitespace() {
        if !fresh && width(&line) + 1 + width(word) > 80 {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_with_tabs_then_spaces() {
        assert_eq!(pad(0, 19), "\t\t   ");
        assert_eq!(pad(14, 24), "\t\t");
        assert_eq!(pad(30, 24), " ");
    }

    #[test]
    fn wraps_long_argument_lists() {
        let args: Vec<String> = (0..6)
            .map(|i| format!("struct some_long_type *argument_{i}"))
            .collect();
        let out = wrapped("static int f(", &args, ")");
        assert!(out.lines().all(|l| width(l) <= 80), "{out}");
        assert!(
            out.lines().nth(1).unwrap().starts_with("\t     struct"),
            "{out}"
        );
        assert_eq!(wrapped("f(", &["a".into(), "b".into()], ");"), "f(a, b);");
    }

    #[test]
    fn wraps_long_comments() {
        let c = comment(1, &"word ".repeat(30));
        assert!(c.starts_with("\t/*\n\t * word"));
        assert!(c.lines().all(|l| width(l) <= 80));
        assert_eq!(comment(0, "short"), "/* short */\n");
    }
}
