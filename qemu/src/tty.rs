//! The host side of `--shell`: the guest's console is the user's terminal, so
//! QEMU owns it and writes the console log itself, which the harness follows
//! to judge the run as it judges any other.

use std::fs::File;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Reads a file that another process is still appending to: at its end it
/// waits for more, until `stop` is set (then it reads what is left and ends).
pub struct Follow {
    file: File,
    stop: Arc<AtomicBool>,
}

impl Follow {
    pub fn new(file: File, stop: Arc<AtomicBool>) -> Self {
        Follow { file, stop }
    }
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            // Read the flag first: data written before it was set is still read.
            let stopping = self.stop.load(Ordering::Acquire);
            let n = self.file.read(buf)?;
            if n > 0 || stopping {
                return Ok(n);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The terminal's settings, to put back if QEMU dies without restoring them
/// (it sets the terminal raw while it runs).
pub struct Saved(Option<String>);

impl Saved {
    pub fn take() -> Self {
        Saved(stty(&["-g"]).filter(|s| !s.is_empty()))
    }
}

impl Drop for Saved {
    fn drop(&mut self) {
        if let Some(s) = &self.0 {
            let _ = stty(&[s.as_str()]);
        }
    }
}

/// Rows and columns of the terminal on stdin, if it is one.
pub fn size() -> Option<(u16, u16)> {
    let out = stty(&["size"])?;
    let mut it = out.split_whitespace().map(str::parse::<u16>);
    match (it.next()?, it.next()?) {
        (Ok(r), Ok(c)) if r > 0 && c > 0 => Some((r, c)),
        _ => None,
    }
}

/// The host's `$TERM` when it is safe on a kernel command line.
pub fn term() -> Option<String> {
    std::env::var("TERM").ok().filter(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(&b))
    })
}

/// `stty ARGS` on our stdin; its output when it succeeded.
fn stty(args: &[&str]) -> Option<String> {
    let out = Command::new("stty")
        .args(args)
        .stdin(Stdio::inherit())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};

    #[test]
    fn follow_reads_what_is_appended_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.log");
        let mut w = File::create(&path).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let r = Follow::new(File::open(&path).unwrap(), stop.clone());
        let reader = std::thread::spawn(move || {
            BufReader::new(r)
                .lines()
                .map(Result::unwrap)
                .collect::<Vec<_>>()
        });
        w.write_all(b"first\n").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        w.write_all(b"second\nlast, no newline").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, Ordering::Release);
        assert_eq!(
            reader.join().unwrap(),
            ["first", "second", "last, no newline"]
        );
    }
}
