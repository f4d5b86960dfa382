//! Why an ops table stopped running (like sched_ext's UEI) and what the
//! caller wants done then (a restart policy).

use std::time::{Duration, Instant, SystemTime};

use crate::error::Result;
use crate::extension::Extension;
use crate::link::OpsLink;

/// Who ended an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// The loader detached it (drop, `detach`, a stop request).
    Requested,
    /// The kernel detached it: the subsystem unregistered the table
    /// (module unload, error exit, its own watchdog).
    Kernel,
}

/// The exit-info record: which table, who ended it, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitInfo {
    /// The struct_ops map.
    pub map: String,
    /// Who ended it.
    pub kind: ExitKind,
    /// When the loader saw it.
    pub at: SystemTime,
    /// A sentence for people.
    pub reason: String,
}

/// What [`supervise`] does when the kernel detaches the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Report the exit and stop.
    Never,
    /// Re-attach after `backoff`, at most `max_restarts` times.
    Restart {
        /// Upper bound on re-attachments.
        max_restarts: u32,
        /// Pause before each re-attachment.
        backoff: Duration,
    },
}

/// Keeps `map` of `ext` attached until `deadline`, re-attaching per
/// `policy` when the kernel detaches it; returns every exit seen (the last
/// one `Requested` when the deadline ended it). A failed re-attachment
/// ends supervision with that error.
pub fn supervise(
    ext: &Extension,
    map: &str,
    policy: RestartPolicy,
    deadline: Instant,
) -> Result<Vec<ExitInfo>> {
    let mut exits = Vec::new();
    let mut restarts = 0u32;
    let mut link: OpsLink = ext.attach_ops(map)?;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            link.detach()?;
            exits.push(ExitInfo {
                map: map.to_string(),
                kind: ExitKind::Requested,
                at: SystemTime::now(),
                reason: "supervision time is up".into(),
            });
            return Ok(exits);
        }
        if !link.wait_detached(left.min(Duration::from_millis(200)))? && link.is_attached()? {
            continue;
        }
        exits.push(ExitInfo {
            map: map.to_string(),
            kind: ExitKind::Kernel,
            at: SystemTime::now(),
            reason: "the kernel detached the ops table (subsystem unregistered it)".into(),
        });
        match policy {
            RestartPolicy::Restart {
                max_restarts,
                backoff,
            } if restarts < max_restarts => {
                restarts += 1;
                std::thread::sleep(backoff);
                drop(link);
                link = ext.attach_ops(map)?;
            }
            _ => return Ok(exits),
        }
    }
}
