//! What an object contains, read without a kernel: its programs, which ops
//! table member each struct_ops program fills (libbpf's open-time view of
//! the struct_ops maps) and which kfuncs each program calls (ELF call
//! relocations, followed through subprograms).

use std::collections::BTreeSet;
use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionIndex, SymbolKind};

use crate::flavor::essential_name;
use crate::ops_table::ops_tables;

/// One program as the linter sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedProgram {
    /// Function name.
    pub name: String,
    /// ELF section, e.g. `struct_ops.s/foo`, `fentry/jobd_job_complete`.
    pub section: String,
    /// kfuncs it calls, directly or through subprograms, by the name libbpf
    /// resolves (`bpf_x___compat` is `bpf_x`).
    pub kfuncs: BTreeSet<String>,
}

impl ScannedProgram {
    /// `struct_ops/...` or `struct_ops.s/...`.
    pub fn is_struct_ops(&self) -> bool {
        self.section.starts_with("struct_ops")
    }

    /// A sleepable section (`struct_ops.s/`, `fentry.s/`, ...).
    pub fn is_sleepable(&self) -> bool {
        self.section
            .split('/')
            .next()
            .is_some_and(|kind| kind.ends_with(".s"))
    }
}

/// One struct_ops map (a variable in `.struct_ops[.link]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedOps {
    /// Map (variable) name.
    pub map: String,
    /// Its struct type, e.g. `jobd_ops`.
    pub type_name: String,
    /// `(member, program)` for every function pointer set.
    pub members: Vec<(String, String)>,
}

/// Programs and ops tables of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    /// Programs in section order.
    pub programs: Vec<ScannedProgram>,
    /// struct_ops maps.
    pub ops: Vec<ScannedOps>,
}

/// Why an object could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Not an ELF file the `object` crate reads.
    #[error("{path}: not a BPF ELF object: {msg}")]
    Elf {
        /// The object.
        path: String,
        /// The parser's message.
        msg: String,
    },
    /// libbpf could not open it.
    #[error("{path}: libbpf cannot open it: {source}")]
    Libbpf {
        /// The object.
        path: String,
        /// libbpf's error.
        source: std::io::Error,
    },
    /// The object's BTF lacks something it needs.
    #[error("{path}: {msg}")]
    Btf {
        /// The object.
        path: String,
        /// What is missing.
        msg: String,
    },
}

const BPF_CALL: u8 = 0x85;

/// Scans the object at `path`.
pub fn scan(path: &Path) -> Result<Scanned, ScanError> {
    let bytes = std::fs::read(path).map_err(|e| ScanError::Elf {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    let mut programs = scan_elf(path, &bytes)?;
    programs.sort_by(|a, b| (&a.section, &a.name).cmp(&(&b.section, &b.name)));
    let ops = scan_struct_ops(path)?;
    Ok(Scanned { programs, ops })
}

/// A function symbol: section, start and size in bytes.
struct Func {
    name: String,
    section: SectionIndex,
    start: u64,
    size: u64,
}

fn scan_elf(path: &Path, bytes: &[u8]) -> Result<Vec<ScannedProgram>, ScanError> {
    let elf_err = |msg: String| ScanError::Elf {
        path: path.display().to_string(),
        msg,
    };
    let file = object::File::parse(bytes).map_err(|e| elf_err(e.to_string()))?;
    let funcs: Vec<Func> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.section_index().is_some())
        .filter_map(|s| {
            Some(Func {
                name: s.name().ok()?.to_string(),
                section: s.section_index()?,
                start: s.address(),
                size: s.size(),
            })
        })
        .collect();
    let func_at = |sec: SectionIndex, off: u64| {
        funcs
            .iter()
            .position(|f| f.section == sec && f.start <= off && off < f.start + f.size.max(8))
    };
    // Per function: kfuncs called directly, and subprograms called.
    let mut direct: Vec<BTreeSet<String>> = vec![BTreeSet::new(); funcs.len()];
    let mut calls: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); funcs.len()];
    for section in file.sections() {
        let data = section.data().map_err(|e| elf_err(e.to_string()))?;
        for (off, rel) in section.relocations() {
            let Some(insn) = data.get(off as usize..off as usize + 8) else {
                continue;
            };
            if insn[0] != BPF_CALL {
                continue;
            }
            let Some(caller) = func_at(section.index(), off) else {
                continue;
            };
            let RelocationTarget::Symbol(si) = rel.target() else {
                continue;
            };
            let Ok(sym) = file.symbol_by_index(si) else {
                continue;
            };
            match sym.section_index() {
                None => {
                    // libbpf resolves `name___flavour` to the kernel's `name`
                    if let Ok(name) = sym.name() {
                        direct[caller].insert(essential_name(name).to_string());
                    }
                }
                Some(target_sec) => {
                    let imm = i32::from_le_bytes([insn[4], insn[5], insn[6], insn[7]]) as i64;
                    let target = (sym.address() as i64 / 8 + imm + 1) * 8;
                    if let Some(callee) = func_at(target_sec, target.max(0) as u64) {
                        calls[caller].insert(callee);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, f) in funcs.iter().enumerate() {
        let Ok(sec) = file.section_by_index(f.section) else {
            continue;
        };
        let section = sec.name().unwrap_or_default().to_string();
        if section == ".text" || section.starts_with(".") {
            continue;
        }
        let mut seen = BTreeSet::from([i]);
        let mut todo = vec![i];
        let mut kfuncs = BTreeSet::new();
        while let Some(n) = todo.pop() {
            kfuncs.extend(direct[n].iter().cloned());
            for &c in &calls[n] {
                if seen.insert(c) {
                    todo.push(c);
                }
            }
        }
        out.push(ScannedProgram {
            name: f.name.clone(),
            section,
            kfuncs,
        });
    }
    Ok(out)
}

fn scan_struct_ops(path: &Path) -> Result<Vec<ScannedOps>, ScanError> {
    let (open, _log) = crate::open::open_file(path, None);
    let open = open.map_err(|e| ScanError::Libbpf {
        path: path.display().to_string(),
        source: crate::open::errno_of(&e),
    })?;
    let tables = ops_tables(&open).map_err(|map| ScanError::Btf {
        path: path.display().to_string(),
        msg: format!("struct_ops map `{map}` has no BTF struct type"),
    })?;
    Ok(tables
        .into_iter()
        .map(|t| ScannedOps {
            map: t.map,
            type_name: t.type_name,
            members: t.ops,
        })
        .collect())
}
