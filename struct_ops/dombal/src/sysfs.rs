//! sched_ext's sysfs view: `/sys/kernel/sched_ext/{state,root/ops,enable_seq}`.

use std::path::Path;

const ROOT: &str = "/sys/kernel/sched_ext";

fn read(rel: &str) -> Option<String> {
    std::fs::read_to_string(Path::new(ROOT).join(rel))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// Whether the kernel has sched_ext at all.
pub fn present() -> bool {
    Path::new(ROOT).join("state").is_file()
}

/// `enabling`, `enabled`, `disabling` or `disabled` (`None` without sched_ext).
pub fn state() -> Option<String> {
    read("state")
}

/// The attached root scheduler's `ops.name`, if one is attached.
pub fn root_ops() -> Option<String> {
    read("root/ops")
}

/// How many schedulers have been enabled since boot.
pub fn enable_seq() -> Option<u64> {
    read("enable_seq")?.parse().ok()
}

/// Waits up to `timeout` for `state` to read `want`; returns the last state seen.
pub fn wait_state(want: &str, timeout: std::time::Duration) -> Option<String> {
    let end = std::time::Instant::now() + timeout;
    loop {
        let s = state();
        if s.as_deref() == Some(want) || std::time::Instant::now() >= end {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
