//! What the kernel said when it ejected (or unregistered) the scheduler.

use std::fmt;

use crate::abi::{c_str, ExitInfoRaw};

/// `ops.exit()`'s record: kind, code, reason, message and debug dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitInfo {
    pub kind: i32,
    pub exit_code: i64,
    pub reason: String,
    pub msg: String,
    pub dump: String,
}

impl ExitInfo {
    /// `None` while the scheduler has not exited (kind 0).
    pub fn from_raw(raw: &ExitInfoRaw) -> Option<Self> {
        (raw.kind != 0).then(|| Self {
            kind: raw.kind,
            exit_code: raw.exit_code,
            reason: c_str(&raw.reason),
            msg: c_str(&raw.msg),
            dump: c_str(&raw.dump),
        })
    }

    /// The `enum scx_exit_kind` name (include/linux/sched/ext.h / internal.h).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            1 => "DONE",
            64 => "UNREG",
            65 => "UNREG_BPF",
            66 => "UNREG_KERN",
            67 => "SYSRQ",
            68 => "PARENT",
            69 => "PARENT_KILL",
            1024 => "ERROR",
            1025 => "ERROR_BPF",
            1026 => "ERROR_STALL",
            1027 => "ERROR_REENQ",
            1028 => "ERROR_RESCUE",
            _ => "OTHER",
        }
    }

    /// An error exit (kind >= SCX_EXIT_ERROR), as opposed to an orderly unregister.
    pub fn is_error(&self) -> bool {
        self.kind >= 1024
    }

    /// The watchdog's "failed to run" stall exit.
    pub fn is_stall(&self) -> bool {
        self.kind_name() == "ERROR_STALL"
    }
}

impl fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.kind_name(), self.kind, self.reason)?;
        if !self.msg.is_empty() {
            write!(f, ": {}", self.msg)?;
        }
        if self.exit_code != 0 {
            write!(f, " (exit code {:#x})", self.exit_code)?;
        }
        Ok(())
    }
}
