//! Links as RAII handles: dropping one detaches; `disconnect`/`pin` keep
//! it alive past the process. `OpsLink::swap` hot-swaps a running table.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use libbpf_rs::Link;

use crate::error::{classify, LoadError, Result, Step};
use crate::extension::{ExtensionOf, OpsMap};
use crate::log::capture;
use crate::open::errno_of;
use crate::sys;
use crate::watch::Watch;

/// An attached struct_ops map (`.struct_ops.link`): the kernel calls its
/// programs until this is dropped.
#[must_use = "dropping an OpsLink detaches the ops table at once"]
#[derive(Debug)]
pub struct OpsLink {
    pub(crate) link: Link,
    pub(crate) object: PathBuf,
    pub(crate) map: String,
    pub(crate) watch: Watch,
}

/// How the loader saw that the kernel stopped running a table nobody
/// detached: see [`OpsLink::stopped`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// What showed it: the link detached, or sched_ext's state.
    pub seen: String,
    /// The kernel's log lines about it (sched_ext's reason), if any.
    pub kernel_log: Vec<String>,
}

/// How long [`OpsLink::stopped`] waits for the subsystem to finish
/// stopping (sched_ext disables in a worker).
const SETTLE: Duration = Duration::from_secs(5);

/// An attached fentry/fexit/fmod_ret (or other auto-attached) program, or
/// a cgroup program attached to its cgroup.
#[must_use = "dropping a HookLink detaches the program at once"]
#[derive(Debug)]
pub struct HookLink {
    pub(crate) link: Link,
    pub(crate) program: String,
    pub(crate) section: String,
    pub(crate) cgroup: Option<PathBuf>,
}

/// Everything `Extension::attach_all` attached; dropping it detaches all.
#[derive(Debug, Default)]
#[must_use = "dropping Attached detaches everything at once"]
pub struct Attached {
    /// One link per struct_ops map.
    pub ops: Vec<OpsLink>,
    /// One link per hook program.
    pub hooks: Vec<HookLink>,
}

fn link_fd(link: &Link) -> BorrowedFd<'_> {
    link.as_fd()
}

impl OpsLink {
    /// The struct_ops map currently attached through this link.
    pub fn map(&self) -> &str {
        &self.map
    }

    /// Atomically replaces the running ops table with `map` of `ext` (a
    /// loaded object whose map is of the same type): calls see either the
    /// old or the new table, never none; the old one is released once
    /// in-flight calls drained (the kernel's RCU grace period).
    pub fn swap<M: OpsMap + ?Sized>(&mut self, ext: &ExtensionOf<'_>, map: &M) -> Result<()> {
        let m = ext.struct_ops_map(map)?;
        let map = map.ops_map_name();
        let (ret, log) = capture(|| sys::update_map(&mut self.link, &m));
        if let Err(errno) = ret {
            return Err(classify(
                ext.path().to_path_buf(),
                Step::Attach {
                    target: format!("{} (swap)", map),
                    is_ops: true,
                },
                errno,
                log,
            ));
        }
        self.object = ext.path().to_path_buf();
        self.map = map;
        Ok(())
    }

    /// Whether the kernel still runs this table: `false` once the
    /// subsystem detached it (module unloaded, error exit) or, for
    /// sched_ext, once sched_ext disabled the scheduler (its link stays).
    pub fn is_attached(&self) -> Result<bool> {
        Ok(self.info()?.map_id != 0 && self.watch.stopped().is_none())
    }

    /// `None` while the kernel runs this table; else what showed that it
    /// stopped, once the subsystem finished stopping (its exit op ran),
    /// with the kernel's log lines about it.
    pub fn stopped(&self) -> Result<Option<Stopped>> {
        let seen = if self.info()?.map_id == 0 {
            "the kernel detached the ops table (the subsystem unregistered it)".to_string()
        } else {
            match self.watch.stopped() {
                Some(s) => s,
                None => return Ok(None),
            }
        };
        Ok(Some(Stopped {
            seen,
            kernel_log: self.watch.settle(SETTLE),
        }))
    }

    /// Waits up to `timeout` for the kernel to detach the table (link fd
    /// signals EPOLLHUP); `true` when it did.
    pub fn wait_detached(&self, timeout: Duration) -> Result<bool> {
        let mut pfd = libc::pollfd {
            fd: link_fd(&self.link).as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the duration of the call.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            return Err(LoadError::Kernel {
                what: format!("poll on the link of `{}`", self.map),
                source: io::Error::last_os_error(),
            });
        }
        Ok(n > 0 && pfd.revents & (libc::POLLHUP | libc::POLLERR) != 0)
    }

    /// Kernel ids behind the link.
    pub fn info(&self) -> Result<LinkIds> {
        link_ids(&self.link, &self.map)
    }

    /// Detaches now and reports how.
    pub fn detach(self) -> Result<()> {
        self.link.detach().map_err(|e| LoadError::Kernel {
            what: format!("detaching `{}`", self.map),
            source: io::Error::other(e.to_string()),
        })
    }

    /// Keeps the table attached after this handle (and the process) is gone.
    pub fn disconnect(mut self) {
        self.link.disconnect();
    }

    /// Pins the link in bpffs so it outlives the process; `unpin`/remove the
    /// file and close every fd to detach.
    pub fn pin(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.link.pin(path.as_ref()).map_err(|e| LoadError::Kernel {
            what: format!("pinning `{}` at {}", self.map, path.as_ref().display()),
            source: io::Error::other(e.to_string()),
        })
    }
}

impl HookLink {
    /// The program's function name.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// Its ELF section, e.g. `fentry/jobd_job_complete`.
    pub fn section(&self) -> &str {
        &self.section
    }

    /// The cgroup a cgroup program is attached to.
    pub fn cgroup(&self) -> Option<&Path> {
        self.cgroup.as_deref()
    }

    /// Keeps the program attached after this handle is gone.
    pub fn disconnect(mut self) {
        self.link.disconnect();
    }

    /// Pins the link in bpffs.
    pub fn pin(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.link.pin(path.as_ref()).map_err(|e| LoadError::Kernel {
            what: format!("pinning `{}` at {}", self.program, path.as_ref().display()),
            source: io::Error::other(e.to_string()),
        })
    }
}

/// Kernel ids of a link and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkIds {
    /// The link's id.
    pub link_id: u32,
    /// For a struct_ops link, the attached map (0 once detached).
    pub map_id: u32,
}

fn link_ids(link: &Link, what: &str) -> Result<LinkIds> {
    let info = link.info().map_err(|e| LoadError::Kernel {
        what: format!("link info of `{what}`"),
        source: errno_of(&e),
    })?;
    let map_id = match info.info {
        libbpf_rs::query::LinkTypeInfo::StructOps(s) => s.map_id,
        _ => 0,
    };
    Ok(LinkIds {
        link_id: info.id,
        map_id,
    })
}
