//! Just enough of QEMU's machine protocol (QMP) to save a paused boot and to
//! tell when a restored one runs: commands in, their answers out, events
//! skipped.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects to the socket QEMU listens on (`-qmp unix:PATH,server=on,wait=off`),
    /// waiting for it to appear until `deadline`, and leaves negotiation mode.
    pub fn connect(path: &Path, deadline: Instant) -> io::Result<Qmp> {
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut qmp = Qmp {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        };
        qmp.read_message()?; // the greeting
        qmp.execute("qmp_capabilities", json!({}))?;
        Ok(qmp)
    }

    /// Runs `command` and returns its `return` value; QEMU's `error` becomes
    /// an error with its description.
    pub fn execute(&mut self, command: &str, arguments: Value) -> io::Result<Value> {
        let mut line = json!({ "execute": command, "arguments": arguments }).to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes())?;
        loop {
            let mut answer = self.read_message()?;
            if let Some(ret) = answer.get_mut("return") {
                return Ok(ret.take());
            }
            if let Some(err) = answer.get("error") {
                let desc = err["desc"].as_str().unwrap_or("no description");
                return Err(io::Error::other(format!("QMP {command}: {desc}")));
            }
            // An event ({"event": ...}): not the answer.
        }
    }

    /// The VM's run state: "running", "inmigrate", "postmigrate", ...
    pub fn status(&mut self) -> io::Result<String> {
        let s = self.execute("query-status", json!({}))?;
        Ok(s["status"].as_str().unwrap_or_default().to_string())
    }

    fn read_message(&mut self) -> io::Result<Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "QEMU closed its QMP socket",
            ));
        }
        serde_json::from_str(&line).map_err(io::Error::other)
    }
}
