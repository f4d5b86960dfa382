//! Whether the kernel still runs an attached ops table. For most
//! subsystems the link says it (the kernel detaches it on unregister); a
//! sched_ext scheduler is disabled by sched_ext itself (an error, the
//! watchdog, SysRq-S) while its link stays attached, so for it the
//! scheduler's state in sysfs decides, and the kernel log says why.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

const SCX: &str = "/sys/kernel/sched_ext";

/// How to tell that a table stopped running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Watch {
    /// The link alone.
    Link,
    /// sched_ext: the root scheduler as seen right after attach (`None`
    /// when sched_ext was not enabled by then) and when (boot clock, µs).
    SchedExt { ops: Option<String>, since_us: u64 },
}

/// Whether a struct_ops type (flavour suffix ignored) is sched_ext's:
/// `sched_ext_ops`, and 7.3's `sched_ext_ops_cid`.
pub(crate) fn is_sched_ext(type_name: &str) -> bool {
    let essential = crate::flavor::essential_name(type_name);
    essential == "sched_ext_ops" || essential.starts_with("sched_ext_ops_")
}

fn read(file: &str) -> Option<String> {
    std::fs::read_to_string(format!("{SCX}/{file}"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// Microseconds on the clock printk stamps records with.
fn now_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
}

impl Watch {
    /// The watch for a table of `type_name`, taken right after it attached.
    pub(crate) fn attached(type_name: &str) -> Self {
        if !is_sched_ext(type_name) {
            return Watch::Link;
        }
        let enabled = read("state").as_deref() == Some("enabled");
        Watch::SchedExt {
            ops: enabled.then(|| read("root/ops")).flatten(),
            // a little slack: printk's clock and ours are both monotonic
            since_us: now_us().saturating_sub(1_000_000),
        }
    }

    /// `None` while the table runs as far as anything but the link can
    /// tell; else what shows that it stopped.
    pub(crate) fn stopped(&self) -> Option<String> {
        let Watch::SchedExt { ops, .. } = self else {
            return None;
        };
        let state = read("state").unwrap_or_else(|| "gone".into());
        let root = read("root/ops");
        match ops {
            None => Some(format!(
                "sched_ext was not enabled right after the attach (state `{state}`)"
            )),
            Some(_) if state != "enabled" => Some(format!("sched_ext is `{state}`")),
            Some(mine) if root.as_deref() != Some(mine) => Some(format!(
                "sched_ext's root scheduler is {}, not `{mine}`",
                root.map_or("gone".to_string(), |r| format!("`{r}`"))
            )),
            Some(_) => None,
        }
    }

    /// After a stop: waits (up to `limit`) until sched_ext finished
    /// disabling, so its exit op ran and its log lines are written; then
    /// returns those lines.
    pub(crate) fn settle(&self, limit: Duration) -> Vec<String> {
        let Watch::SchedExt { since_us, .. } = self else {
            return Vec::new();
        };
        let until = Instant::now() + limit;
        while read("state").is_some_and(|s| s != "disabled") && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        kernel_log(*since_us, "sched_ext:")
    }
}

/// Kernel log messages since `since_us` that contain `needle` (from
/// /dev/kmsg; empty when it cannot be read).
pub(crate) fn kernel_log(since_us: u64, needle: &str) -> Vec<String> {
    let Ok(mut f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/dev/kmsg")
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    // one record per read; EAGAIN at the end, EPIPE for overwritten ones
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Some(m) = record_message(&buf[..n], since_us, needle) {
                    out.push(m);
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(_) => break,
        }
    }
    out
}

/// `pri,seq,usec,flags;message\n continuation...`: the message if it is
/// from `since_us` on and contains `needle`.
pub(crate) fn record_message(record: &[u8], since_us: u64, needle: &str) -> Option<String> {
    let text = String::from_utf8_lossy(record);
    let (head, msg) = text.split_once(';')?;
    let usec: u64 = head.split(',').nth(2)?.parse().ok()?;
    let msg = msg.lines().next()?.trim_end();
    (usec >= since_us && msg.contains(needle)).then(|| msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sched_ext_types_with_and_without_flavours() {
        assert!(is_sched_ext("sched_ext_ops"));
        assert!(is_sched_ext("sched_ext_ops_cid"));
        assert!(is_sched_ext("sched_ext_ops___v2"));
        assert!(!is_sched_ext("tcp_congestion_ops"));
        assert!(!is_sched_ext("jobd_ops"));
        assert_eq!(Watch::attached("jobd_ops"), Watch::Link);
        assert_eq!(Watch::Link.stopped(), None);
    }

    #[test]
    fn kmsg_records_filter_by_time_and_text() {
        let r = b"3,812,5000000,-;sched_ext: BPF scheduler \"late\" disabled (runtime error)\n SUBSYSTEM=x\n";
        assert_eq!(
            record_message(r, 4_000_000, "sched_ext:").as_deref(),
            Some("sched_ext: BPF scheduler \"late\" disabled (runtime error)")
        );
        assert_eq!(record_message(r, 6_000_000, "sched_ext:"), None);
        assert_eq!(record_message(r, 0, "jobd"), None);
        assert_eq!(record_message(b"garbage", 0, ""), None);
    }
}
