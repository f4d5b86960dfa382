//! brutal.bpf.o held by `modless load`, as an administrator runs it: the
//! congestion control registered and the setsockopt program on the root
//! cgroup until SIGINT.

use anyhow::{bail, ensure, Context};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sys;

/// The object build.rs compiled.
pub const OBJECT: &str = concat!(env!("OUT_DIR"), "/brutal.bpf.o");

/// The congestion controls new sockets may select.
pub fn available() -> String {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_congestion_control")
        .unwrap_or_default()
}

pub fn registered() -> bool {
    available().split_whitespace().any(|n| n == "brutal")
}

/// A running `modless load brutal.bpf.o`.
#[derive(Debug)]
pub struct Loaded {
    child: Option<Child>,
    out: Arc<Mutex<String>>,
}

fn modless() -> anyhow::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name("modless"))
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(60);
    while !ok() {
        ensure!(Instant::now() < until, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

impl Loaded {
    /// Runs `modless load OBJECT --set NAME=VALUE...` and waits until both
    /// programs are attached.
    pub fn start(sets: &[(&str, u64)]) -> anyhow::Result<Self> {
        ensure!(!registered(), "brutal is registered before loading");
        let mut cmd = Command::new(modless()?);
        cmd.arg("load").arg(OBJECT);
        for (name, value) in sets {
            cmd.arg("--set").arg(format!("{name}={value}"));
        }
        println!("  $ {cmd:?}");
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .context("running modless load")?;
        let out = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().expect("piped");
        let sink = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("  | {line}");
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut loaded = Loaded {
            child: Some(child),
            out,
        };
        wait_until("modless load holds brutal.bpf.o", || {
            loaded.output().contains("holding") || loaded.exited()
        })?;
        ensure!(
            !loaded.exited(),
            "modless load exited:\n{}",
            loaded.output()
        );
        let out = loaded.output();
        ensure!(
            out.contains("attached struct_ops map brutal"),
            "modless load did not attach the congestion control:\n{out}"
        );
        ensure!(
            out.contains(
                "attached program brutal_setsockopt (cgroup/setsockopt) to cgroup /sys/fs/cgroup"
            ),
            "modless load did not attach the setsockopt program to the root cgroup:\n{out}"
        );
        ensure!(registered(), "brutal is not in {:?}", available().trim());
        Ok(loaded)
    }

    pub fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_some())
    }

    /// SIGINT, as an administrator stops it: exits 0 having detached both.
    pub fn detach(mut self) -> anyhow::Result<()> {
        let mut child = self.child.take().expect("running");
        let sent = sys::interrupt(child.id());
        let status = child.wait()?;
        sent?;
        wait_until("modless load printed all it had", || {
            self.output().contains("detached")
        })
        .ok();
        if !status.success() {
            bail!("modless load exited with {status}:\n{}", self.output());
        }
        ensure!(
            self.output().contains("detached"),
            "modless load did not say it detached"
        );
        Ok(())
    }
}

impl Drop for Loaded {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = sys::interrupt(c.id());
            let _ = c.wait();
        }
    }
}
