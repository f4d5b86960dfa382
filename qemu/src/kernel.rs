//! Which kernel the guest boots: built from Debian's linux-source package and
//! cached, or given by the user as an image or a tree.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, IoContext, Result};
use crate::initramfs;
use crate::patches::{self, Patch};

/// The config fragment modless needs, applied on top of `make tinyconfig`.
pub const FRAGMENT: &str = include_str!("../kernel/modless.config");
/// Overrides of the "fast" profile.
const FAST: &str = include_str!("../kernel/fast.config");

/// Which checkers the kernel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// lockdep, UBSAN, list and sleep-in-atomic checks: what tests run on.
    Debug,
    /// Without them: what benchmarks run on.
    Fast,
}

impl Profile {
    /// The fragment for this profile: the base with the profile's lines
    /// replacing the base's lines for the same options.
    pub fn fragment(self) -> String {
        match self {
            Profile::Debug => FRAGMENT.to_string(),
            Profile::Fast => apply_overrides(FRAGMENT, FAST),
        }
    }
}

/// The option a config line sets or unsets, if any.
fn option_of(line: &str) -> Option<&str> {
    let l = line.trim();
    if let Some(rest) = l.strip_prefix("# ").filter(|r| r.ends_with(" is not set")) {
        return rest.split(' ').next().filter(|o| o.starts_with("CONFIG_"));
    }
    l.split_once('=')
        .map(|(o, _)| o)
        .filter(|o| o.starts_with("CONFIG_"))
}

fn apply_overrides(base: &str, overrides: &str) -> String {
    let replaced: std::collections::HashSet<&str> =
        overrides.lines().filter_map(option_of).collect();
    let mut out: String = base
        .lines()
        .filter(|l| option_of(l).is_none_or(|o| !replaced.contains(o)))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push('\n');
    out.push_str(overrides);
    out
}
/// Bump when the build recipe (not the fragment) changes what is produced.
const RECIPE: &str = "tinyconfig+fragment+all/v1";

/// Where a kernel comes from.
#[derive(Debug, Clone)]
pub enum KernelSource {
    /// Debian's `linux-source-<version>` tarball, built here and cached.
    Debian {
        version: String,
        profile: Profile,
        changes: Changes,
    },
    /// A bzImage the user built or downloaded, and where its modules are
    /// (found next to the image or in /lib/modules/<release> if not given).
    Image {
        image: PathBuf,
        modules: Option<PathBuf>,
    },
    /// A built kernel tree (a subsystem author's own).
    Tree(PathBuf),
}

/// What a build adds to Debian's source and the profile's fragment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Applied in order before configuring, so the Kconfig symbols they add
    /// are there for `make tinyconfig` and `olddefconfig`.
    pub patches: Vec<Patch>,
    /// Config lines appended to the fragment; each must hold in the
    /// resolved `.config` or the build stops before `make all`.
    pub config: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.patches.is_empty() && self.config.is_empty()
    }

    /// Checks the config lines: `CONFIG_X=v` or `# CONFIG_X is not set`.
    pub fn new(patches: Vec<Patch>, config: Vec<String>) -> Result<Self> {
        let config: Vec<String> = config.iter().map(|l| l.trim().to_string()).collect();
        if let Some(bad) = config.iter().find(|l| option_of(l).is_none()) {
            return Err(Error::BadConfigLine(bad.clone()));
        }
        Ok(Changes { patches, config })
    }

    /// The fragment for `profile` with these config lines added.
    fn fragment(&self, profile: Profile) -> String {
        let mut f = profile.fragment();
        if !self.config.is_empty() {
            f.push_str("\n# added for this kernel (--kernel-config, a suite's [kernel] config)\n");
            for l in &self.config {
                f.push_str(l);
                f.push('\n');
            }
        }
        f
    }
}

/// A bootable kernel, and the tree out-of-tree modules build against.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kernel {
    pub image: PathBuf,
    pub tree: Option<PathBuf>,
    pub label: String,
    /// For images that need modules to mount the 9p root.
    pub initrd: Option<PathBuf>,
}

impl Kernel {
    /// The built tree's `.config`; empty for an image, whose config is not at hand.
    pub fn config(&self) -> String {
        self.tree
            .as_ref()
            .and_then(|t| fs::read_to_string(t.join(".config")).ok())
            .unwrap_or_default()
    }

    /// What QEMU loads: a built tree's `vmlinux` when its config has the PVH
    /// entry point (QEMU places the ELF itself: the decompressor, 0.4-0.5 s
    /// of a TCG boot, never runs), otherwise the bzImage.
    pub fn boot_file(&self) -> PathBuf {
        let pvh = self.config().lines().any(|l| l == "CONFIG_PVH=y");
        match &self.tree {
            Some(t) if pvh && t.join("vmlinux").is_file() => t.join("vmlinux"),
            _ => self.image.clone(),
        }
    }
}

/// Where a distribution image's modules live: beside it (Debian's
/// /usr/lib/modules/<release>/vmlinuz) or in /lib/modules/<release>.
fn modules_dir_for(image: &Path, release: &str) -> Option<PathBuf> {
    let beside = image.parent().filter(|d| d.join("kernel").is_dir());
    let system = Path::new("/lib/modules").join(release);
    beside
        .map(Path::to_path_buf)
        .or_else(|| system.join("kernel").is_dir().then_some(system))
}

#[derive(Debug, Serialize, Deserialize)]
struct Stamp {
    label: String,
    package_version: String,
    config_sha256: String,
    build_seconds: u64,
    /// The patch files applied (their series hash is in the cache key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    patches: Vec<String>,
    /// Lines of `make` output, to show progress of the next build.
    #[serde(default)]
    build_steps: u64,
}

impl KernelSource {
    pub fn acquire(&self, cache: &Path) -> Result<Kernel> {
        match self {
            KernelSource::Image { image, modules } => {
                if !image.is_file() {
                    return Err(Error::NoImage(image.clone()));
                }
                let release = initramfs::image_release(image)?;
                let modules = modules.clone().or_else(|| modules_dir_for(image, &release));
                let initrd = match modules {
                    Some(dir) => {
                        let out = cache.join("initramfs").join(&release);
                        fs::create_dir_all(&out).ctx(|| format!("creating {}", out.display()))?;
                        Some(initramfs::build(image, &dir, &out)?)
                    }
                    None => None,
                };
                Ok(Kernel {
                    image: image.clone(),
                    tree: None,
                    label: format!("linux {release} ({})", image.display()),
                    initrd,
                })
            }
            KernelSource::Tree(t) => {
                let image = t.join("arch/x86/boot/bzImage");
                if !image.is_file() {
                    return Err(Error::NoImage(image));
                }
                warn_missing_options(&t.join(".config"));
                Ok(Kernel {
                    image,
                    tree: Some(t.clone()),
                    label: format!("tree {}", t.display()),
                    initrd: None,
                })
            }
            KernelSource::Debian {
                version,
                profile,
                changes,
            } => build_debian(version, *profile, changes, cache),
        }
    }
}

/// The tarball of Debian's `linux-source-<version>` package, and how to get it.
fn debian_tarball(version: &str) -> (PathBuf, String) {
    let tarball = PathBuf::from(format!("/usr/src/linux-source-{version}.tar.xz"));
    let suite = if version == "6.12" {
        "bookworm"
    } else {
        "trixie-backports"
    };
    let install = format!("apt-get install -t {suite} linux-source-{version}");
    (tarball, install)
}

fn package_version(version: &str) -> Result<String> {
    let pkg = format!("linux-source-{version}");
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", &pkg])
        .output()
        .ctx(|| "running dpkg-query".into())?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Cache key: the package version plus a hash of the config input, the
/// recipe and the patches (without patches, the hash is the one it always was).
pub fn cache_key(package_version: &str, fragment: &str, patches: &[Patch]) -> (String, String) {
    let mut h = Sha256::new();
    h.update(RECIPE.as_bytes());
    h.update(fragment.as_bytes());
    patches::hash_into(&mut h, patches);
    let hex = format!("{:x}", h.finalize());
    let ver: String = package_version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (format!("{ver}-{}", &hex[..12]), hex)
}

/// Where a build is cached: plain builds in `kernels/` (which BPF builds fall
/// back to for their target kernel), patched or reconfigured ones apart.
fn entry_dir(cache: &Path, key: &str, changes: &Changes) -> PathBuf {
    let kind = if changes.is_empty() {
        "kernels"
    } else {
        "kernels-custom"
    };
    cache.join(kind).join(key)
}

fn build_debian(
    version: &str,
    profile: Profile,
    changes: &Changes,
    cache: &Path,
) -> Result<Kernel> {
    let fragment_text = changes.fragment(profile);
    let (tarball, install) = debian_tarball(version);
    if !tarball.is_file() {
        return Err(Error::SourceMissing { tarball, install });
    }
    let pkgver = package_version(version)?;
    let (key, config_sha256) = cache_key(&pkgver, &fragment_text, &changes.patches);
    let dir = entry_dir(cache, &key, changes);
    let tree = dir.join("linux");
    let image = tree.join("arch/x86/boot/bzImage");
    let stamp_path = dir.join("ready.json");
    let name = match profile {
        Profile::Debug => "debug",
        Profile::Fast => "fast",
    };
    let mut label = format!("linux {pkgver} ({name} config {})", &config_sha256[..12]);
    if !changes.patches.is_empty() {
        let n = changes.patches.len();
        let series = patches::series_sha256(&changes.patches);
        label.push_str(&format!(
            " + {n} patch{} {}",
            if n == 1 { "" } else { "es" },
            &series[..12]
        ));
    }

    fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
    let _lock = DirLock::take(&dir.join(".lock"))?;
    if stamp_path.is_file() && image.is_file() {
        eprintln!("[kernel] cached: {} ({})", label, tree.display());
        return Ok(Kernel {
            image,
            tree: Some(tree),
            label,
            initrd: None,
        });
    }

    let started = Instant::now();
    if tree.exists() {
        // A build that was interrupted: start over rather than trust half a tree.
        fs::remove_dir_all(&tree).ctx(|| format!("removing stale {}", tree.display()))?;
    }
    fs::create_dir_all(&tree).ctx(|| format!("creating {}", tree.display()))?;
    let log = dir.join("build.log");
    let mut logf = fs::File::create(&log).ctx(|| format!("creating {}", log.display()))?;
    eprintln!("[kernel] extracting {} ...", tarball.display());
    run_step(
        Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&tree)
            .arg("--strip-components=1"),
        "tar -x",
        &log,
        &mut logf,
        None,
    )?;

    if !changes.patches.is_empty() {
        eprintln!(
            "[kernel] applying {} patch(es): {}",
            changes.patches.len(),
            changes
                .patches
                .iter()
                .map(|p| p.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Err(e) = patches::apply(&tree, &changes.patches) {
            // Half a patched tree is worth nothing, and it is 1.5 GB.
            let _ = fs::remove_dir_all(&tree);
            return Err(e);
        }
    }

    let fragment = dir.join("modless.config");
    fs::write(&fragment, &fragment_text).ctx(|| format!("writing {}", fragment.display()))?;
    eprintln!("[kernel] configuring: tinyconfig + {}", fragment.display());
    run_step(
        make(&tree).arg("tinyconfig"),
        "make tinyconfig",
        &log,
        &mut logf,
        None,
    )?;
    run_step(
        Command::new(tree.join("scripts/kconfig/merge_config.sh"))
            .current_dir(&tree)
            .args(["-m", ".config"])
            .arg(&fragment),
        "merge_config.sh",
        &log,
        &mut logf,
        None,
    )?;
    run_step(
        make(&tree).arg("olddefconfig"),
        "make olddefconfig",
        &log,
        &mut logf,
        None,
    )?;
    // What was asked for this kernel must hold on any version.
    let extra = missing_options(&tree.join(".config"), &changes.config.join("\n"));
    if !extra.is_empty() {
        return Err(Error::ConfigAsked {
            missing: extra.join(", "),
            config: tree.join(".config"),
        });
    }
    let missing = missing_options(&tree.join(".config"), &fragment_text);
    if !missing.is_empty() && version == "7.3" {
        return Err(Error::ConfigMissing {
            missing: missing.join(", "),
            fragment,
            version: version.into(),
        });
    }
    for m in &missing {
        eprintln!("[kernel] note: {m} is not available in linux {version}");
    }

    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get() + 1);
    eprintln!(
        "[kernel] building linux {pkgver} with {jobs} jobs (log: {})",
        log.display()
    );
    let progress = Progress {
        started,
        expected: expected_steps(cache, &pkgver),
    };
    let steps = run_step(
        make(&tree).arg(format!("-j{jobs}")).arg("all"),
        "make all",
        &log,
        &mut logf,
        Some(progress),
    )?;
    if !image.is_file() {
        return Err(Error::NoImage(image));
    }
    let stamp = Stamp {
        label: label.clone(),
        package_version: pkgver,
        config_sha256,
        patches: changes
            .patches
            .iter()
            .map(|p| p.path.display().to_string())
            .collect(),
        build_seconds: started.elapsed().as_secs(),
        build_steps: steps,
    };
    let json = serde_json::to_string_pretty(&stamp).expect("stamp serializes");
    fs::write(&stamp_path, json).ctx(|| format!("writing {}", stamp_path.display()))?;
    eprintln!("[kernel] built in {}", fmt_secs(started.elapsed()));
    Ok(Kernel {
        image,
        tree: Some(tree),
        label,
        initrd: None,
    })
}

fn make(tree: &Path) -> Command {
    let mut c = Command::new("make");
    c.current_dir(tree);
    c
}

struct Progress {
    started: Instant,
    /// Steps of an earlier build, if one is cached: "n of about m".
    expected: Option<u64>,
}

/// What an earlier build of the same package recorded (plain or patched:
/// other versions build a different number of objects), else of any.
fn expected_steps(cache: &Path, package_version: &str) -> Option<u64> {
    let stamps: Vec<Stamp> = ["kernels", "kernels-custom"]
        .iter()
        .filter_map(|d| fs::read_dir(cache.join(d)).ok())
        .flatten()
        .filter_map(|e| fs::read_to_string(e.ok()?.path().join("ready.json")).ok())
        .filter_map(|t| serde_json::from_str::<Stamp>(&t).ok())
        .filter(|s| s.build_steps > 0)
        .collect();
    let most = |same: bool| {
        stamps
            .iter()
            .filter(|s| !same || s.package_version == package_version)
            .map(|s| s.build_steps)
            .max()
    };
    most(true).or_else(|| most(false))
}

/// `step N of about M`, until N passes M: then the estimate was off, and
/// the line says so instead of counting past it.
fn progress_steps(steps: u64, expected: Option<u64>) -> String {
    match expected {
        Some(n) if steps <= n => format!("step {steps} of about {n}"),
        Some(n) => format!("step {steps} (past the {n} of the earlier build)"),
        None => format!("step {steps}"),
    }
}

/// Runs one build step, appending its output to the log, and returns how many
/// lines of output it printed. With `progress`, a status line with the step
/// count and elapsed time goes to stderr every few seconds.
fn run_step(
    cmd: &mut Command,
    step: &str,
    log: &Path,
    logf: &mut fs::File,
    progress: Option<Progress>,
) -> Result<u64> {
    let _ = writeln!(logf, "### {step}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ctx(|| format!("starting {step}"))?;
    let stderr = child.stderr.take().expect("piped");
    let err_log = logf.try_clone().ctx(|| "cloning log handle".into())?;
    let err_thread = std::thread::spawn(move || copy_lines(stderr, err_log));
    let stdout = child.stdout.take().expect("piped");
    let mut steps = 0u64;
    let mut last = Instant::now();
    for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
        let _ = writeln!(logf, "{line}");
        steps += 1;
        if let Some(p) = &progress {
            if last.elapsed() >= Duration::from_secs(10) {
                eprintln!(
                    "[kernel] {}, {} elapsed ({})",
                    progress_steps(steps, p.expected),
                    fmt_secs(p.started.elapsed()),
                    line.trim()
                );
                last = Instant::now();
            }
        }
    }
    let _ = err_thread.join();
    let status = child.wait().ctx(|| format!("waiting for {step}"))?;
    if status.success() {
        return Ok(steps);
    }
    Err(Error::BuildFailed {
        step: step.into(),
        log: log.into(),
        tail: tail(log, 30),
    })
}

fn copy_lines(r: impl std::io::Read, mut w: fs::File) {
    for line in BufReader::new(r).lines().map_while(|l| l.ok()) {
        let _ = writeln!(w, "{line}");
    }
}

fn tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

pub fn fmt_secs(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}m{:02}s", s / 60, s % 60)
}

/// Options the fragment sets that the resolved `.config` does not have.
pub fn missing_options(config: &Path, fragment: &str) -> Vec<String> {
    let have = fs::read_to_string(config).unwrap_or_default();
    let have: std::collections::HashSet<&str> = have.lines().collect();
    fragment
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CONFIG_"))
        .filter(|l| !have.contains(l))
        .map(str::to_string)
        .collect()
}

/// The options a user-supplied tree must have for the guest to boot here.
const BOOT_NEEDS: &[&str] = &[
    "CONFIG_9P_FS=y",
    "CONFIG_NET_9P_VIRTIO=y",
    "CONFIG_VIRTIO_PCI=y",
    "CONFIG_SERIAL_8250_CONSOLE=y",
    "CONFIG_MAGIC_SYSRQ=y",
    "CONFIG_DEVTMPFS=y",
];

fn warn_missing_options(config: &Path) {
    warn_missing(config, BOOT_NEEDS);
}

/// Warns (a user's tree is theirs to configure) when `config` lacks `lines`.
pub fn warn_missing(config: &Path, lines: &[impl AsRef<str>]) {
    let lines: Vec<&str> = lines.iter().map(AsRef::as_ref).collect();
    let missing = missing_options(config, &lines.join("\n"));
    if !missing.is_empty() {
        eprintln!(
            "[kernel] warning: {} lacks {}, which the guest or its tests need",
            config.display(),
            missing.join(", ")
        );
    }
}

/// An exclusive lock on a cache entry, so two runs never build the same kernel.
struct DirLock(#[allow(dead_code)] fs::File);

impl DirLock {
    fn take(path: &Path) -> Result<Self> {
        use std::os::fd::AsRawFd;
        let f = fs::File::create(path).ctx(|| format!("creating {}", path.display()))?;
        // SAFETY: flock on a descriptor we own; it is released when `f` closes.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            eprintln!("[kernel] another run is building this kernel; waiting ...");
            // SAFETY: as above, now blocking.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(Error::Io {
                    context: format!("locking {}", path.display()),
                    source: std::io::Error::last_os_error(),
                });
            }
        }
        Ok(DirLock(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_built_with_pvh_boots_its_vmlinux() {
        let tree = tempfile::tempdir().unwrap();
        let t = tree.path();
        let kernel = Kernel {
            image: t.join("arch/x86/boot/bzImage"),
            tree: Some(t.to_path_buf()),
            label: "k".into(),
            initrd: None,
        };
        fs::write(t.join(".config"), "CONFIG_PVH=y\n").unwrap();
        assert_eq!(kernel.boot_file(), kernel.image, "no vmlinux: the image");
        fs::write(t.join("vmlinux"), "").unwrap();
        assert_eq!(kernel.boot_file(), t.join("vmlinux"));
        fs::write(t.join(".config"), "# CONFIG_PVH is not set\n").unwrap();
        assert_eq!(kernel.boot_file(), kernel.image, "no PVH entry: the image");
        let image = Kernel {
            tree: None,
            ..kernel.clone()
        };
        assert_eq!(image.boot_file(), image.image);
    }

    #[test]
    fn cache_key_changes_with_version_and_config_only() {
        let (a, _) = cache_key("7.3.4-1~bpo13+1", "CONFIG_A=y\n", &[]);
        let (b, _) = cache_key("7.3.4-1~bpo13+1", "CONFIG_A=y\n", &[]);
        let (c, _) = cache_key("7.3.4-1~bpo13+1", "CONFIG_B=y\n", &[]);
        let (d, _) = cache_key("7.3.5-1", "CONFIG_A=y\n", &[]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert!(a.starts_with("7.3.4-1_bpo13_1-"), "{a}");
    }

    fn patch(text: &str) -> Patch {
        Patch {
            path: PathBuf::from("/p/0001-x.patch"),
            text: text.as_bytes().to_vec(),
        }
    }

    /// Existing users' cached kernels stay valid: without patches or config
    /// lines, the key is the hash it was before patches existed, and the
    /// entry is where it was.
    #[test]
    fn an_unpatched_kernel_keeps_its_key_and_place() {
        let frag = Profile::Debug.fragment();
        let mut h = Sha256::new();
        h.update(RECIPE.as_bytes());
        h.update(frag.as_bytes());
        let before = format!("{:x}", h.finalize());
        let plain = Changes::default();
        assert_eq!(plain.fragment(Profile::Debug), frag);
        let (key, hex) = cache_key("7.3.4-1~bpo13+1", &plain.fragment(Profile::Debug), &[]);
        assert_eq!(hex, before);
        assert_eq!(key, format!("7.3.4-1_bpo13_1-{}", &before[..12]));
        let cache = Path::new("/c");
        assert_eq!(
            entry_dir(cache, &key, &plain),
            cache.join("kernels").join(&key)
        );
    }

    #[test]
    fn patches_and_config_lines_make_their_own_entry() {
        let v = "7.3.4-1~bpo13+1";
        let frag = Profile::Debug.fragment();
        let (plain, _) = cache_key(v, &frag, &[]);
        let (p1, _) = cache_key(v, &frag, &[patch("A")]);
        let (p1b, _) = cache_key(v, &frag, &[patch("A")]);
        let (p2, _) = cache_key(v, &frag, &[patch("B")]);
        assert_eq!(p1, p1b, "same content, same kernel");
        assert_ne!(p1, plain);
        assert_ne!(p1, p2, "the patch content is in the key");

        let with_cfg = Changes::new(vec![patch("A")], vec!["CONFIG_BPF_OOM=y".into()]).unwrap();
        let f = with_cfg.fragment(Profile::Debug);
        assert!(
            f.starts_with(&frag) && f.ends_with("CONFIG_BPF_OOM=y\n"),
            "{f}"
        );
        let (pc, _) = cache_key(v, &f, &with_cfg.patches);
        assert_ne!(pc, p1, "the config lines are in the key");
        assert_eq!(
            entry_dir(Path::new("/c"), &pc, &with_cfg),
            Path::new("/c/kernels-custom").join(&pc)
        );
    }

    #[test]
    fn config_lines_must_set_or_unset_an_option() {
        assert!(Changes::new(vec![], vec!["# CONFIG_X is not set".into()]).is_ok());
        for bad in ["BPF_OOM=y", "CONFIG_BPF_OOM", "y"] {
            let err = Changes::new(vec![], vec![bad.into()]).unwrap_err();
            assert!(matches!(err, Error::BadConfigLine(_)), "{bad}: {err}");
        }
    }

    #[test]
    fn progress_says_when_the_estimate_was_off() {
        assert_eq!(progress_steps(10, Some(100)), "step 10 of about 100");
        assert_eq!(
            progress_steps(120, Some(100)),
            "step 120 (past the 100 of the earlier build)"
        );
        assert_eq!(progress_steps(7, None), "step 7");

        let cache = tempfile::tempdir().unwrap();
        let stamp = |dir: &str, ver: &str, steps: u64| {
            let d = cache.path().join(dir);
            fs::create_dir_all(&d).unwrap();
            let s = Stamp {
                label: "l".into(),
                package_version: ver.into(),
                config_sha256: "c".into(),
                build_seconds: 1,
                patches: vec![],
                build_steps: steps,
            };
            fs::write(d.join("ready.json"), serde_json::to_string(&s).unwrap()).unwrap();
        };
        assert_eq!(expected_steps(cache.path(), "7.3.4"), None);
        stamp("kernels/6.12-x", "6.12.117", 4000);
        assert_eq!(
            expected_steps(cache.path(), "7.3.4"),
            Some(4000),
            "any build"
        );
        stamp("kernels-custom/7.3-p", "7.3.4", 5200);
        stamp("kernels/7.3-x", "7.3.4", 5100);
        assert_eq!(
            expected_steps(cache.path(), "7.3.4"),
            Some(5200),
            "the same package"
        );
    }

    #[test]
    fn missing_options_lists_only_unset_ones() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join(".config");
        fs::write(&cfg, "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=16\n").unwrap();
        let missing = missing_options(&cfg, "# comment\nCONFIG_A=y\nCONFIG_B=y\nCONFIG_C=16\n");
        assert_eq!(missing, vec!["CONFIG_B=y".to_string()]);
    }

    #[test]
    fn the_fast_profile_replaces_only_the_options_it_names() {
        let fast = Profile::Fast.fragment();
        assert!(!fast.lines().any(|l| l == "CONFIG_PROVE_LOCKING=y"));
        assert!(fast
            .lines()
            .any(|l| l == "# CONFIG_PROVE_LOCKING is not set"));
        assert!(fast.lines().any(|l| l == "CONFIG_SCHED_CLASS_EXT=y"));
        assert_eq!(Profile::Debug.fragment(), FRAGMENT);
        let (a, _) = cache_key("v", &Profile::Debug.fragment(), &[]);
        let (b, _) = cache_key("v", &fast, &[]);
        assert_ne!(a, b, "profiles are cached apart");
    }

    #[test]
    fn the_fragment_asks_for_what_the_harness_relies_on() {
        for need in BOOT_NEEDS.iter().chain(&[
            "CONFIG_SCHED_CLASS_EXT=y",
            "CONFIG_DEBUG_INFO_BTF_MODULES=y",
        ]) {
            assert!(
                FRAGMENT.lines().any(|l| l == *need),
                "fragment lacks {need}"
            );
        }
    }
}
