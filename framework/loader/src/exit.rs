//! Why an ops table stopped running (like sched_ext's UEI) and what the
//! caller wants done then (a restart policy).
//!
//! The kernel side of the record is the exit op the generated glue calls
//! from unreg/update with `struct <sub>_exit_info`; the BPF program copies
//! it into a global (`MODLESS_EXIT_RECORD`, or sched_ext's `UEI_RECORD`),
//! which the loader reads here after it saw the link detached.

use std::time::{Duration, Instant, SystemTime};

use crate::error::Result;
use crate::extension::ExtensionOf;
use crate::link::OpsLink;
use crate::obj_btf::ObjMember;

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
    /// A sentence for people: the subsystem's reason when the program
    /// recorded one, else what the loader saw.
    pub reason: String,
    /// What the program's exit op recorded, if it has one.
    pub record: Option<ExitRecord>,
    /// The kernel's log lines about the stop (sched_ext's reason), if any.
    pub kernel_log: Vec<String>,
}

/// What a program's exit op wrote to its exit record: the subsystem's
/// `struct <sub>_exit_info` (or sched_ext's `scx_exit_info`) as passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitRecord {
    /// The subsystem's exit kind (`<SUB>_EXIT_UNREG`, `_SWAP`, `_EJECT`
    /// for generated glue; `SCX_EXIT_*` for sched_ext).
    pub kind: i64,
    /// The code the subsystem gave (`<sub>_bpf_eject(code, ...)`).
    pub code: i64,
    /// The subsystem's reason.
    pub reason: String,
    /// A longer message, where the record has one (sched_ext's `msg`).
    pub message: Option<String>,
    /// The subsystem's debug dump, where the record has one (`dump`).
    pub dump: Option<String>,
}

/// Global variables that hold an exit record, in the order they are tried:
/// modless's `MODLESS_EXIT_RECORD_DEFINE()` and sched_ext's `UEI_DEFINE(uei)`.
pub const EXIT_RECORD_VARS: &[&str] = &["modless_exit", "uei"];

impl ExtensionOf<'_> {
    /// The exit record of the object, if it defines one and its exit op has
    /// run since it was attached (or last cleared).
    pub fn exit_record(&self) -> Option<ExitRecord> {
        EXIT_RECORD_VARS
            .iter()
            .find_map(|var| Some((self.global(var).ok()?, self.global_members(var)?)))
            .and_then(|(bytes, members)| decode_record(&bytes, &members))
    }

    /// Zeroes the exit record, so the next exit is told apart from the last.
    pub fn clear_exit_record(&self) {
        for var in EXIT_RECORD_VARS {
            if let Ok(b) = self.global(var) {
                let _ = self.set_global(var, &vec![0u8; b.len()]);
            }
        }
    }
}

fn field<'a>(bytes: &'a [u8], members: &[ObjMember], name: &str) -> Option<&'a [u8]> {
    let m = members.iter().find(|m| m.name == name)?;
    bytes.get(m.offset..m.offset + m.size)
}

fn int(b: &[u8]) -> Option<i64> {
    Some(match b.len() {
        4 => i64::from(i32::from_ne_bytes(b.try_into().ok()?)),
        8 => i64::from_ne_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

fn c_string(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A record from its bytes and BTF layout: `kind`, `exit_code`, `reason`
/// and optionally `msg`; `None` while `kind` is 0 (nothing recorded).
pub(crate) fn decode_record(bytes: &[u8], members: &[ObjMember]) -> Option<ExitRecord> {
    let kind = int(field(bytes, members, "kind")?)?;
    if kind == 0 {
        return None;
    }
    Some(ExitRecord {
        kind,
        code: field(bytes, members, "exit_code")
            .and_then(int)
            .unwrap_or(0),
        reason: field(bytes, members, "reason")
            .map(c_string)
            .unwrap_or_default(),
        message: field(bytes, members, "msg")
            .map(c_string)
            .filter(|m| !m.is_empty()),
        dump: field(bytes, members, "dump")
            .map(c_string)
            .filter(|m| !m.is_empty()),
    })
}

impl ExitInfo {
    fn new(map: &str, kind: ExitKind, seen: &str, record: Option<ExitRecord>) -> Self {
        let reason = match &record {
            Some(r) if !r.reason.is_empty() => format!("{} (exit code {})", r.reason, r.code),
            _ => seen.to_string(),
        };
        ExitInfo {
            map: map.to_string(),
            kind,
            at: SystemTime::now(),
            reason,
            record,
            kernel_log: Vec::new(),
        }
    }
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
    ext: &ExtensionOf<'_>,
    map: &str,
    policy: RestartPolicy,
    deadline: Instant,
) -> Result<Vec<ExitInfo>> {
    let mut exits = Vec::new();
    let mut restarts = 0u32;
    ext.clear_exit_record();
    let mut link: OpsLink = ext.attach_ops(map)?;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            link.detach()?;
            exits.push(ExitInfo::new(
                map,
                ExitKind::Requested,
                "supervision time is up",
                ext.exit_record(),
            ));
            return Ok(exits);
        }
        link.wait_detached(left.min(Duration::from_millis(200)))?;
        let Some(stop) = link.stopped()? else {
            continue;
        };
        // the exit op ran in unreg (sched_ext: in its disable worker, which
        // `stopped` waited for)
        let mut info = ExitInfo::new(map, ExitKind::Kernel, &stop.seen, ext.exit_record());
        info.kernel_log = stop.kernel_log;
        exits.push(info);
        match policy {
            RestartPolicy::Restart {
                max_restarts,
                backoff,
            } if restarts < max_restarts => {
                restarts += 1;
                std::thread::sleep(backoff);
                drop(link);
                ext.clear_exit_record();
                link = ext.attach_ops(map)?;
            }
            _ => return Ok(exits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, offset: usize, size: usize) -> ObjMember {
        ObjMember {
            name: name.into(),
            offset,
            size,
            tags: Vec::new(),
            type_id: 0,
        }
    }

    /// `struct modless_exit_record` / sched_ext's `user_exit_info` layout.
    fn layout(with_msg: bool) -> (Vec<ObjMember>, usize) {
        let mut m = vec![
            member("kind", 0, 4),
            member("exit_code", 8, 8),
            member("reason", 16, 128),
        ];
        if with_msg {
            m.push(member("msg", 144, 1024));
        }
        let size = if with_msg { 1168 } else { 144 };
        (m, size)
    }

    fn record(kind: i32, code: i64, reason: &str, msg: Option<&str>) -> Vec<u8> {
        let (_, size) = layout(msg.is_some());
        let mut b = vec![0u8; size];
        b[..4].copy_from_slice(&kind.to_ne_bytes());
        b[8..16].copy_from_slice(&code.to_ne_bytes());
        b[16..16 + reason.len()].copy_from_slice(reason.as_bytes());
        if let Some(m) = msg {
            b[144..144 + m.len()].copy_from_slice(m.as_bytes());
        }
        b
    }

    #[test]
    fn nothing_recorded_while_kind_is_zero() {
        let (m, size) = layout(false);
        assert_eq!(decode_record(&vec![0u8; size], &m), None);
    }

    #[test]
    fn modless_record_decodes() {
        let (m, _) = layout(false);
        let r = decode_record(&record(3, -22, "chose domain 1000", None), &m).unwrap();
        assert_eq!(
            r,
            ExitRecord {
                kind: 3,
                code: -22,
                reason: "chose domain 1000".into(),
                message: None,
                dump: None,
            }
        );
        let info = ExitInfo::new("ops", ExitKind::Kernel, "seen", Some(r));
        assert_eq!(info.reason, "chose domain 1000 (exit code -22)");
    }

    #[test]
    fn sched_ext_uei_decodes_with_its_message() {
        let (m, _) = layout(true);
        let b = record(64, 0, "unregistered from user space", Some("bye"));
        let r = decode_record(&b, &m).unwrap();
        assert_eq!(r.kind, 64);
        assert_eq!(r.message.as_deref(), Some("bye"));
    }

    #[test]
    fn a_global_without_kind_is_not_a_record() {
        let m = vec![member("reason", 0, 16)];
        assert_eq!(decode_record(&[b'x'; 16], &m), None);
        let info = ExitInfo::new("ops", ExitKind::Kernel, "the kernel detached it", None);
        assert_eq!(info.reason, "the kernel detached it");
    }
}
