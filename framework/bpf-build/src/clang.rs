//! Finding a clang that can target BPF.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use crate::error::{BuildError, Result};

/// Oldest clang accepted: BPF CO-RE, `-mcpu=v3` and `bpf_fastcall` need >= 17.
pub const MIN_CLANG_MAJOR: u32 = 17;

/// Environment variable naming the clang to use, overriding the search.
pub const CLANG_ENV: &str = "MODLESS_CLANG";

/// Tried in order when neither [`CLANG_ENV`] nor an explicit path is given.
const CANDIDATES: [&str; 2] = ["clang-19", "clang"];

/// A clang binary with its major version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clang {
    /// How to invoke it (a name looked up on `PATH`, or a path).
    pub program: PathBuf,
    /// Major version (`19` for 19.1.7).
    pub major: u32,
}

impl Clang {
    /// Finds clang: `explicit` if given, else `$MODLESS_CLANG`, else
    /// `clang-19`, then `clang`, accepting the first with version >= 17.
    pub fn find(explicit: Option<&PathBuf>) -> Result<Self> {
        let candidates: Vec<OsString> = match (explicit, std::env::var_os(CLANG_ENV)) {
            (Some(p), _) => vec![p.clone().into_os_string()],
            (None, Some(env)) => vec![env],
            (None, None) => CANDIDATES.iter().map(OsString::from).collect(),
        };
        let mut tried = Vec::new();
        for c in candidates {
            match Self::probe(&c) {
                Ok(clang) => return Ok(clang),
                Err(why) => tried.push(format!("{} ({why})", c.to_string_lossy())),
            }
        }
        Err(BuildError::ClangNotFound { tried })
    }

    fn probe(program: &OsString) -> std::result::Result<Self, String> {
        let out = Command::new(program)
            .arg("--version")
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        let major =
            parse_major(&text).ok_or_else(|| "unrecognised --version output".to_string())?;
        if major < MIN_CLANG_MAJOR {
            return Err(format!("version {major} < {MIN_CLANG_MAJOR}"));
        }
        Ok(Self {
            program: PathBuf::from(program),
            major,
        })
    }
}

/// Major version from `clang --version` ("Debian clang version 19.1.7 (...)").
fn parse_major(version_text: &str) -> Option<u32> {
    let rest = version_text.split("clang version ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::parse_major;

    #[test]
    fn parses_distro_and_upstream_version_lines() {
        assert_eq!(
            parse_major("Debian clang version 19.1.7 (3~deb12u1)\nTarget: x86_64"),
            Some(19)
        );
        assert_eq!(parse_major("clang version 17.0.6"), Some(17));
        assert_eq!(
            parse_major("Ubuntu clang version 14.0.0-1ubuntu1"),
            Some(14)
        );
        assert_eq!(parse_major("gcc (Debian 12.2.0-14) 12.2.0"), None);
    }
}
