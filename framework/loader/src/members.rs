//! "Member missing in this kernel": a program built against a newer
//! declaration than the running subsystem's sets an ops member the kernel's
//! type lacks. The declaration says per member what to do (`if_missing`);
//! the generated BPF header carries it into the object as a BTF decl tag, and
//! this applies it before libbpf sees the map: `zero` members are left out
//! (their program is not loaded), `fail` members are a typed error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libbpf_rs::OpenObject;

use modless_btf::{Btf, SYSFS_BTF_DIR};
use modless_decl::struct_ops::IfMissing;

use crate::error::{LoadError, Result};
use crate::flavor::essential_name;
use crate::obj_btf::ObjMember;
use crate::ops_table::ops_tables;

/// An ops member the loader left out because this kernel's type lacks it
/// and its declaration says `if_missing = "zero"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedMember {
    /// The struct_ops map.
    pub map: String,
    /// The member (its program, if any, was not loaded).
    pub member: String,
}

/// What to do with one member of the object's ops struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// In the kernel's type, or unset: libbpf handles it.
    Keep,
    /// Missing, set, declared `zero`: clear it.
    Zero,
    /// Missing, set, declared `fail` (or untagged in a tagged struct).
    Fail,
}

pub(crate) fn is_zero_if_missing(m: &ObjMember) -> bool {
    m.tags.iter().any(|t| t == IfMissing::ZERO_TAG)
}

/// The rule, apart from any libbpf or kernel state.
pub(crate) fn verdict(m: &ObjMember, in_kernel: bool, is_set: bool) -> Verdict {
    match (in_kernel, is_set, is_zero_if_missing(m)) {
        (true, _, _) | (false, false, _) => Verdict::Keep,
        (false, true, true) => Verdict::Zero,
        (false, true, false) => Verdict::Fail,
    }
}

/// Member names of struct `name` in the kernel: `kernel_btf` if given, else
/// vmlinux and then every loaded module. `None` if no BTF has it (libbpf
/// then reports the missing ops type).
fn kernel_members(name: &str, kernel_btf: Option<&Path>) -> Option<BTreeSet<String>> {
    let names = |btf: &Btf| {
        btf.find_struct(name)
            .ok()
            .map(|s| s.members.into_iter().map(|m| m.name).collect())
    };
    if let Some(path) = kernel_btf {
        return names(&Btf::open(path, None).ok()?);
    }
    let vmlinux = Arc::new(Btf::running_vmlinux().ok()?);
    if let Some(found) = names(&vmlinux) {
        return Some(found);
    }
    let mut modules: Vec<PathBuf> = std::fs::read_dir(SYSFS_BTF_DIR)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n != "vmlinux"))
        .collect();
    modules.sort();
    modules.iter().find_map(|p| {
        let module = p.file_name()?.to_str()?;
        names(&Btf::running_module(module, vmlinux.clone()).ok()?)
    })
}

/// Applies the declared policy to every struct_ops map of the open object.
pub(crate) fn apply(
    open: &mut OpenObject,
    object: &Path,
    kernel_btf: Option<&Path>,
) -> Result<Vec<SkippedMember>> {
    let mut skipped = Vec::new();
    let mut kernel_types: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    // A map without a BTF struct type is libbpf's to report at load.
    let tables = ops_tables(open).unwrap_or_default();
    for table in tables {
        // Only objects built from a modless header say what they want.
        if !table.members.iter().any(is_zero_if_missing) {
            continue;
        }
        // one BTF lookup per ops type, however many maps of it the object has
        let kernel = kernel_types
            .entry(essential_name(&table.type_name).to_string())
            .or_insert_with_key(|name| kernel_members(name, kernel_btf));
        let Some(kernel) = kernel.as_ref() else {
            continue;
        };
        let mut map = open
            .maps_mut()
            .find(|m| m.name().to_string_lossy() == table.map);
        let Some(shadow) = map.as_mut().and_then(|m| m.initial_value_mut()) else {
            continue;
        };
        for m in &table.members {
            let Some(bytes) = shadow.get_mut(m.offset..m.offset + m.size) else {
                continue;
            };
            if m.size == 0 {
                continue;
            }
            match verdict(m, kernel.contains(&m.name), bytes.iter().any(|&b| b != 0)) {
                Verdict::Keep => {}
                Verdict::Zero => {
                    bytes.fill(0);
                    skipped.push(SkippedMember {
                        map: table.map.clone(),
                        member: m.name.clone(),
                    });
                }
                Verdict::Fail => {
                    let ty = essential_name(&table.type_name);
                    return Err(LoadError::MemberMissing {
                        object: object.to_path_buf(),
                        map: table.map,
                        member: m.name.clone(),
                        log: format!(
                            "its declaration says `if_missing = \"fail\"`: the program needs \
                             `{ty}.{}`, which this kernel's `struct {ty}` lacks",
                            m.name,
                        ),
                    });
                }
            }
        }
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn member(zero: bool) -> ObjMember {
        ObjMember {
            name: "m".into(),
            offset: 0,
            size: 8,
            tags: if zero {
                vec![IfMissing::ZERO_TAG.to_string()]
            } else {
                Vec::new()
            },
            type_id: 0,
        }
    }

    #[test]
    fn the_declared_policy_decides_only_for_set_missing_members() {
        assert_eq!(verdict(&member(true), false, true), Verdict::Zero);
        assert_eq!(verdict(&member(false), false, true), Verdict::Fail);
        assert_eq!(verdict(&member(false), false, false), Verdict::Keep);
    }

    quickcheck! {
        fn a_member_the_kernel_has_is_always_kept(zero: bool, set: bool) -> bool {
            verdict(&member(zero), true, set) == Verdict::Keep
        }
    }

    /// Real clang output: objects built against the newer declaration, and
    /// as "kernel" the BTF of an object built against this jobd's header.
    mod objects {
        use super::super::*;
        use crate::OpenExtension;

        const OUT: &str = env!("OUT_DIR");

        fn apply_to(name: &str) -> (OpenExtension, Result<Vec<SkippedMember>>) {
            let obj = Path::new(OUT).join(format!("{name}.bpf.o"));
            let kernel = Path::new(OUT).join("jobd_bad_domains.bpf.o");
            let mut open = OpenExtension::file(&obj).unwrap();
            let r = apply(&mut open.open, &obj, Some(&kernel));
            (open, r)
        }

        #[test]
        #[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
        fn a_zero_if_missing_op_is_left_out() {
            let (mut open, r) = apply_to("next_optional");
            let skipped = r.unwrap();
            assert_eq!(
                skipped,
                vec![SkippedMember {
                    map: "next_optional".into(),
                    member: "job_started".into(),
                }]
            );
            // a second pass finds nothing set any more
            let obj = Path::new(OUT).join("next_optional.bpf.o");
            let kernel = Path::new(OUT).join("jobd_bad_domains.bpf.o");
            assert_eq!(apply(&mut open.open, &obj, Some(&kernel)).unwrap(), vec![]);
        }

        #[test]
        #[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
        fn a_needed_member_fails_with_the_declared_policy() {
            let (_, r) = apply_to("next_needed");
            match r {
                Err(LoadError::MemberMissing {
                    map, member, log, ..
                }) => {
                    assert_eq!(
                        (map.as_str(), member.as_str()),
                        ("next_needed", "max_moves")
                    );
                    assert!(log.contains("if_missing = \"fail\""), "{log}");
                }
                other => panic!("want MemberMissing, got {other:?}"),
            }
        }

        #[test]
        #[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
        fn objects_without_modless_tags_are_left_to_libbpf() {
            let (_, r) = apply_to("err_member_missing");
            assert_eq!(r.unwrap(), vec![]);
        }
    }
}
