//! Saved boots. Under TCG the boot is most of a short run, and every run of a
//! kernel and topology boots the same way up to the point where the host's
//! root is mounted. A saved boot is that guest, stopped in its initramfs just
//! before the mount (QEMU cannot save a guest with a 9p share mounted) and
//! written to a file by QEMU; a run restores it and hands it its parameters.

use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::console::{Event, Scanner};
use crate::initramfs;
use crate::qmp::Qmp;

/// Bump when what a saved guest expects of its restore changes.
const FORMAT: &str = "modless saved boot v1";
/// How many saved boots stay (one per kernel and topology in use).
const KEEP: usize = 16;
/// Writing the guest's memory takes a second or two; a stuck save is given up.
const SAVE_LIMIT: Duration = Duration::from_secs(60);

/// One saved boot: `<saved boots>/<key>/state`, QEMU's migration stream.
pub struct Saved {
    dir: PathBuf,
}

impl Saved {
    /// The saved boot of the guest QEMU's `argv` starts, loading `files`: any
    /// change to either (a rebuilt kernel, another topology, a new QEMU) is
    /// another key. `argv` must not name per-run paths.
    pub fn for_guest(root: &Path, argv: &[OsString], files: &[PathBuf]) -> Saved {
        Saved {
            dir: root.join(key(argv, files)),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// The console of the boot that was saved.
    pub fn boot_console(&self) -> PathBuf {
        self.dir.join("console.log")
    }

    pub fn exists(&self) -> bool {
        self.state().is_file()
    }

    /// Drops a saved boot that could not be restored.
    pub fn forget(&self) {
        let _ = fs::remove_dir_all(&self.dir);
    }

    /// Boots `qemu` (console on its stdout, QMP on `qmp_socket`) until the
    /// initramfs waits for its run, within `boot_limit`, and saves the machine
    /// there. Returns how long the boot and the save took, or why there is no
    /// saved boot.
    pub fn save(
        &self,
        mut qemu: Command,
        qmp_socket: &Path,
        boot_limit: Duration,
    ) -> Result<Duration, String> {
        let started = Instant::now();
        fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        if let Some(root) = self.dir.parent() {
            prune(root, KEEP);
        }
        let mut child = qemu
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting QEMU: {e}"))?;
        let console = child.stdout.take().expect("piped");
        // Aside until saved: two runs may save the same boot at once.
        let log = self.dir.join(format!("console.log.{}", std::process::id()));
        let written = log.clone();
        let (tx, waiting) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut out = fs::File::create(log).ok();
            let mut scanner = Scanner::default();
            let mut splats = Vec::new();
            for line in BufReader::new(console).lines().map_while(|l| l.ok()) {
                if let Some(out) = &mut out {
                    let _ = writeln!(out, "{line}");
                }
                for ev in scanner.feed(&line) {
                    if let Event::Splat(s) = ev {
                        splats.push(s.line);
                    }
                }
                if line.contains(initramfs::WAITING) {
                    let _ = tx.send(std::mem::take(&mut splats));
                }
            }
        });
        let result = self.save_when_waiting(&mut child, &waiting, qmp_socket, boot_limit);
        let _ = child.kill();
        let _ = child.wait();
        let _ = reader.join();
        match result {
            Ok(()) => {
                let _ = fs::rename(written, self.boot_console());
                Ok(started.elapsed())
            }
            Err(why) => {
                let mut stderr = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
                }
                let _ = fs::remove_file(written);
                Err(match stderr.trim() {
                    "" => why,
                    qemu_said => format!("{why}; QEMU: {qemu_said}"),
                })
            }
        }
    }

    fn save_when_waiting(
        &self,
        child: &mut Child,
        waiting: &mpsc::Receiver<Vec<String>>,
        qmp_socket: &Path,
        boot_limit: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + boot_limit;
        loop {
            match waiting.recv_timeout(Duration::from_millis(20)) {
                // A boot that went wrong is not kept: each run's boot shows it.
                Ok(splats) if !splats.is_empty() => {
                    return Err(format!("the boot logged: {}", splats.join("; ")))
                }
                Ok(_) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("the guest ended before its initramfs waited".into())
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the initramfs did not wait within {} s",
                    boot_limit.as_secs()
                ));
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "QEMU exited ({status}) before the initramfs waited"
                ));
            }
        }
        let deadline = Instant::now() + SAVE_LIMIT;
        let mut qmp = Qmp::connect(qmp_socket, deadline).map_err(|e| format!("QMP socket: {e}"))?;
        let partial = self.dir.join(format!("state.{}", std::process::id()));
        let uri = format!("file:{}", partial.display());
        qmp.execute("migrate", json!({ "uri": uri }))
            .map_err(|e| e.to_string())?;
        loop {
            let m = qmp
                .execute("query-migrate", json!({}))
                .map_err(|e| e.to_string())?;
            match m["status"].as_str() {
                Some("completed") => break,
                Some("failed") | Some("cancelled") => {
                    let _ = fs::remove_file(&partial);
                    return Err(format!(
                        "QEMU could not save the guest: {}",
                        m["error-desc"].as_str().unwrap_or("no reason given")
                    ));
                }
                _ if Instant::now() >= deadline => {
                    let _ = fs::remove_file(&partial);
                    return Err("saving the guest did not finish".into());
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        let _ = qmp.execute("quit", json!({}));
        fs::rename(&partial, self.state()).map_err(|e| format!("{}: {e}", partial.display()))
    }
}

/// What a restored guest reads on its console before it mounts the root:
/// the run's parameters as NAME=VALUE words (paths without white space, which
/// `vm` checks), the host's time, and bytes for its entropy pool.
pub fn run_parameters(params: &[(&str, String)]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut seed = [0u8; 16];
    let _ = fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed));
    let mut line: String = params.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    line.push_str(&format!("modless_time={now} modless_seed="));
    for b in seed {
        line.push_str(&format!("{b:02x}"));
    }
    line.push('\n');
    line
}

/// A file's identity for the key: its path, size and modification time
/// (hashing a 100 MB vmlinux on every run would cost more than it checks).
fn identity(path: &Path) -> String {
    match fs::metadata(path) {
        Ok(m) => format!("{} {} {:?}", path.display(), m.len(), m.modified().ok()),
        Err(_) => format!("{} missing", path.display()),
    }
}

fn key(argv: &[OsString], files: &[PathBuf]) -> String {
    let mut h = Sha256::new();
    h.update(FORMAT);
    for a in argv {
        h.update(a.as_encoded_bytes());
        h.update([0]);
    }
    for f in files {
        h.update(identity(f));
        h.update([0]);
    }
    format!("{:x}", h.finalize()).chars().take(16).collect()
}

/// Removes all but the `keep` most recently saved boots.
fn prune(root: &Path, keep: usize) {
    let mut saved: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    saved.sort();
    let excess = saved.len().saturating_sub(keep);
    for (_, dir) in saved.into_iter().take(excess) {
        let _ = fs::remove_dir_all(dir);
    }
}

/// The program a `Command` for QEMU runs, found on PATH (its identity is in
/// the key: a saved guest is restored by the QEMU that saved it).
pub fn on_path(program: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(program))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_follows_the_command_line_and_the_files() {
        let dir = std::env::temp_dir().join(format!("modless-saved-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let kernel = dir.join("vmlinux");
        fs::write(&kernel, "one").unwrap();
        let argv = |s: &str| -> Vec<OsString> { s.split(' ').map(OsString::from).collect() };
        let a = key(&argv("-m 1024M -smp 4"), std::slice::from_ref(&kernel));
        assert_eq!(
            a,
            key(&argv("-m 1024M -smp 4"), std::slice::from_ref(&kernel))
        );
        assert_ne!(
            a,
            key(&argv("-m 1024M -smp 2"), std::slice::from_ref(&kernel))
        );
        assert_ne!(
            a,
            key(&argv("-m 1024M -smp4"), std::slice::from_ref(&kernel))
        );
        fs::write(&kernel, "rebuilt").unwrap();
        assert_ne!(
            a,
            key(&argv("-m 1024M -smp 4"), std::slice::from_ref(&kernel)),
            "a rebuilt kernel is another saved boot"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_restored_guest_gets_one_line_of_words() {
        let line = run_parameters(&[("modless_run", "/r".into()), ("modless_cwd", "/c".into())]);
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..2], ["modless_run=/r", "modless_cwd=/c"]);
        assert!(words[2].starts_with("modless_time="));
        assert!(words[3].starts_with("modless_seed=") && words[3].len() == 13 + 32);
    }
}
