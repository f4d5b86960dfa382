//! The loader's one error type: what failed, why, and what to do, with
//! libbpf's log (the verifier's output among it) attached.

use std::io;
use std::path::PathBuf;

/// The capabilities loading and attaching BPF needs (or `CAP_SYS_ADMIN` alone).
pub const NEEDED_CAPS: &str = "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (or run as root)";

/// Every way loading, attaching or driving an extension can fail.
///
/// `object` is the object's file (or the name given to in-memory bytes);
/// `log` is what libbpf printed during the failing step, verifier log
/// included, so the message alone is enough to act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file is not a BPF object libbpf can open.
    #[error("cannot open BPF object {object}: {source}\n{log}")]
    Open {
        object: PathBuf,
        source: io::Error,
        log: String,
    },
    /// A name the caller asked for is not in the object.
    #[error("{object}: no {what} named `{name}` (the object has: {available})")]
    NotInObject {
        object: PathBuf,
        what: &'static str,
        name: String,
        available: String,
    },
    /// A `.rodata` value does not fit the variable.
    #[error("{object}: .rodata variable `{var}` is {expected} bytes, {given} given")]
    RodataSize {
        object: PathBuf,
        var: String,
        expected: usize,
        given: usize,
    },
    /// A text value does not fit a global's BTF type; `why` says what does.
    #[error("{object}: cannot set `{var}` ({ty}) to `{value}`: {why}")]
    BadValue {
        object: PathBuf,
        var: String,
        ty: String,
        value: String,
        why: String,
    },
    /// The struct_ops type the object implements is not registered in the
    /// running kernel (module not loaded, or a kernel without it).
    #[error(
        "{object}: struct_ops type `struct {type_name}` is not in the kernel's BTF: load the \
         module that registers it, or use a kernel that has it\n{log}"
    )]
    OpsTypeMissing {
        object: PathBuf,
        type_name: String,
        log: String,
    },
    /// The object sets an ops member this kernel's type does not have.
    #[error(
        "{object}: struct_ops map `{map}` sets member `{member}`, which this kernel's \
         ops type does not have: leave it zero/NULL to skip it, or use a newer kernel\n{log}"
    )]
    MemberMissing {
        object: PathBuf,
        map: String,
        member: String,
        log: String,
    },
    /// A kfunc the object calls is not in the kernel or any loaded module.
    #[error(
        "{object}: kfunc `{kfunc}` is not in the kernel or any loaded module's BTF: load the \
         module that provides it, or declare it __weak and probe it with bpf_ksym_exists()\n{log}"
    )]
    KfuncMissing {
        object: PathBuf,
        kfunc: String,
        log: String,
    },
    /// The object declares a kfunc with a prototype the kernel's differs from.
    #[error(
        "{object}: kfunc `{kfunc}` is declared with a prototype the kernel's does not match: \
         regenerate the BPF header from this kernel's BTF\n{log}"
    )]
    KfuncMismatch {
        object: PathBuf,
        kfunc: String,
        log: String,
    },
    /// The verifier refused a program; `log` is its log.
    #[error("{object}: the verifier rejected program `{program}` ({source}); its log:\n{log}")]
    VerifierRejected {
        object: PathBuf,
        program: String,
        source: io::Error,
        log: String,
    },
    /// The process lacks the privileges BPF needs.
    #[error("{object}: {action} was refused ({source}): it needs {NEEDED_CAPS}\n{log}")]
    Permission {
        object: PathBuf,
        action: String,
        source: io::Error,
        log: String,
    },
    /// Another instance of a one-instance ops type is attached already.
    #[error(
        "{object}: cannot attach `{map}`: another instance is already attached ({source}); \
         detach it first (or hot-swap with `OpsLink::swap`)\n{log}"
    )]
    AlreadyAttached {
        object: PathBuf,
        map: String,
        source: io::Error,
        log: String,
    },
    /// The kernel lacks BTF or a config option the object needs.
    #[error(
        "{object}: {what}: the kernel lacks it ({source}); it needs CONFIG_BPF_SYSCALL, \
         CONFIG_DEBUG_INFO_BTF (/sys/kernel/btf/vmlinux) and, for hooks, \
         CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS\n{log}"
    )]
    KernelUnsupported {
        object: PathBuf,
        what: String,
        source: io::Error,
        log: String,
    },
    /// Loading failed for a reason none of the variants above names.
    #[error("{object}: loading failed ({source})\n{log}")]
    Load {
        object: PathBuf,
        source: io::Error,
        log: String,
    },
    /// Attaching a map or program failed for another reason.
    #[error("{object}: attaching `{target}` failed ({source})\n{log}")]
    Attach {
        object: PathBuf,
        target: String,
        source: io::Error,
        log: String,
    },
    /// A map lookup/update/delete failed.
    #[error("map `{map}`: {op} failed: {source}")]
    Map {
        map: String,
        op: &'static str,
        source: io::Error,
    },
    /// A kernel call about a link or program (info, test run) failed.
    #[error("{what}: {source}")]
    Kernel { what: String, source: io::Error },
}

/// Result alias for this crate.
pub type Result<T, E = LoadError> = std::result::Result<T, E>;

/// The step an error came from, for classification.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Load,
    Attach { target: String, is_ops: bool },
}

const ENOTSUPP: i32 = 524;

/// Turns an errno and libbpf's log of the failing step into the most
/// specific variant the log and errno support.
pub(crate) fn classify(object: PathBuf, step: Step, errno: i32, log: String) -> LoadError {
    let source = io::Error::from_raw_os_error(errno);
    if let Some(type_name) = between(&log, "struct_ops init_kern: struct ", " is not found") {
        return LoadError::OpsTypeMissing {
            object,
            type_name,
            log,
        };
    }
    if let Some(line) = log.lines().find(|l| l.contains("Cannot find member")) {
        let map = between(line, "struct_ops init_kern ", ":").unwrap_or_default();
        let member = between(line, "Cannot find member ", " in kernel BTF").unwrap_or_default();
        return LoadError::MemberMissing {
            object,
            map,
            member,
            log,
        };
    }
    if let Some(kfunc) = between(&log, "extern (func ksym) '", "': not found") {
        return LoadError::KfuncMissing { object, kfunc, log };
    }
    if let Some(line) = log.lines().find(|l| l.contains("incompatible with")) {
        if let Some(kfunc) = between(line, "extern (func ksym) '", "'") {
            return LoadError::KfuncMismatch { object, kfunc, log };
        }
    }
    let begin = log
        .lines()
        .find(|l| l.contains("-- BEGIN PROG LOAD LOG --"))
        .and_then(|l| between(l, "prog '", "': -- BEGIN"));
    if let Some(program) = begin {
        let log = verifier_log(&log).unwrap_or(log);
        return LoadError::VerifierRejected {
            object,
            program,
            source,
            log,
        };
    }
    if log.contains("Error loading vmlinux BTF")
        || log.contains("failed to find valid kernel BTF")
        || log.contains("failed to parse target BTF")
    {
        return LoadError::KernelUnsupported {
            object,
            what: "kernel BTF".into(),
            source,
            log,
        };
    }
    let action = match &step {
        Step::Load => "loading".to_string(),
        Step::Attach { target, .. } => format!("attaching `{target}`"),
    };
    match errno {
        libc::EPERM | libc::EACCES => {
            return LoadError::Permission {
                object,
                action,
                source,
                log,
            }
        }
        ENOTSUPP | libc::EOPNOTSUPP | libc::ENOSYS => {
            return LoadError::KernelUnsupported {
                object,
                what: action,
                source,
                log,
            }
        }
        _ => {}
    }
    match step {
        Step::Attach {
            target,
            is_ops: true,
        } if errno == libc::EBUSY || errno == libc::EEXIST => LoadError::AlreadyAttached {
            object,
            map: target,
            source,
            log,
        },
        Step::Attach { target, .. } => LoadError::Attach {
            object,
            target,
            source,
            log,
        },
        Step::Load => LoadError::Load {
            object,
            source,
            log,
        },
    }
}

/// The text between the first `start` and the next `end` after it.
fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].to_string())
}

/// The verifier's log out of libbpf's `-- BEGIN/END PROG LOAD LOG --` frame.
pub fn verifier_log(libbpf_log: &str) -> Option<String> {
    between(
        libbpf_log,
        "-- BEGIN PROG LOAD LOG --\n",
        "-- END PROG LOAD LOG --",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(errno: i32, log: &str) -> LoadError {
        classify("x.bpf.o".into(), Step::Load, errno, log.into())
    }

    #[test]
    fn ops_type_missing_names_the_struct() {
        let e = load(
            libc::ENOTSUP,
            "libbpf: struct_ops init_kern: struct jobd_ops is not found in kernel BTF\n",
        );
        assert!(
            matches!(&e, LoadError::OpsTypeMissing { type_name, .. } if type_name == "jobd_ops")
        );
        assert!(e.to_string().contains("load the module"), "{e}");
    }

    #[test]
    fn member_missing_names_map_and_member() {
        let e = load(
            libc::ENOTSUP,
            "libbpf: struct_ops init_kern ca: Cannot find member futuristic in kernel BTF\n",
        );
        match e {
            LoadError::MemberMissing { map, member, .. } => {
                assert_eq!((map.as_str(), member.as_str()), ("ca", "futuristic"))
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn kfunc_missing_and_mismatch() {
        let e = load(
            libc::ESRCH,
            "libbpf: extern (func ksym) 'bpf_nope': not found in kernel or module BTFs\n",
        );
        assert!(matches!(&e, LoadError::KfuncMissing { kfunc, .. } if kfunc == "bpf_nope"));
        let e = load(
            libc::EINVAL,
            "libbpf: extern (func ksym) 'bpf_rcu_read_lock': func_proto [3] incompatible with vmlinux [123]\n",
        );
        assert!(
            matches!(&e, LoadError::KfuncMismatch { kfunc, .. } if kfunc == "bpf_rcu_read_lock")
        );
    }

    #[test]
    fn verifier_rejection_keeps_only_the_verifier_log() {
        let log = "libbpf: prog 'spin': BPF program load failed: -EINVAL\n\
                   libbpf: prog 'spin': -- BEGIN PROG LOAD LOG --\n\
                   back-edge from insn 3 to 1\n\
                   -- END PROG LOAD LOG --\n";
        let e = load(libc::EINVAL, log);
        match &e {
            LoadError::VerifierRejected { program, log, .. } => {
                assert_eq!(program, "spin");
                assert_eq!(log, "back-edge from insn 3 to 1\n");
            }
            other => panic!("{other}"),
        }
        assert!(e.to_string().contains("back-edge"));
    }

    #[test]
    fn errno_only_failures_name_caps_or_instance() {
        let e = load(libc::EPERM, "");
        assert!(e.to_string().contains("CAP_BPF"), "{e}");
        let e = classify(
            "x.bpf.o".into(),
            Step::Attach {
                target: "ops".into(),
                is_ops: true,
            },
            libc::EBUSY,
            String::new(),
        );
        assert!(matches!(e, LoadError::AlreadyAttached { .. }), "{e}");
        let e = load(524, "");
        assert!(matches!(e, LoadError::KernelUnsupported { .. }), "{e}");
    }
}
