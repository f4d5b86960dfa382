//! "Member missing in this kernel": a program built against a newer
//! declaration than the running subsystem's sets an ops member the kernel's
//! type lacks. The declaration says per member what to do (`if_missing`);
//! the generated BPF header carries it into the object as a BTF decl tag, and
//! this applies it before libbpf sees the map: `zero` members are left out
//! (their program is not loaded), `fail` members are a typed error.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;

use modless_btf::{Btf, SYSFS_BTF_DIR};
use modless_decl::struct_ops::IfMissing;

use crate::error::{LoadError, Result};
use crate::flavor::essential_name;
use crate::obj_btf::{struct_members, ObjMember};

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
    obj: *mut libbpf_sys::bpf_object,
    object: &Path,
    kernel_btf: Option<&Path>,
) -> Result<Vec<SkippedMember>> {
    let mut skipped = Vec::new();
    let mut kernel_types: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    // SAFETY: `obj` is a live open object; its BTF lives as long.
    let Some(btf) = NonNull::new(unsafe { libbpf_sys::bpf_object__btf(obj) }) else {
        return Ok(skipped);
    };
    let mut map: *mut libbpf_sys::bpf_map = std::ptr::null_mut();
    loop {
        // SAFETY: `map` is NULL or the previous map of `obj`.
        map = unsafe { libbpf_sys::bpf_object__next_map(obj, map) };
        if map.is_null() {
            return Ok(skipped);
        }
        // SAFETY: a live map of the open object.
        if unsafe { libbpf_sys::bpf_map__type(map) } != libbpf_sys::BPF_MAP_TYPE_STRUCT_OPS {
            continue;
        }
        // SAFETY: as above; at open time this is the object's own struct type.
        let tid = unsafe { libbpf_sys::bpf_map__btf_value_type_id(map) };
        let Some((type_name, members)) = struct_members(btf, tid) else {
            continue;
        };
        // Only objects built from a modless header say what they want.
        if !members.iter().any(is_zero_if_missing) {
            continue;
        }
        // one BTF lookup per ops type, however many maps of it the object has
        let kernel = kernel_types
            .entry(essential_name(&type_name).to_string())
            .or_insert_with_key(|name| kernel_members(name, kernel_btf));
        let Some(kernel) = kernel.as_ref() else {
            continue;
        };
        // SAFETY: as above.
        let map_name = unsafe { std::ffi::CStr::from_ptr(libbpf_sys::bpf_map__name(map)) }
            .to_string_lossy()
            .into_owned();
        let mut size = 0u64;
        // SAFETY: for a struct_ops map libbpf returns its `size`-byte shadow
        // value (function-pointer members hold `struct bpf_program *`),
        // which it reads again at load.
        let data = unsafe { libbpf_sys::bpf_map__initial_value(map, &mut size) }.cast::<u8>();
        if data.is_null() {
            continue;
        }
        for m in &members {
            if m.size == 0 || (m.offset + m.size) as u64 > size {
                continue;
            }
            // SAFETY: `offset + size <= size` bytes of the shadow value,
            // owned by the open object and not shared with the kernel yet.
            let bytes = unsafe { std::slice::from_raw_parts_mut(data.add(m.offset), m.size) };
            match verdict(m, kernel.contains(&m.name), bytes.iter().any(|&b| b != 0)) {
                Verdict::Keep => {}
                Verdict::Zero => {
                    bytes.fill(0);
                    skipped.push(SkippedMember {
                        map: map_name.clone(),
                        member: m.name.clone(),
                    });
                }
                Verdict::Fail => {
                    return Err(LoadError::MemberMissing {
                        object: object.to_path_buf(),
                        map: map_name,
                        member: m.name.clone(),
                        log: format!(
                            "its declaration says `if_missing = \"fail\"`: the program needs \
                             `{}.{}`, which this kernel's `struct {}` lacks",
                            essential_name(&type_name),
                            m.name,
                            essential_name(&type_name)
                        ),
                    });
                }
            }
        }
    }
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
        use libbpf_rs::AsRawLibbpf;

        const OUT: &str = env!("OUT_DIR");

        fn apply_to(name: &str) -> (OpenExtension, Result<Vec<SkippedMember>>) {
            let obj = Path::new(OUT).join(format!("{name}.bpf.o"));
            let kernel = Path::new(OUT).join("jobd_bad_domains.bpf.o");
            let open = OpenExtension::file(&obj).unwrap();
            let raw = open.open.as_libbpf_object().as_ptr();
            let r = apply(raw, &obj, Some(&kernel));
            (open, r)
        }

        #[test]
        #[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
        fn a_zero_if_missing_op_is_left_out() {
            let (open, r) = apply_to("next_optional");
            let skipped = r.unwrap();
            assert_eq!(
                skipped,
                vec![SkippedMember {
                    map: "next_optional".into(),
                    member: "job_started".into(),
                }]
            );
            // a second pass finds nothing set any more
            let raw = open.open.as_libbpf_object().as_ptr();
            let obj = Path::new(OUT).join("next_optional.bpf.o");
            let kernel = Path::new(OUT).join("jobd_bad_domains.bpf.o");
            assert_eq!(apply(raw, &obj, Some(&kernel)).unwrap(), vec![]);
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
