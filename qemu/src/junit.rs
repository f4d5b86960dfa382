//! The results as JUnit XML (`--junit FILE`), the format CI systems render:
//! one `<testsuite>` per boot, one `<testcase>` per test, and one more per boot
//! for what went wrong in the guest outside any test (timeout, a splat between
//! tests, a boot that hung), so a failed run never shows as all green.

use std::fmt::Write as _;

use crate::report::{GuestFailure, RunReport, Status};

/// The name of the per-boot testcase that carries guest failures.
pub const GUEST_CASE: &str = "guest: no kernel report, timeout or early stop outside the tests";

/// A matrix cell that did not boot: one testsuite of one testcase, skipped
/// (the matrix file says why) or in error (its kernel could not be had).
pub struct NotRun {
    pub name: String,
    pub message: String,
    pub error: bool,
}

/// The whole document for these boots, each with its suite's (or cell's) name.
pub fn render(runs: &[(&str, &RunReport)], not_run: &[NotRun]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (name, run) in runs {
        suite(&mut s, name, run);
    }
    for n in not_run {
        let (errors, skipped, element, kind) = if n.error {
            (1, 0, "error", " type=\"harness\"")
        } else {
            (0, 1, "skipped", "")
        };
        let name = esc(&n.name);
        let _ = writeln!(
            s,
            "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\">\n    \
             <testcase classname=\"{name}\" name=\"{name}\" time=\"0\">\n      \
             <{element} message=\"{}\"{kind}/>\n    </testcase>\n  </testsuite>",
            esc(&n.message)
        );
    }
    s.push_str("</testsuites>\n");
    s
}

fn suite(s: &mut String, name: &str, run: &RunReport) {
    // A splat during a test fails that test; the rest belong to the boot.
    let during = |i: usize| -> Vec<&GuestFailure> {
        run.failures
            .iter()
            .filter(|f| matches!(f, GuestFailure::Splat(sp) if sp.during_test == Some(i)))
            .collect()
    };
    let outside: Vec<&GuestFailure> = run
        .failures
        .iter()
        .filter(|f| !matches!(f, GuestFailure::Splat(sp) if sp.during_test.is_some()))
        .collect();
    let failed = run
        .tests
        .iter()
        .enumerate()
        .filter(|(i, t)| t.status == Status::Fail || !during(*i).is_empty())
        .count()
        + usize::from(!outside.is_empty());
    let _ = writeln!(
        s,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        esc(name),
        run.tests.len() + 1,
        run.count(Status::NotRun),
        run.count(Status::Skip),
        run.total_s
    );
    s.push_str("    <properties>\n");
    for (k, v) in [
        ("kernel", run.kernel.as_str()),
        ("accel", &run.accel),
        ("topology", &run.topology),
        ("console_log", &run.console_log),
    ] {
        let _ = writeln!(s, "      <property name=\"{k}\" value=\"{}\"/>", esc(v));
    }
    s.push_str("    </properties>\n");
    for (i, t) in run.tests.iter().enumerate() {
        let time = t.duration_s.unwrap_or(0.0);
        let _ = writeln!(
            s,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{time:.3}\">",
            esc(name),
            esc(&t.name)
        );
        let note = t.note.as_deref().unwrap_or_default();
        match t.status {
            Status::Pass => {}
            Status::Skip => s.push_str("      <skipped/>\n"),
            Status::Fail => {
                let _ = writeln!(
                    s,
                    "      <failure message=\"{}\" type=\"test\"/>",
                    esc(note)
                );
            }
            Status::NotRun => {
                let _ = writeln!(
                    s,
                    "      <error message=\"not run: {}\" type=\"guest\"/>",
                    esc(note)
                );
            }
        }
        for f in during(i) {
            let _ = writeln!(
                s,
                "      <failure message=\"{}\" type=\"kernel\"/>",
                esc(&f.describe())
            );
        }
        if !t.output.is_empty() {
            let _ = writeln!(s, "      <system-out>{}</system-out>", esc(&t.output));
        }
        s.push_str("    </testcase>\n");
    }
    let _ = writeln!(
        s,
        "    <testcase classname=\"{}\" name=\"{GUEST_CASE}\" time=\"{:.3}\">",
        esc(name),
        run.boot_s.unwrap_or(0.0)
    );
    for f in outside {
        let _ = writeln!(
            s,
            "      <failure message=\"{}\" type=\"guest\"/>",
            esc(&f.describe())
        );
    }
    s.push_str("    </testcase>\n  </testsuite>\n");
}

/// Text as XML character data or attribute value: markup escaped, and the
/// characters XML 1.0 cannot carry at all (most controls, such as a kernel
/// log's ESC) replaced.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::{Splat, SplatKind};
    use crate::report::{judge, Finished};

    fn finished(index: usize, rc: i32) -> Option<Finished> {
        Some(Finished {
            index,
            rc,
            duration_s: 0.5,
        })
    }

    fn run(failures: Vec<GuestFailure>) -> RunReport {
        RunReport {
            kernel: "linux 7.3 <debug>".into(),
            accel: "TCG".into(),
            topology: "4 CPUs".into(),
            boot_s: Some(3.0),
            total_s: 9.0,
            tests: vec![
                judge("passes", finished(0, 0), "fine & \"dandy\"\n".into()),
                judge("fails", finished(1, 3), "bad \u{1b}[31mred\n".into()),
                judge("skips", finished(2, 77), String::new()),
                judge("warns", finished(3, 0), String::new()),
                judge("never ran", None, String::new()),
            ],
            failures,
            boot_hangs: vec![],
            phases: Default::default(),
            console_log: "/c/console.log".into(),
            run_dir: "/c".into(),
            restored: None,
        }
    }

    fn splat(during_test: Option<usize>) -> GuestFailure {
        GuestFailure::Splat(Splat {
            kind: SplatKind::Warn,
            line: "WARNING: CPU: 1 PID: 9 at mm/x.c:1 f+0x1/0x2".into(),
            during_test,
        })
    }

    fn case<'a>(doc: &'a roxmltree::Document, name: &str) -> roxmltree::Node<'a, 'a> {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}"))
    }

    fn kids(n: roxmltree::Node) -> Vec<String> {
        n.children()
            .filter(|c| c.is_element())
            .map(|c| c.tag_name().name().to_string())
            .collect()
    }

    #[test]
    fn every_outcome_maps_to_its_junit_element() {
        let r = run(vec![splat(Some(3)), GuestFailure::Timeout { seconds: 60 }]);
        let xml = render(&[("smoke", &r)], &[]);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        let attr = |k| suite.attribute(k).unwrap();
        assert_eq!(
            (
                attr("name"),
                attr("tests"),
                attr("failures"),
                attr("errors"),
                attr("skipped")
            ),
            ("smoke", "6", "3", "1", "1"),
            "{xml}"
        );
        assert!(kids(case(&doc, "passes")).iter().all(|k| k == "system-out"));
        assert_eq!(
            case(&doc, "passes")
                .children()
                .find(|c| c.has_tag_name("system-out"))
                .unwrap()
                .text(),
            Some("fine & \"dandy\"\n"),
            "output survives escaping"
        );
        let fails = case(&doc, "fails");
        assert_eq!(kids(fails)[0], "failure");
        assert!(fails
            .descendants()
            .any(|n| n.text().is_some_and(|t| t.contains("\u{FFFD}[31mred"))));
        assert_eq!(kids(case(&doc, "skips")), ["skipped"]);
        assert_eq!(kids(case(&doc, "never ran")), ["error"]);
        // The test that exited 0 while the kernel warned fails where it happened.
        let warns = case(&doc, "warns");
        assert_eq!(kids(warns), ["failure"]);
        assert!(warns
            .first_element_child()
            .unwrap()
            .attribute("message")
            .unwrap()
            .contains("WARNING: CPU"));
        // The timeout belongs to the boot, not to a test.
        let guest = case(&doc, GUEST_CASE);
        assert_eq!(kids(guest), ["failure"]);
        assert!(guest
            .first_element_child()
            .unwrap()
            .attribute("message")
            .unwrap()
            .contains("timeout"));
        let props: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("property"))
            .map(|n| (n.attribute("name").unwrap(), n.attribute("value").unwrap()))
            .collect();
        assert!(
            props.contains(&("kernel", "linux 7.3 <debug>")),
            "{props:?}"
        );
    }

    #[test]
    fn a_clean_boot_has_a_passing_guest_case_and_a_splat_outside_tests_fails_it() {
        let clean = run(vec![]);
        let other = run(vec![splat(None)]);
        let xml = render(&[("a", &clean), ("b", &other)], &[]);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .collect();
        assert_eq!(suites.len(), 2);
        let guest = |s: roxmltree::Node| {
            s.children()
                .find(|n| n.attribute("name") == Some(GUEST_CASE))
                .map(kids)
                .unwrap()
        };
        assert!(guest(suites[0]).is_empty(), "{xml}");
        assert_eq!(guest(suites[1]), ["failure"]);
        assert_eq!(suites[0].attribute("failures"), Some("1"));
        assert_eq!(suites[1].attribute("failures"), Some("2"));
    }

    /// A matrix cell that did not boot is in the report: skipped with the
    /// matrix file's reason, or in error when its kernel could not be had.
    #[test]
    fn cells_that_did_not_boot_are_skipped_or_errors_with_their_reason() {
        let xml = render(
            &[],
            &[
                NotRun {
                    name: "dombal on 6.12".into(),
                    message: "unsupported: kfuncs are 6.13+".into(),
                    error: false,
                },
                NotRun {
                    name: "smoke on 6.12".into(),
                    message: "not run: kernel 6.12: build failed".into(),
                    error: true,
                },
            ],
        );
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let dombal = case(&doc, "dombal on 6.12");
        assert_eq!(kids(dombal), ["skipped"]);
        assert_eq!(
            dombal.first_element_child().unwrap().attribute("message"),
            Some("unsupported: kfuncs are 6.13+")
        );
        assert_eq!(kids(case(&doc, "smoke on 6.12")), ["error"]);
        let errors: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .map(|n| {
                (
                    n.attribute("skipped").unwrap(),
                    n.attribute("errors").unwrap(),
                )
            })
            .collect();
        assert_eq!(errors, [("1", "0"), ("0", "1")]);
    }
}
