//! The guest's initramfs: busybox, the modules the 9p root needs (for
//! kernels that build virtio-9p as modules: Debian's images), and an init that
//! loads them, mounts the host's / and hands over to the harness's init. A boot
//! that is being saved (`snapshot`) stops in it before the root is mounted.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};

/// What the 9p root needs, then what guest suites need that Debian builds as
/// modules (tcp_brutal: veth, netem), in any order; dependencies are found
/// from modinfo.
const ROOT_MODULES: &[&str] = &["virtio_pci", "9pnet_virtio", "9p", "veth", "sch_netem"];

/// The line a saved boot prints when it waits for its run (`snapshot`).
pub const WAITING: &str = "MODLESS-SNAPSHOT-WAITING";

const INIT: &str = r#"#!/bin/busybox sh
# initramfs stage of a modless guest: load the 9p root's modules, mount the
# host's / read-only and run the harness's init there.
bb=/bin/busybox
$bb mkdir -p /proc /dev /newroot
$bb mount -t proc proc /proc
$bb mount -t devtmpfs devtmpfs /dev
for m in $($bb cat /modules.order); do
	$bb insmod "/modules/$m" || echo "MODLESS-INIT-ERROR insmod $m failed"
done
if [ -n "$modless_wait" ]; then
	# This boot is being saved: QEMU cannot save a guest with a 9p share
	# mounted, so it stops here. Each restored copy reads its run's
	# parameters (NAME=VALUE words) and the host's time from the console.
	set -f
	$bb stty -echo
	echo "MODLESS-SNAPSHOT-WAITING"
	read -r line || echo "MODLESS-INIT-ERROR no run parameters on the console"
	for word in $line; do export "$word"; done
	$bb date -s "@$modless_time" >/dev/null || echo "MODLESS-INIT-ERROR cannot set the clock"
	# Every copy starts from one entropy pool: the host's bytes make them differ.
	echo "$modless_seed" >/dev/urandom
	set +f
fi
$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro /dev/root /newroot ||
	echo "MODLESS-INIT-ERROR cannot mount the 9p root"
$bb umount /proc
$bb umount /dev
exec $bb switch_root /newroot "$modless_init"
"#;

/// The release string a bzImage carries (`7.3.4+deb13-amd64`), from its setup header.
pub fn image_release(image: &Path) -> Result<String> {
    let mut buf = Vec::new();
    fs::File::open(image)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut buf))
        .ctx(|| format!("reading {}", image.display()))?;
    let bad = || Error::NoImage(image.to_path_buf());
    // boot protocol: "HdrS" at 0x202; kernel_version at 0x20e is an offset from 0x200
    if buf.get(0x202..0x206) != Some(b"HdrS") {
        return Err(bad());
    }
    let off = u16::from_le_bytes([buf[0x20e], buf[0x20f]]) as usize + 0x200;
    let text = buf.get(off..).ok_or_else(bad)?;
    let end = text
        .iter()
        .position(|&b| b == 0 || b == b' ')
        .ok_or_else(bad)?;
    Ok(String::from_utf8_lossy(&text[..end]).into_owned())
}

/// Modules by name (dashes as underscores) under a modules directory.
fn index_modules(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
                if let Some(stem) = name.split(".ko").next().filter(|_| name.contains(".ko")) {
                    out.insert(stem.replace('-', "_"), p);
                }
            }
        }
    }
    out
}

/// A module's bytes, decompressed (Debian ships `.ko.xz`).
fn module_bytes(path: &Path) -> Result<Vec<u8>> {
    let name = path.to_string_lossy();
    let tool = if name.ends_with(".xz") {
        Some("xz")
    } else if name.ends_with(".zst") {
        Some("zstd")
    } else if name.ends_with(".gz") {
        Some("gzip")
    } else {
        None
    };
    match tool {
        None => fs::read(path).ctx(|| format!("reading {name}")),
        Some(t) => {
            let out = Command::new(t)
                .args(["-dc"])
                .arg(path)
                .stderr(Stdio::inherit())
                .output()
                .map_err(|_| Error::ToolMissing(t.into(), format!("apt-get install {t}-utils")))?;
            if !out.status.success() {
                return Err(Error::Io {
                    context: format!("{t} -dc {name}"),
                    source: std::io::Error::other("decompression failed"),
                });
            }
            Ok(out.stdout)
        }
    }
}

/// The `depends=` list of a module's `.modinfo`.
fn depends(ko: &[u8]) -> Vec<String> {
    let key = b"depends=";
    ko.windows(key.len())
        .position(|w| w == key)
        .map(|i| {
            let rest = &ko[i + key.len()..];
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            String::from_utf8_lossy(&rest[..end])
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.replace('-', "_"))
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `<dir>/initramfs-<hash>.cpio` for `image` (once for its content), taking
/// modules from `modules_dir`.
pub fn build(image: &Path, modules_dir: &Path, dir: &Path) -> Result<PathBuf> {
    let index = index_modules(modules_dir);
    // Depth-first: a module goes in after everything it depends on.
    let mut modules = Vec::new();
    let mut seen = BTreeSet::new();
    let mut todo: Vec<(String, Option<Vec<u8>>)> = ROOT_MODULES
        .iter()
        .rev()
        .map(|m| (m.to_string(), None))
        .collect();
    while let Some((name, loaded)) = todo.pop() {
        if let Some(bytes) = loaded {
            modules.push((name, bytes));
            continue;
        }
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(path) = index.get(&name) else {
            continue; // built in
        };
        let bytes = module_bytes(path)?;
        let deps = depends(&bytes);
        todo.push((name, Some(bytes)));
        todo.extend(deps.into_iter().map(|d| (d, None)));
    }
    let cpio = write(dir, &modules)?;
    eprintln!(
        "[kernel] initramfs for {} with {}",
        image.display(),
        if modules.is_empty() {
            "no modules (9p is built in)".into()
        } else {
            let names: Vec<&str> = modules.iter().map(|(n, _)| n.as_str()).collect();
            names.join(", ")
        }
    );
    Ok(cpio)
}

/// The initramfs of a kernel with 9p built in (a saved boot needs one to
/// stop in), under `cache`.
pub fn plain(cache: &Path) -> Result<PathBuf> {
    write(&cache.join("initramfs").join("plain"), &[])
}

const BUSYBOX: &str = "/bin/busybox";

fn busybox_missing() -> Error {
    Error::ToolMissing("busybox".into(), "apt-get install busybox-static".into())
}

/// Writes `<dir>/initramfs-<hash>.cpio`: busybox, the init, and `modules`
/// (name, bytes) loaded in their order. Named by its content and written only
/// once: a saved boot is keyed on the file's path and time, and cpio's bytes
/// would differ each time anyway (the staged files' times and inodes).
fn write(dir: &Path, modules: &[(String, Vec<u8>)]) -> Result<PathBuf> {
    let busybox = fs::metadata(BUSYBOX).map_err(|_| busybox_missing())?;
    let mut h = Sha256::new();
    h.update(INIT);
    h.update(format!("{} {:?}", busybox.len(), busybox.modified().ok()));
    for (name, bytes) in modules {
        h.update(name);
        h.update([0]);
        h.update(bytes);
    }
    let id: String = format!("{:x}", h.finalize()).chars().take(12).collect();
    let cpio = dir.join(format!("initramfs-{id}.cpio"));
    if cpio.is_file() {
        return Ok(cpio);
    }
    let stage = dir.join(format!("initramfs.{}", std::process::id()));
    let _ = fs::remove_dir_all(&stage);
    fs::create_dir_all(stage.join("modules")).ctx(|| "creating initramfs stage".into())?;
    fs::create_dir_all(stage.join("bin")).ctx(|| "creating initramfs stage".into())?;
    let mut order = String::new();
    for (name, bytes) in modules {
        fs::write(stage.join("modules").join(format!("{name}.ko")), bytes)
            .ctx(|| "writing module".into())?;
        order.push_str(&format!("{name}.ko\n"));
    }
    fs::write(stage.join("modules.order"), order).ctx(|| "writing modules.order".into())?;
    fs::copy(BUSYBOX, stage.join("bin/busybox")).map_err(|_| busybox_missing())?;
    let init = stage.join("init");
    fs::write(&init, INIT).ctx(|| "writing init".into())?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&init, fs::Permissions::from_mode(0o755)).ctx(|| "chmod init".into())?;

    // Written aside and renamed: another run may be writing the same one.
    let partial = dir.join(format!("initramfs.cpio.{}", std::process::id()));
    let status = Command::new("sh")
        .arg("-c")
        .arg("find . | cpio -o -H newc --quiet > \"$0\"")
        .arg(&partial)
        .current_dir(&stage)
        .status()
        .ctx(|| "running cpio".into())?;
    if !status.success() {
        return Err(Error::ToolMissing(
            "cpio".into(),
            "apt-get install cpio".into(),
        ));
    }
    fs::rename(&partial, &cpio).ctx(|| format!("writing {}", cpio.display()))?;
    let _ = fs::remove_dir_all(&stage);
    Ok(cpio)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_reads_the_modinfo_list() {
        let ko = b"\0license=GPL\0depends=9pnet,net-fs\0name=9p\0";
        assert_eq!(depends(ko), vec!["9pnet".to_string(), "net_fs".to_string()]);
        assert!(depends(b"\0name=x\0").is_empty());
    }

    /// Debian's initramfs is built by every run of its image: the same
    /// content must stay the same file, untouched, or every run would find
    /// no saved boot for it and save one.
    #[test]
    fn the_same_content_is_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let modules = vec![("9p".to_string(), b"\x7fELF 9p".to_vec())];
        let first = write(dir.path(), &modules).unwrap();
        let time = fs::metadata(&first).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let again = write(dir.path(), &modules).unwrap();
        assert_eq!(first, again);
        assert_eq!(fs::metadata(&again).unwrap().modified().unwrap(), time);
        let other = write(dir.path(), &[]).unwrap();
        assert_ne!(first, other, "other modules, another file");
        let entries = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries, 2, "no stage left behind");
    }

    #[test]
    #[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
    fn our_own_image_names_its_release() {
        // Any bzImage the harness built.
        let tree = std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".cache/modless/kernels"))
            .and_then(|d| fs::read_dir(d).ok())
            .and_then(|mut it| {
                it.find_map(|e| {
                    let p = e.ok()?.path().join("linux/arch/x86/boot/bzImage");
                    p.is_file().then_some(p)
                })
            })
            .expect("no cached bzImage: scripts/run-qemu.sh builds one");
        let release = image_release(&tree).unwrap();
        assert!(
            release.starts_with("7.") || release.starts_with("6."),
            "{release}"
        );
    }
}
