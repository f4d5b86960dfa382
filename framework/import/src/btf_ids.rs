//! Kfunc sets as resolve_btfids left them in a vmlinux ELF's `.BTF_ids`
//! section: every `BTF_KFUNCS_START(name)` set8 is a symbol
//! `__BTF_ID__set8__<name>` pointing at `u32 cnt; u32 flags;` followed by
//! `cnt` pairs of `u32 btf_id; u32 kf_flags;`.

use std::collections::BTreeMap;
use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol};

use crate::error::ImportError;

const SET8_PREFIX: &str = "__BTF_ID__set8__";

/// One kfunc set: its name and (BTF id, KF_* flags) per member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KfuncSet {
    pub name: String,
    pub members: Vec<(u32, u32)>,
}

/// Every set8 in the ELF; empty for a raw BTF file (no `.BTF_ids`).
pub fn read_sets(path: &Path) -> Result<Vec<KfuncSet>, ImportError> {
    let err = |msg: String| ImportError::Elf {
        path: path.to_path_buf(),
        msg,
    };
    let data = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let Ok(file) = object::File::parse(&*data) else {
        return Ok(Vec::new()); // raw BTF: no sets to read
    };
    let Some(section) = file.section_by_name(".BTF_ids") else {
        return Ok(Vec::new());
    };
    let bytes = section.data().map_err(|e| err(e.to_string()))?;
    let base = section.address();
    let little = file.is_little_endian();
    let u32_at = |off: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(off..off + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let mut sets = BTreeMap::new();
    for sym in file.symbols() {
        let Some(name) = sym.name().ok().and_then(|n| n.strip_prefix(SET8_PREFIX)) else {
            continue;
        };
        let off = sym
            .address()
            .checked_sub(base)
            .ok_or_else(|| err(format!("set {name} lies before .BTF_ids")))?
            as usize;
        let cnt = u32_at(off).ok_or_else(|| err(format!("set {name} is truncated")))?;
        let members = (0..cnt as usize)
            .map(|i| {
                let at = off + 8 + i * 8;
                Some((u32_at(at)?, u32_at(at + 4)?))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                err(format!(
                    "set {name} claims {cnt} members past the section end"
                ))
            })?;
        sets.insert(name.to_owned(), members);
    }
    Ok(sets
        .into_iter()
        .map(|(name, members)| KfuncSet { name, members })
        .collect())
}

/// The cfi stubs of struct_ops type `ops` as the kernel links them: the
/// function each member of `__bpf_ops_<ops>` points at, read from a vmlinux
/// ELF's symbols; `(member, byte offset)` name the function-pointer members.
/// Empty for raw BTF or when the ELF lacks the table.
pub fn cfi_stubs(
    path: &Path,
    ops: &str,
    members: &[(String, usize)],
) -> Result<BTreeMap<String, String>, ImportError> {
    let err = |msg: String| ImportError::Elf {
        path: path.to_path_buf(),
        msg,
    };
    let data = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let Ok(file) = object::File::parse(&*data) else {
        return Ok(BTreeMap::new());
    };
    let table = format!("__bpf_ops_{ops}");
    let Some(sym) = file.symbols().find(|s| s.name() == Ok(table.as_str())) else {
        return Ok(BTreeMap::new());
    };
    let Some(section) = sym
        .section_index()
        .and_then(|i| file.section_by_index(i).ok())
    else {
        return Ok(BTreeMap::new());
    };
    let bytes = section.data().map_err(|e| err(e.to_string()))?;
    let funcs: BTreeMap<u64, &str> = file
        .symbols()
        .filter(|s| s.kind() == object::SymbolKind::Text)
        .filter_map(|s| Some((s.address(), s.name().ok()?)))
        .collect();
    let base = sym
        .address()
        .checked_sub(section.address())
        .ok_or_else(|| err(format!("{table} lies before its section")))? as usize;
    let mut out = BTreeMap::new();
    for (member, off) in members {
        let at = base + off;
        let Some(b) = bytes.get(at..at + 8) else {
            continue;
        };
        let b: [u8; 8] = b.try_into().unwrap_or_default();
        let addr = if file.is_little_endian() {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        };
        if let Some(name) = funcs.get(&addr) {
            out.insert(member.clone(), (*name).to_string());
        }
    }
    Ok(out)
}

/// `KF_*` bits (include/linux/btf.h, 7.3) and whether a declaration can say them.
pub const KF_BITS: [(u32, &str, bool); 17] = [
    (0, "KF_ACQUIRE", true),
    (1, "KF_RELEASE", true),
    (2, "KF_RET_NULL", true),
    (5, "KF_SLEEPABLE", true),
    (6, "KF_DESTRUCTIVE", true),
    (7, "KF_RCU", true),
    (8, "KF_ITER_NEW", false),
    (9, "KF_ITER_NEXT", false),
    (10, "KF_ITER_DESTROY", false),
    (11, "KF_RCU_PROTECTED", true),
    (12, "KF_FASTCALL", false),
    (13, "KF_ARENA_RET", false),
    (14, "KF_ARENA_ARG1", false),
    (15, "KF_ARENA_ARG2", false),
    (16, "KF_IMPLICIT_ARGS", true),
    (17, "KF_SPINLOCK_SAFE", false),
    (18, "KF_PERFMON", false),
];

/// Splits `flags` into names a declaration accepts and names it cannot express.
pub fn flag_names(flags: u32) -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut ok, mut other) = (Vec::new(), Vec::new());
    for (bit, name, expressible) in KF_BITS {
        if flags & (1 << bit) != 0 {
            if expressible {
                ok.push(name);
            } else {
                other.push(name);
            }
        }
    }
    (ok, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_split_into_declarable_and_not() {
        let (ok, other) = flag_names(1 | (1 << 2) | (1 << 12) | (1 << 16));
        assert_eq!(ok, ["KF_ACQUIRE", "KF_RET_NULL", "KF_IMPLICIT_ARGS"]);
        assert_eq!(other, ["KF_FASTCALL"]);
    }

    #[test]
    fn raw_btf_has_no_sets() {
        let p = std::env::temp_dir().join(format!("modless-import-raw-{}", std::process::id()));
        std::fs::write(&p, [0x9fu8, 0xeb, 1, 0]).unwrap();
        assert!(read_sets(&p).unwrap().is_empty());
    }
}
