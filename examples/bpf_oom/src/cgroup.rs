//! The cgroup v2 tree the tests OOM in: a parent with memory.max and leaf
//! children, removed again (and checked removable) when a test is done.

use anyhow::{ensure, Context};
use std::ffi::CString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const ROOT: &str = "/sys/fs/cgroup";
const MIB: u64 = 1 << 20;

fn write(path: &Path, value: &str) -> anyhow::Result<()> {
    fs::write(path, value).with_context(|| format!("writing {value:?} to {}", path.display()))
}

fn read(path: &Path) -> anyhow::Result<String> {
    fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// `key value` lines (memory.events, cgroup.stat): the value of `key`.
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// One cgroup directory.
#[derive(Debug)]
pub struct Cgroup {
    pub path: PathBuf,
}

impl Cgroup {
    /// Creates `name` under `parent` (left over from an aborted run: removed first).
    fn create(parent: &Path, name: &str) -> anyhow::Result<Self> {
        let path = parent.join(name);
        if path.exists() {
            remove_tree(&path)?;
        }
        fs::create_dir(&path).with_context(|| format!("mkdir {}", path.display()))?;
        Ok(Self { path })
    }

    /// A child of this cgroup, with the memory controller enabled for it.
    pub fn child(&self, name: &str) -> anyhow::Result<Self> {
        write(&self.path.join("cgroup.subtree_control"), "+memory")?;
        Self::create(&self.path, name)
    }

    /// The cgroup id, as BPF sees it (kernfs node id = the directory's inode).
    pub fn id(&self) -> anyhow::Result<u64> {
        Ok(fs::metadata(&self.path)?.ino())
    }

    /// `cgroup.procs` as a C string, for a forked child to write itself into.
    pub fn procs_path(&self) -> CString {
        CString::new(
            self.path
                .join("cgroup.procs")
                .as_os_str()
                .as_encoded_bytes(),
        )
        .expect("no NUL in a cgroup path")
    }

    /// `oom_kill` in memory.events (hierarchical: kills in this cgroup and below).
    pub fn oom_kills(&self) -> anyhow::Result<u64> {
        let text = read(&self.path.join("memory.events"))?;
        keyed(&text, "oom_kill").context("no oom_kill in memory.events")
    }

    pub fn procs(&self) -> anyhow::Result<Vec<i32>> {
        Ok(read(&self.path.join("cgroup.procs"))?
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect())
    }
}

/// Removes `path` and every cgroup below it; fails if a process is left in one.
pub fn remove_tree(path: &Path) -> anyhow::Result<()> {
    for e in fs::read_dir(path)? {
        let p = e?.path();
        if p.is_dir() {
            remove_tree(&p)?;
        }
    }
    fs::remove_dir(path)
        .with_context(|| format!("rmdir {} (a process left in it?)", path.display()))
}

/// A test's parent cgroup directly under the root, limited to `limit_mib`
/// with no swap: an allocation past it OOMs in this memcg.
pub fn limited(name: &str, limit_mib: u64) -> anyhow::Result<Cgroup> {
    let root = Path::new(ROOT);
    write(&root.join("cgroup.subtree_control"), "+memory")?;
    let cg = Cgroup::create(root, name)?;
    write(&cg.path.join("memory.max"), &(limit_mib * MIB).to_string())?;
    let swap = cg.path.join("memory.swap.max");
    if swap.exists() {
        write(&swap, "0")?;
    }
    Ok(cg)
}

/// Cgroups removed but not yet freed, system-wide. A task or css reference
/// that is never dropped keeps one here for good.
pub fn dying() -> anyhow::Result<u64> {
    let text = read(&Path::new(ROOT).join("cgroup.stat"))?;
    keyed(&text, "nr_dying_descendants").context("no nr_dying_descendants in cgroup.stat")
}

/// Waits until the dying cgroups are down to `baseline`; the last count if
/// they are not within `timeout`.
pub fn wait_dying_at_most(baseline: u64, timeout: Duration) -> anyhow::Result<u64> {
    let until = Instant::now() + timeout;
    loop {
        let n = dying()?;
        if n <= baseline || Instant::now() >= until {
            return Ok(n);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Fails unless `cg` exists with the memory controller (the kernel needs MEMCG).
pub fn ensure_memory(cg: &Cgroup) -> anyhow::Result<()> {
    ensure!(
        cg.path.join("memory.events").exists(),
        "{} has no memory.events: the kernel lacks the memory controller",
        cg.path.display()
    );
    Ok(())
}
