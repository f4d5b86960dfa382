//! Renders entries as declaration TOML and drops the ones modless-decl
//! rejects, keeping the reason as a comment.

use std::path::Path;

use crate::error::ImportError;
use crate::Imported;
use crate::ProgType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Callback,
    Data,
    Kfunc,
    LintKfunc,
}

/// One `[[ops.callback]]`, `[[ops.data]]`, `[[kfunc]]` or `[[lint_kfunc]]` table.
#[derive(Debug, Clone)]
pub struct Entry {
    name: String,
    kind: Kind,
    lines: Vec<String>,
    dropped: Option<String>,
    /// The `[[lint_kfunc]]` a kfunc falls back to when its full form is
    /// rejected: lint still checks its callers.
    lint_only: Option<Vec<String>>,
    /// Why it is lint-only.
    lint_only_why: Option<String>,
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

impl Entry {
    pub fn callback(name: &str, proto: String, default: Option<String>, sleepable: bool) -> Self {
        let mut lines = vec!["[[ops.callback]]".into(), format!("fn = {}", q(&proto))];
        if let Some(d) = default {
            lines.push(format!("default = {}", q(&d)));
        }
        if sleepable {
            lines.push("sleepable = true".into());
        }
        Self::new(name, Kind::Callback, lines)
    }

    fn new(name: &str, kind: Kind, lines: Vec<String>) -> Self {
        Self {
            name: name.into(),
            kind,
            lines,
            dropped: None,
            lint_only: None,
            lint_only_why: None,
        }
    }

    pub fn data(name: &str, field: String, kind: &str) -> Self {
        let lines = vec![
            "[[ops.data]]".into(),
            format!("field = {}", q(&field)),
            format!("kind = {}", q(kind)),
        ];
        Self::new(name, Kind::Data, lines)
    }

    /// `ops`: the ops that may call it, `None` for any.
    pub fn kfunc(
        name: &str,
        proto: String,
        flags: Vec<&str>,
        doc: String,
        ops: Option<Vec<String>>,
        prog_types: &[ProgType],
    ) -> Self {
        // A comment, not `doc`: a kfunc doc must then describe every
        // argument, which BTF cannot supply.
        let mut lines = vec![
            format!("# {doc}"),
            "[[kfunc]]".into(),
            format!("proto = {}", q(&proto)),
        ];
        let placed = placement_lines(&flags, ops, prog_types);
        lines.extend(placed.iter().cloned());
        let mut lint_only = vec![
            format!("# {doc}"),
            "[[lint_kfunc]]".into(),
            format!("name = {}", q(name)),
        ];
        lint_only.extend(placed);
        Self {
            lint_only: Some(lint_only),
            ..Self::new(name, Kind::Kfunc, lines)
        }
    }

    /// A `[[lint_kfunc]]` from the start: `why` no prototype is declared.
    pub fn lint_kfunc(
        name: &str,
        flags: Vec<&str>,
        doc: String,
        why: String,
        ops: Option<Vec<String>>,
        prog_types: &[ProgType],
    ) -> Self {
        let mut lines = vec![
            format!("# {doc}"),
            lint_only_comment(&why),
            "[[lint_kfunc]]".into(),
            format!("name = {}", q(name)),
        ];
        lines.extend(placement_lines(&flags, ops, prog_types));
        Self {
            lint_only_why: Some(why),
            ..Self::new(name, Kind::LintKfunc, lines)
        }
    }

    /// Rejected for `why`: a kfunc becomes lint-only, anything else (or a
    /// lint-only kfunc rejected too) is dropped.
    fn reject(&mut self, why: String) {
        match self.lint_only.take() {
            Some(mut lines) => {
                lines.insert(1, lint_only_comment(&why));
                self.lines = lines;
                self.kind = Kind::LintKfunc;
                self.lint_only_why = Some(why);
            }
            None => self.dropped = Some(why),
        }
    }

    pub fn dropped(name: &str, why: String) -> Self {
        Self {
            dropped: Some(why),
            ..Self::new(name, Kind::Callback, Vec::new())
        }
    }
}

fn lint_only_comment(why: &str) -> String {
    format!("# lint only, no prototype (nothing is generated for it): {why}")
}

/// `flags`, `prog_types` and `ops` (`None`: any op) of a kfunc table.
fn placement_lines(
    flags: &[&str],
    ops: Option<Vec<String>>,
    prog_types: &[ProgType],
) -> Vec<String> {
    let flags: Vec<String> = flags.iter().map(|f| q(f)).collect();
    let prog_types: Vec<String> = prog_types.iter().map(|p| q(p.key())).collect();
    let mut lines = vec![
        format!("flags = [{}]", flags.join(", ")),
        format!("prog_types = [{}]", prog_types.join(", ")),
    ];
    if let Some(ops) = ops {
        let ops: Vec<String> = ops.iter().map(|o| q(o)).collect();
        lines.push(format!("ops = [{}]", ops.join(", ")));
    }
    lines
}

/// The declaration being assembled.
#[derive(Debug)]
pub struct Render {
    header: Vec<String>,
    entries: Vec<Entry>,
}

impl Render {
    pub fn new(subsystem: &str, ops: &str, btf: &Path) -> Self {
        let header = vec![
            format!(
                "# Imported by `modless import` from {}: struct {ops} and its kfuncs.",
                btf.display()
            ),
            "# Callback parameter names come from the kernel's cfi stubs <ops>__<member>, so"
                .into(),
            "# __nullable/__ref survive (argN when none is so named); kfunc flags, sets: .BTF_ids."
                .into(),
            "# Which callbacks may sleep and which kfunc set each op may call are kernel".into(),
            "# code (check_member, the kfunc filter), not BTF: they come from --sleepable".into(),
            "# and --set-ops (SET=op,op or SET=*), as given to the import; the program".into(),
            "# types each set is registered for from --set-prog-types (SET=struct_ops,tracing)."
                .into(),
            "# A kfunc whose prototype a declaration cannot state is a [[lint_kfunc]]: lint".into(),
            "# checks where it is called from, nothing is generated for it.".into(),
            String::new(),
            "[subsystem]".into(),
            format!("name = {}", q(subsystem)),
            format!(
                "doc = {}",
                q(&format!("{subsystem}, imported from the kernel's BTF"))
            ),
            String::new(),
            "[ops]".into(),
            format!("name = {}", q(ops)),
            "instances = \"one\"".into(),
        ];
        Self {
            header,
            entries: Vec::new(),
        }
    }

    pub fn push(&mut self, e: Entry) {
        self.entries.push(e);
    }

    /// Text, plus each live entry's first and last line (1-based).
    pub(crate) fn text(&self) -> (String, Vec<(usize, usize)>) {
        let mut out = self.header.clone();
        let mut ranges = vec![(0, 0); self.entries.len()];
        // TOML: [ops] sub-tables before the top-level [[kfunc]] array.
        for kind in [Kind::Callback, Kind::Data, Kind::Kfunc, Kind::LintKfunc] {
            for (i, e) in self.entries.iter().enumerate() {
                if e.kind != kind {
                    continue;
                }
                out.push(String::new());
                match &e.dropped {
                    Some(why) => out.push(format!("# not imported: {}: {why}", e.name)),
                    None => {
                        let first = out.len() + 1;
                        out.extend(e.lines.iter().cloned());
                        ranges[i] = (first, out.len());
                    }
                }
            }
        }
        out.push(String::new());
        (out.join("\n"), ranges)
    }

    /// Validates with modless-decl, dropping rejected entries until it passes.
    pub fn finish(mut self) -> Result<Imported, ImportError> {
        for _ in 0..=2 * self.entries.len() {
            let (text, ranges) = self.text();
            let errs = match modless_decl::parse(&text, "imported.toml") {
                Ok(decl) => match decl.validate() {
                    Ok(()) => return Ok(self.summary(text)),
                    Err(e) => e,
                },
                Err(e) => e,
            };
            // one rejection per entry and round: its next form is checked anew
            let mut rejected = Vec::new();
            for err in &errs.0 {
                let Some(line) = err.line() else { continue };
                if let Some(i) = ranges
                    .iter()
                    .position(|&(a, b)| a <= line && line <= b && a > 0)
                {
                    if self.entries[i].dropped.is_none() && !rejected.contains(&i) {
                        self.entries[i].reject(err.kind.to_string());
                        rejected.push(i);
                    }
                }
            }
            let progress = !rejected.is_empty();
            if !progress {
                return Err(ImportError::Invalid {
                    dropped: self.entries.iter().filter(|e| e.dropped.is_some()).count(),
                    errors: errs.0.iter().map(|e| format!("  {e}\n")).collect(),
                });
            }
        }
        unreachable!("each round drops or demotes at least one entry, at most twice each")
    }

    fn summary(&self, toml: String) -> Imported {
        let live = |k| {
            self.entries
                .iter()
                .filter(|e| e.kind == k && e.dropped.is_none())
                .count()
        };
        Imported {
            toml,
            callbacks: live(Kind::Callback),
            data: live(Kind::Data),
            kfuncs: live(Kind::Kfunc),
            lint_kfuncs: self
                .entries
                .iter()
                .filter(|e| e.kind == Kind::LintKfunc && e.dropped.is_none())
                .filter_map(|e| Some((e.name.clone(), e.lint_only_why.clone()?)))
                .collect(),
            dropped: self
                .entries
                .iter()
                .filter_map(|e| Some((e.name.clone(), e.dropped.clone()?)))
                .collect(),
        }
    }
}
