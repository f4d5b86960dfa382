//! Counters an object declares: `.bss`/`.data` unsigned integer globals
//! tagged `__attribute__((btf_decl_tag("modless:counter")))`, read from the
//! kernel's live copy; `modless load --stats` prints them beside the
//! programs' run counts.

use crate::error::{LoadError, Result};
use crate::extension::ExtensionOf;
use crate::globals::bytes_int;
use crate::obj_btf::decl_tags;
use crate::stats::json_escape;

/// The decl tag that makes a global a declared counter (the generated BPF
/// header's `MODLESS_COUNTER`).
pub use modless_decl::struct_ops::names::COUNTER_TAG;

/// One declared counter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// The global's name.
    pub name: String,
    /// Its value when read.
    pub value: u64,
}

impl Counter {
    /// How much it grew since `before` (an earlier reading of the same counter).
    pub fn since(&self, before: &Counter) -> Counter {
        Counter {
            name: self.name.clone(),
            value: self.value.saturating_sub(before.value),
        }
    }

    /// One JSON object (a line of `modless load --stats --json`).
    pub fn to_json(&self) -> String {
        format!(
            "{{\"counter\":\"{}\",\"value\":{}}}",
            json_escape(&self.name),
            self.value
        )
    }
}

/// A table of `counters`, one a line, with a header.
pub fn counters_table(counters: &[Counter]) -> String {
    let width = counters
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut out = format!("{:<width$} {:>20}\n", "counter", "value");
    for c in counters {
        out.push_str(&format!("{:<width$} {:>20}\n", c.name, c.value));
    }
    out
}

impl ExtensionOf<'_> {
    /// The object's declared counters (see [`COUNTER_TAG`]), read now, in
    /// section order.
    pub fn counters(&self) -> Result<Vec<Counter>> {
        let Ok(Some(btf)) = self.object().btf() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for v in self.data_vars() {
            let tagged = decl_tags(&btf, v.type_id)
                .iter()
                .any(|(idx, t)| idx.is_none() && t == COUNTER_TAG);
            if !tagged {
                continue;
            }
            if !matches!(v.size, 1 | 2 | 4 | 8) {
                return Err(LoadError::RodataSize {
                    object: self.path().to_path_buf(),
                    var: v.name,
                    expected: 8,
                    given: v.size,
                });
            }
            let value = bytes_int(&self.global(&v.name)?, false) as u64;
            out.push(Counter {
                name: v.name,
                value,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    #[test]
    fn json_lines_name_the_counter() {
        let c = Counter {
            name: "ve\"toed".into(),
            value: 30,
        };
        assert_eq!(c.to_json(), r#"{"counter":"ve\"toed","value":30}"#);
    }

    #[test]
    fn the_table_has_a_line_per_counter() {
        let t = counters_table(&[
            Counter {
                name: "completions".into(),
                value: 25,
            },
            Counter {
                name: "vetoed".into(),
                value: 0,
            },
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[0].starts_with("counter") && lines[0].ends_with("value"));
        assert!(lines[1].starts_with("completions") && lines[1].ends_with(" 25"));
        assert!(lines[2].starts_with("vetoed") && lines[2].ends_with(" 0"));
    }

    quickcheck! {
        fn since_is_the_growth_and_never_underflows(a: u64, b: u64) -> bool {
            let c = |value| Counter { name: "c".into(), value };
            c(a).since(&c(b)).value == a.saturating_sub(b)
        }
    }
}
