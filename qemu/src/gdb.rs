//! `--gdb`: QEMU's gdb stub, and the gdb command line that attaches to it
//! with the kernel's symbols (and its own gdb helpers when it built them).

use std::path::Path;

use crate::kernel::Kernel;
use crate::suite::shell_quote;

/// Where the stub listens (only this host), and whether the guest waits for
/// a debugger before its first instruction.
#[derive(Debug, Clone, Copy)]
pub struct Stub {
    pub port: u16,
    pub wait: bool,
}

impl Stub {
    pub fn qemu_args(&self) -> Vec<String> {
        let mut v = vec!["-gdb".into(), format!("tcp:127.0.0.1:{}", self.port)];
        if self.wait {
            v.push("-S".into());
        }
        v
    }

    /// What to tell the user: the exact command, and what to know first.
    pub fn instructions(&self, kernel: &Kernel) -> String {
        let port = self.port;
        let mut cmd = String::from("gdb");
        let mut notes = Vec::new();
        match kernel.tree.as_deref() {
            Some(tree) => {
                cmd.push(' ');
                cmd.push_str(&shell_quote(&tree.join("vmlinux").to_string_lossy()));
                helpers(tree, &mut cmd, &mut notes);
            }
            None => notes.push(
                "this image comes without its vmlinux: add `-ex 'file VMLINUX'` for symbols".into(),
            ),
        }
        cmd.push_str(&format!(" -ex 'target remote 127.0.0.1:{port}'"));
        if self.wait {
            notes.push(
                "the guest waits for it; the kernel is decompressed over memory after that, so \
                 set breakpoints with `hbreak` until it runs (then `break` works too)"
                    .into(),
            );
        }
        let mut s = format!("[qemu] gdb stub on 127.0.0.1:{port}; attach with:\n  {cmd}\n");
        for n in notes {
            s.push_str(&format!("[qemu] gdb: {n}\n"));
        }
        s
    }
}

/// The kernel's gdb scripts (lx-dmesg, lx-ps ...) when the tree built them.
fn helpers(tree: &Path, cmd: &mut String, notes: &mut Vec<String>) {
    let script = tree.join("vmlinux-gdb.py");
    if script.is_file() {
        let t = shell_quote(&tree.to_string_lossy());
        let s = shell_quote(&script.to_string_lossy());
        cmd.push_str(&format!(
            " -iex 'add-auto-load-safe-path '{t} -ex 'source '{s}"
        ));
    } else {
        notes.push(
            "no lx-* helpers: this tree lacks CONFIG_GDB_SCRIPTS (`--kernel-config \
             CONFIG_GDB_SCRIPTS=y` builds a kernel with them)"
                .into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn kernel(tree: Option<PathBuf>) -> Kernel {
        Kernel {
            image: PathBuf::from("/k/bzImage"),
            tree,
            label: "k".into(),
            initrd: None,
        }
    }

    #[test]
    fn the_command_names_vmlinux_the_port_and_the_helpers_when_built() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().to_path_buf();
        let stub = Stub {
            port: 4321,
            wait: true,
        };
        assert_eq!(stub.qemu_args(), ["-gdb", "tcp:127.0.0.1:4321", "-S"]);
        let text = stub.instructions(&kernel(Some(tree.clone())));
        let cmd = text.lines().nth(1).unwrap().trim();
        assert_eq!(
            cmd,
            format!(
                "gdb {}/vmlinux -ex 'target remote 127.0.0.1:4321'",
                tree.display()
            )
        );
        assert!(text.contains("CONFIG_GDB_SCRIPTS"), "{text}");
        assert!(text.contains("hbreak"), "{text}");

        std::fs::write(tree.join("vmlinux-gdb.py"), "").unwrap();
        let text = stub.instructions(&kernel(Some(tree.clone())));
        assert!(
            text.contains(&format!("-ex 'source '{}/vmlinux-gdb.py", tree.display())),
            "{text}"
        );
        assert!(!text.contains("CONFIG_GDB_SCRIPTS"), "{text}");

        let free = Stub {
            port: 1234,
            wait: false,
        };
        assert_eq!(free.qemu_args(), ["-gdb", "tcp:127.0.0.1:1234"]);
        assert!(free.instructions(&kernel(None)).contains("file VMLINUX"));
    }
}
