//! sched_ext's words for an exit record (modless-loader's [`ExitRecord`],
//! which dombal's ops.exit() fills as `uei`).

use modless_loader::ExitRecord;

/// The `enum scx_exit_kind` name (include/linux/sched/ext.h / internal.h).
pub fn kind_name(kind: i64) -> &'static str {
    match kind {
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
pub fn is_error(r: &ExitRecord) -> bool {
    r.kind >= 1024
}

/// The watchdog's "failed to run" stall exit.
pub fn is_stall(r: &ExitRecord) -> bool {
    kind_name(r.kind) == "ERROR_STALL"
}

/// `KIND (n): reason: message (exit code 0x..)`, for people.
pub fn describe(r: &ExitRecord) -> String {
    let mut out = format!("{} ({}): {}", kind_name(r.kind), r.kind, r.reason);
    if let Some(msg) = &r.message {
        out.push_str(&format!(": {msg}"));
    }
    if r.code != 0 {
        out.push_str(&format!(" (exit code {:#x})", r.code));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_reads_as_the_kernel_names_it() {
        let r = ExitRecord {
            kind: 1026,
            code: 0,
            reason: "runnable task stall".into(),
            message: Some("t[7] failed to run".into()),
            dump: None,
        };
        assert!(is_stall(&r) && is_error(&r));
        assert_eq!(
            describe(&r),
            "ERROR_STALL (1026): runnable task stall: t[7] failed to run"
        );
    }
}
