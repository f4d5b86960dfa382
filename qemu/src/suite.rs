//! What runs in the guest: a list of named shell commands.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    pub name: String,
    /// A shell script, run by the guest's `sh` in the working directory.
    pub run: String,
    /// Seconds before the guest kills the test.
    #[serde(default = "default_limit")]
    pub timeout: u64,
    /// The guest's hung-task timeout while this test runs (seconds; 0 turns
    /// the detector off), for a test that legitimately blocks long under TCG.
    /// Unset: the suite's, else the kernel's (10 s in modless's config).
    pub hung_task_timeout: Option<u64>,
    /// Runs on the guest's console as its controlling terminal, without the
    /// guest's time limit (`--shell`; not for suite files).
    #[serde(skip)]
    pub interactive: bool,
}

fn default_limit() -> u64 {
    300
}

/// The guest a suite needs; command-line options override it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestSpec {
    pub cpus: Option<u32>,
    pub mem: Option<String>,
    pub numa: Option<String>,
    /// Seconds for the whole boot.
    pub timeout: Option<u64>,
    /// Extra kernel command-line parameters.
    pub append: Option<String>,
    /// Every test's hung-task timeout unless the test sets its own.
    pub hung_task_timeout: Option<u64>,
    /// Under TCG, one host thread for every vCPU instead of one each; see
    /// [`TcgThreads`]. Ignored under KVM.
    pub tcg_threads: Option<TcgThreads>,
}

/// How QEMU's TCG runs the vCPUs (`-accel tcg,thread=...`); also
/// `--tcg-threads` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TcgThreads {
    /// One host thread per vCPU (QEMU's default): vCPUs truly in parallel.
    Multi,
    /// One host thread runs every vCPU in turn. For a suite that patches
    /// kernel text while other vCPUs run it (static calls, static keys):
    /// QEMU 10.0's multi-threaded TCG can run a stale INT3 after the
    /// kernel's text_poke protocol has finished (`Oops: int3` at the site,
    /// whose bytes already hold the new instruction), with no BPF involved.
    Single,
}

/// The kernel a suite needs beyond modless's default build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelSpec {
    /// Patch files, or directories of `*.patch` series, relative to the
    /// repository root, applied in order to Debian's source.
    #[serde(default)]
    pub patches: Vec<PathBuf>,
    /// Config lines the patched kernel must have (`CONFIG_X=y`).
    #[serde(default)]
    pub config: Vec<String>,
}

impl KernelSpec {
    pub fn is_empty(&self) -> bool {
        self.patches.is_empty() && self.config.is_empty()
    }
}

/// One suite file: one boot.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    #[serde(skip)]
    pub name: String,
    #[serde(default)]
    pub guest: GuestSpec,
    #[serde(default)]
    pub kernel: KernelSpec,
    #[serde(rename = "test")]
    pub tests: Vec<TestSpec>,
}

impl TestSpec {
    /// One command line, quoted so the guest shell sees the same argv.
    pub fn from_argv(argv: &[String], timeout: u64) -> Self {
        let quoted: Vec<String> = argv.iter().map(|a| shell_quote(a)).collect();
        TestSpec {
            name: argv.join(" "),
            run: format!("exec {}", quoted.join(" ")),
            timeout,
            hung_task_timeout: None,
            interactive: false,
        }
    }

    /// An interactive shell on the guest's console (bash if the host has
    /// it), its size set to the host terminal's: a serial line has none.
    pub fn shell(rows_cols: Option<(u16, u16)>) -> Self {
        let size = rows_cols
            .map(|(r, c)| format!("stty rows {r} cols {c} 2>/dev/null\n"))
            .unwrap_or_default();
        TestSpec {
            name: "shell".into(),
            run: format!(
                "{size}export PS1='(modless guest) \\w \\$ '\n\
                 if command -v bash >/dev/null; then exec bash --norc -i; fi\n\
                 exec sh -i\n"
            ),
            timeout: 0,
            hung_task_timeout: None,
            interactive: true,
        }
    }
}

pub fn load_suite(path: &Path) -> Result<Suite> {
    let text = std::fs::read_to_string(path).ctx(|| format!("reading suite {}", path.display()))?;
    let name = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    parse_suite(&text, name).map_err(|e| crate::error::Error::Io {
        context: format!("parsing suite {}", path.display()),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
    })
}

/// A suite from its text; each test ends up with its effective settings.
fn parse_suite(text: &str, name: String) -> std::result::Result<Suite, toml::de::Error> {
    let mut suite: Suite = toml::from_str(text)?;
    suite.name = name;
    for t in &mut suite.tests {
        t.hung_task_timeout = t.hung_task_timeout.or(suite.guest.hung_task_timeout);
    }
    Ok(suite)
}

pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck_macros::quickcheck;
    use std::process::Command;

    #[test]
    fn a_tests_hung_task_timeout_overrides_the_suites() {
        let suite = parse_suite(
            r#"
[guest]
hung_task_timeout = 120
[[test]]
name = "slow"
run = "true"
hung_task_timeout = 600
[[test]]
name = "default"
run = "true"
"#,
            "s".into(),
        )
        .unwrap();
        let got: Vec<_> = suite.tests.iter().map(|t| t.hung_task_timeout).collect();
        assert_eq!(got, [Some(600), Some(120)]);
        assert!(suite.kernel.is_empty());
        let bare = parse_suite("[[test]]\nname = \"a\"\nrun = \"true\"\n", "s".into()).unwrap();
        assert_eq!(bare.tests[0].hung_task_timeout, None);
        let err = parse_suite(
            "[[test]]\nname = \"a\"\nrun = \"true\"\nhung_task_timeout = -1\n",
            "s".into(),
        );
        assert!(err.is_err(), "a negative timeout is refused");
    }

    #[test]
    fn a_suite_may_ask_for_one_tcg_thread() {
        let one = parse_suite(
            "[guest]\ntcg_threads = \"single\"\n[[test]]\nname = \"a\"\nrun = \"true\"\n",
            "s".into(),
        )
        .unwrap();
        assert_eq!(one.guest.tcg_threads, Some(TcgThreads::Single));
        let bare = parse_suite("[[test]]\nname = \"a\"\nrun = \"true\"\n", "s".into()).unwrap();
        assert_eq!(bare.guest.tcg_threads, None);
        let err = parse_suite(
            "[guest]\ntcg_threads = \"two\"\n[[test]]\nname = \"a\"\nrun = \"true\"\n",
            "s".into(),
        );
        assert!(err.is_err(), "only single or multi");
    }

    #[test]
    fn a_suite_names_its_kernel_patches_and_config() {
        let suite = parse_suite(
            r#"
[kernel]
patches = ["examples/bpf_oom/patches", "extra/0001-x.patch"]
config = ["CONFIG_BPF_OOM=y"]
[[test]]
name = "a"
run = "true"
"#,
            "s".into(),
        )
        .unwrap();
        assert_eq!(
            suite.kernel.patches,
            [
                PathBuf::from("examples/bpf_oom/patches"),
                PathBuf::from("extra/0001-x.patch")
            ]
        );
        assert_eq!(suite.kernel.config, ["CONFIG_BPF_OOM=y"]);
        let typo = parse_suite(
            "[kernel]\npatch = [\"x\"]\n[[test]]\nname = \"a\"\nrun = \"true\"\n",
            "s".into(),
        );
        assert!(typo.is_err(), "an unknown [kernel] key is refused");
    }

    /// The guest's shell must see exactly the argv the host was given.
    #[quickcheck]
    fn quoting_round_trips_through_sh(args: Vec<String>) -> bool {
        let args: Vec<String> = args
            .into_iter()
            .filter(|a| !a.contains('\0'))
            .take(6)
            .collect();
        let script = format!(
            "printf '%s\\0' {}",
            args.iter()
                .map(|a| shell_quote(a))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
        let got: Vec<String> = if args.is_empty() {
            vec![]
        } else {
            String::from_utf8_lossy(&out.stdout)
                .split_terminator('\0')
                .map(str::to_string)
                .collect()
        };
        got == args
    }
}
