//! `BpfBuild`: the builder that turns one BPF C file into a `.bpf.o`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cache::{cached_vmlinux_h, default_cache_dir};
use crate::clang::Clang;
use crate::error::{BuildError, Result};
use crate::libbpf_headers::cached_libbpf_headers;

/// Flags every BPF compile gets. `-fms-extensions -Wno-microsoft-anon-tag`:
/// 7.x kernels are built with `-fms-extensions`, so vmlinux.h has anonymous
/// *tagged* struct members that plain clang silently drops (wrong sizeof
/// and offsets); tools/sched_ext/Makefile uses the same pair.
pub const BPF_CFLAGS: [&str; 8] = [
    "-O2",
    "-g",
    "-target",
    "bpf",
    "-mcpu=v3",
    "-fms-extensions",
    "-Wno-microsoft-anon-tag",
    "-Wall",
];

/// The host's running-kernel BTF, the default vmlinux source.
const RUNNING_VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

#[derive(Debug, Clone)]
enum Vmlinux {
    /// `/sys/kernel/btf/vmlinux` if present, else none.
    RunningKernel,
    /// Generate from BTF (split on a base when given).
    Btf { btf: PathBuf, base: Option<PathBuf> },
    /// A directory already holding vmlinux.h.
    HeaderDir(PathBuf),
    /// No vmlinux.h include path.
    None,
}

/// Compiles one BPF C source with the fixed modless flag set.
///
/// ```no_run
/// use modless_bpf_build::BpfBuild;
/// let built = BpfBuild::new()
///     .source("src/bpf/sched.bpf.c")
///     .include("target/modless/include") // the subsystem's generated headers
///     .vmlinux_btf("/sys/kernel/btf/vmlinux")
///     .compile("target/sched.bpf.o")?;
/// println!("{}", built.object.display());
/// # Ok::<(), modless_bpf_build::BuildError>(())
/// ```
///
/// From a `build.rs`, the same API works (add this crate to
/// `[build-dependencies]`); set `.cache_dir(OUT_DIR)` to keep generated
/// headers inside the build, and call [`Compiled::emit_rerun_if_changed`]
/// so Cargo rebuilds when the BPF source or a header changes.
#[derive(Debug, Clone)]
pub struct BpfBuild {
    source: Option<PathBuf>,
    includes: Vec<PathBuf>,
    vmlinux: Vmlinux,
    defines: Vec<(String, Option<String>)>,
    cflags: Vec<OsString>,
    clang: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    target_arch: Option<String>,
    werror: bool,
}

impl Default for BpfBuild {
    fn default() -> Self {
        Self::new()
    }
}

/// A successful compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// The `.bpf.o` written.
    pub object: PathBuf,
    /// The source and every header it included (from clang's depfile).
    pub dependencies: Vec<PathBuf>,
    /// clang's stderr (warnings), possibly empty.
    pub warnings: String,
    /// The command line, shell-quoted.
    pub command: String,
    /// The cache the generated headers (vmlinux.h, libbpf's) came from.
    cache: PathBuf,
}

impl Compiled {
    /// The dependencies a build script should watch: all but the headers
    /// generated from them, in the cache or in `out_dir`. Those are written
    /// while the script runs, so cargo would see them newer than its run and
    /// run the script again on the next build; their inputs (the BTF, the
    /// script's own) are watched instead.
    pub fn inputs<'a>(&'a self, out_dir: Option<&'a Path>) -> impl Iterator<Item = &'a Path> {
        self.dependencies
            .iter()
            .map(PathBuf::as_path)
            .filter(move |d| {
                !d.starts_with(&self.cache) && !out_dir.is_some_and(|o| d.starts_with(o))
            })
    }

    /// Prints `cargo:rerun-if-changed=` for every input (see [`Self::inputs`]);
    /// for build.rs.
    pub fn emit_rerun_if_changed(&self) {
        let out_dir = std::env::var_os("OUT_DIR").map(PathBuf::from);
        for d in self.inputs(out_dir.as_deref()) {
            println!("cargo:rerun-if-changed={}", d.display());
        }
    }
}

impl BpfBuild {
    /// A build with defaults: vmlinux.h from the running kernel's BTF (when
    /// `/sys/kernel/btf/vmlinux` exists), the default cache dir, the target
    /// architecture of the Cargo build (`CARGO_CFG_TARGET_ARCH`) or the host.
    pub fn new() -> Self {
        Self {
            source: None,
            includes: Vec::new(),
            vmlinux: Vmlinux::RunningKernel,
            defines: Vec::new(),
            cflags: Vec::new(),
            clang: None,
            cache_dir: None,
            target_arch: None,
            werror: false,
        }
    }

    /// The BPF C file to compile.
    pub fn source(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(path.into());
        self
    }

    /// Adds an include directory (e.g. the subsystem's generated headers).
    /// User directories come before vmlinux.h's and libbpf's.
    pub fn include(mut self, dir: impl Into<PathBuf>) -> Self {
        self.includes.push(dir.into());
        self
    }

    /// Generates vmlinux.h from this BTF (raw or ELF), cached by content.
    pub fn vmlinux_btf(mut self, btf: impl Into<PathBuf>) -> Self {
        self.vmlinux = Vmlinux::Btf {
            btf: btf.into(),
            base: None,
        };
        self
    }

    /// Generates a self-contained vmlinux.h from split BTF (a module `.ko`
    /// or `/sys/kernel/btf/<mod>`) on top of `base` (vmlinux): kernel and
    /// module types in one header.
    pub fn vmlinux_btf_split(mut self, btf: impl Into<PathBuf>, base: impl Into<PathBuf>) -> Self {
        self.vmlinux = Vmlinux::Btf {
            btf: btf.into(),
            base: Some(base.into()),
        };
        self
    }

    /// Adds several include directories, in order.
    pub fn includes<I, P>(mut self, dirs: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        self.includes.extend(dirs.into_iter().map(Into::into));
        self
    }

    /// Uses an existing directory containing `vmlinux.h` instead.
    pub fn vmlinux_h_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.vmlinux = Vmlinux::HeaderDir(dir.into());
        self
    }

    /// Adds no vmlinux.h include path.
    pub fn no_vmlinux(mut self) -> Self {
        self.vmlinux = Vmlinux::None;
        self
    }

    /// `-DNAME` or `-DNAME=VALUE`.
    pub fn define(mut self, name: impl Into<String>, value: Option<&str>) -> Self {
        self.defines.push((name.into(), value.map(str::to_owned)));
        self
    }

    /// Appends a raw clang argument.
    pub fn cflag(mut self, arg: impl Into<OsString>) -> Self {
        self.cflags.push(arg.into());
        self
    }

    /// Uses this clang instead of searching (`MODLESS_CLANG`, `clang-19`, `clang`).
    pub fn clang(mut self, program: impl Into<PathBuf>) -> Self {
        self.clang = Some(program.into());
        self
    }

    /// Root of the cache for generated headers (default: see
    /// [`default_cache_dir`](crate::default_cache_dir)).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Kernel architecture name for `__TARGET_ARCH_<arch>` (`x86`, `arm64`, ...).
    pub fn target_arch(mut self, arch: impl Into<String>) -> Self {
        self.target_arch = Some(arch.into());
        self
    }

    /// Treat warnings as errors (`-Werror`).
    pub fn warnings_as_errors(mut self, on: bool) -> Self {
        self.werror = on;
        self
    }

    /// Compiles to `out`, creating its parent directory.
    pub fn compile(&self, out: impl AsRef<Path>) -> Result<Compiled> {
        let out = out.as_ref();
        let source = self.source.as_ref().ok_or(BuildError::NoSource)?;
        if !source.is_file() {
            return Err(BuildError::SourceMissing {
                path: source.clone(),
            });
        }
        let clang = Clang::find(self.clang.as_ref())?;
        let cache = self.cache_dir.clone().unwrap_or_else(default_cache_dir);
        let vmlinux_dir = self.vmlinux_dir(&cache)?;
        let libbpf_dir = cached_libbpf_headers(&cache)?;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| BuildError::Cache {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let depfile = depfile_path(out);

        let mut args: Vec<OsString> = BPF_CFLAGS.iter().map(OsString::from).collect();
        args.push(format!("-D__TARGET_ARCH_{}", self.kernel_arch()).into());
        if self.werror {
            args.push("-Werror".into());
        }
        for (name, value) in &self.defines {
            args.push(match value {
                Some(v) => format!("-D{name}={v}").into(),
                None => format!("-D{name}").into(),
            });
        }
        let dirs = self
            .includes
            .iter()
            .chain(vmlinux_dir.as_ref())
            .chain([&libbpf_dir]);
        for dir in dirs {
            args.push("-I".into());
            args.push(dir.into());
        }
        args.extend(self.cflags.iter().cloned());
        args.extend(["-MD".into(), "-MF".into(), depfile.clone().into_os_string()]);
        args.extend([
            "-c".into(),
            source.clone().into_os_string(),
            "-o".into(),
            out.into(),
        ]);

        let command = shell_quote(clang.program.as_os_str(), &args);
        let output = Command::new(&clang.program)
            .args(&args)
            .output()
            .map_err(|_| BuildError::ClangNotFound {
                tried: vec![clang.program.display().to_string()],
            })?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() {
            let _ = std::fs::remove_file(&depfile);
            return Err(BuildError::Compile {
                source_file: source.clone(),
                status: output.status,
                stderr,
                command,
            });
        }
        let mut dependencies = std::fs::read_to_string(&depfile)
            .map(|d| parse_depfile(&d))
            .unwrap_or_else(|_| vec![source.clone()]);
        // vmlinux.h sits in a cache keyed by the BTF's content: the BTF file
        // is the input that changes when its kernel is rebuilt in place.
        if let Vmlinux::Btf { btf, base } = &self.vmlinux {
            dependencies.extend([btf].into_iter().chain(base).cloned());
        }
        let _ = std::fs::remove_file(&depfile);
        Ok(Compiled {
            object: out.to_path_buf(),
            dependencies,
            warnings: stderr,
            command,
            cache,
        })
    }

    fn vmlinux_dir(&self, cache: &Path) -> Result<Option<PathBuf>> {
        Ok(match &self.vmlinux {
            Vmlinux::RunningKernel if Path::new(RUNNING_VMLINUX_BTF).exists() => Some(
                cached_vmlinux_h(cache, Path::new(RUNNING_VMLINUX_BTF), None)?,
            ),
            Vmlinux::RunningKernel | Vmlinux::None => None,
            Vmlinux::Btf { btf, base } => Some(cached_vmlinux_h(cache, btf, base.as_deref())?),
            Vmlinux::HeaderDir(dir) => Some(dir.clone()),
        })
    }

    fn kernel_arch(&self) -> String {
        if let Some(a) = &self.target_arch {
            return a.clone();
        }
        let rust_arch = std::env::var("CARGO_CFG_TARGET_ARCH")
            .unwrap_or_else(|_| std::env::consts::ARCH.into());
        kernel_arch_of(&rust_arch).to_owned()
    }
}

/// Compiles `source` to `out` with the defaults, vmlinux.h generated from
/// `btf` (split on `base` when given; the running kernel's BTF when `btf`
/// is `None`) and the extra include dirs: the CLI's
/// `modless build-bpf FILE.bpf.c -o OUT [--btf FILE [--base FILE]] [-I DIR]...`.
pub fn compile_file(
    source: &Path,
    out: &Path,
    btf: Option<&Path>,
    base: Option<&Path>,
    includes: &[PathBuf],
) -> Result<Compiled> {
    let b = BpfBuild::new().source(source).includes(includes);
    let b = match (btf, base) {
        (Some(btf), Some(base)) => b.vmlinux_btf_split(btf, base),
        (Some(btf), None) => b.vmlinux_btf(btf),
        (None, _) => b,
    };
    b.compile(out)
}

/// Maps a Rust target arch to the name `bpf_tracing.h` expects in
/// `__TARGET_ARCH_<name>`.
fn kernel_arch_of(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" | "x86" => "x86",
        "aarch64" => "arm64",
        "arm" => "arm",
        "riscv64" => "riscv",
        "s390x" => "s390",
        "powerpc64" | "powerpc" => "powerpc",
        "loongarch64" => "loongarch",
        "mips" | "mips64" => "mips",
        "sparc64" => "sparc",
        other => other,
    }
}

/// `<out>.d` next to the object would be left behind for users; keep it
/// beside it but hidden, and remove it after reading.
fn depfile_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.{}.d", std::process::id()))
}

/// The prerequisites of a Make rule as written by `clang -MD`.
fn parse_depfile(text: &str) -> Vec<PathBuf> {
    let body = text.replace("\\\n", " ");
    let Some((_, prereqs)) = body.split_once(": ") else {
        return Vec::new();
    };
    let mut deps = Vec::new();
    let mut cur = String::new();
    let mut chars = prereqs.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&' ') => {
                cur.push(' ');
                chars.next();
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    deps.push(PathBuf::from(std::mem::take(&mut cur)));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        deps.push(PathBuf::from(cur));
    }
    deps
}

fn shell_quote(program: &OsStr, args: &[OsString]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| {
            let s = a.to_string_lossy();
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=./,:+".contains(c))
            {
                s.into_owned()
            } else {
                format!("'{}'", s.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depfile_with_continuations_and_escaped_spaces() {
        let d = "x.o: a.bpf.c /inc/vmlinux.h \\\n  /my\\ dir/h.h\n";
        assert_eq!(
            parse_depfile(d),
            vec![
                PathBuf::from("a.bpf.c"),
                PathBuf::from("/inc/vmlinux.h"),
                PathBuf::from("/my dir/h.h")
            ]
        );
    }

    #[test]
    fn generated_headers_are_not_inputs() {
        let c = Compiled {
            object: "/o/x.bpf.o".into(),
            dependencies: [
                "/src/x.bpf.c",
                "/cache/vmlinux/ab/vmlinux.h",
                "/cache/libbpf-headers/cd/bpf/bpf_helpers.h",
                "/out/next/jobd.bpf.h",
                "/kernel/vmlinux",
                "/usr/include/linux/bpf.h",
            ]
            .map(PathBuf::from)
            .to_vec(),
            warnings: String::new(),
            command: String::new(),
            cache: "/cache".into(),
        };
        let inputs: Vec<_> = c.inputs(Some(Path::new("/out"))).collect();
        assert_eq!(
            inputs,
            [
                "/src/x.bpf.c",
                "/kernel/vmlinux",
                "/usr/include/linux/bpf.h"
            ]
            .map(Path::new)
        );
        assert_eq!(c.inputs(None).count(), 4);
    }

    #[test]
    fn arch_names_follow_bpf_tracing_h() {
        assert_eq!(kernel_arch_of("x86_64"), "x86");
        assert_eq!(kernel_arch_of("aarch64"), "arm64");
        assert_eq!(kernel_arch_of("riscv64"), "riscv");
    }

    #[test]
    fn quoting() {
        let q = shell_quote(
            OsStr::new("clang"),
            &["-I".into(), "/a b".into(), "-DX='1'".into()],
        );
        assert_eq!(q, r"clang -I '/a b' '-DX='\''1'\'''");
    }
}
