//! What an object contains, read without a kernel: its programs, which ops
//! table member each struct_ops program fills (libbpf's open-time view of
//! the struct_ops maps) and which kfuncs each program calls (ELF call
//! relocations, followed through subprograms).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::ptr::NonNull;

use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionIndex, SymbolKind};

use crate::flavor::essential_name;
use crate::obj_btf::{kind_of, resolve, struct_members};

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

/// An object opened by libbpf (parsed only), closed on drop.
struct Opened(NonNull<libbpf_sys::bpf_object>);

impl Drop for Opened {
    fn drop(&mut self) {
        // SAFETY: opened by bpf_object__open_file and closed only here.
        unsafe { libbpf_sys::bpf_object__close(self.0.as_ptr()) }
    }
}

fn cstr(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: libbpf's NUL-terminated strings, alive while the object is open.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

fn scan_struct_ops(path: &Path) -> Result<Vec<ScannedOps>, ScanError> {
    use std::os::unix::ffi::OsStrExt;
    let lib_err = |source| ScanError::Libbpf {
        path: path.display().to_string(),
        source,
    };
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| lib_err(std::io::ErrorKind::InvalidInput.into()))?;
    let (raw, _log) = crate::log::capture(|| {
        // SAFETY: NUL-terminated path; NULL opts are the defaults.
        unsafe { libbpf_sys::bpf_object__open_file(c.as_ptr(), std::ptr::null()) }
    });
    let err = std::io::Error::last_os_error();
    let obj = Opened(NonNull::new(raw).ok_or_else(|| lib_err(err))?);
    // SAFETY: the object is open; its BTF lives as long.
    let Some(btf) = NonNull::new(unsafe { libbpf_sys::bpf_object__btf(obj.0.as_ptr()) }) else {
        return Ok(Vec::new());
    };
    // Program pointer -> name.
    let mut progs = BTreeMap::new();
    let mut p: *mut libbpf_sys::bpf_program = std::ptr::null_mut();
    loop {
        // SAFETY: `p` is NULL or the previous program of the object.
        p = unsafe { libbpf_sys::bpf_object__next_program(obj.0.as_ptr(), p) };
        if p.is_null() {
            break;
        }
        // SAFETY: a live program of the open object.
        progs.insert(
            p as usize,
            cstr(unsafe { libbpf_sys::bpf_program__name(p) }),
        );
    }
    let mut out = Vec::new();
    let mut m: *mut libbpf_sys::bpf_map = std::ptr::null_mut();
    loop {
        // SAFETY: `m` is NULL or the previous map of the object.
        m = unsafe { libbpf_sys::bpf_object__next_map(obj.0.as_ptr(), m) };
        if m.is_null() {
            break;
        }
        // SAFETY: a live map of the open object.
        if unsafe { libbpf_sys::bpf_map__type(m) } != libbpf_sys::BPF_MAP_TYPE_STRUCT_OPS {
            continue;
        }
        // SAFETY: as above.
        let map = cstr(unsafe { libbpf_sys::bpf_map__name(m) });
        // SAFETY: as above; at open time this is the object's own struct type.
        let tid = unsafe { libbpf_sys::bpf_map__btf_value_type_id(m) };
        let (type_name, members) = struct_members(btf, tid).ok_or_else(|| ScanError::Btf {
            path: path.display().to_string(),
            msg: format!("struct_ops map `{map}` has no BTF struct type"),
        })?;
        let mut size = 0u64;
        // SAFETY: for a struct_ops map libbpf returns its `size`-byte shadow
        // value, in which function-pointer members hold `struct bpf_program *`.
        let data = unsafe { libbpf_sys::bpf_map__initial_value(m, &mut size) }.cast::<u8>();
        let mut set = Vec::new();
        for mem in members {
            if !is_func_ptr(btf, mem.type_id) || data.is_null() {
                continue;
            }
            let off = mem.offset;
            if (off + 8) as u64 > size {
                continue;
            }
            let mut ptr = [0u8; 8];
            // SAFETY: `off + 8 <= size` bytes of the shadow value.
            unsafe { std::ptr::copy_nonoverlapping(data.add(off), ptr.as_mut_ptr(), 8) };
            let ptr = usize::from_ne_bytes(ptr);
            if let Some(prog) = progs.get(&ptr) {
                set.push((mem.name, prog.clone()));
            }
        }
        out.push(ScannedOps {
            map,
            type_name,
            members: set,
        });
    }
    Ok(out)
}

fn is_func_ptr(btf: NonNull<libbpf_sys::btf>, id: u32) -> bool {
    let Some((_, t)) = resolve(btf, id) else {
        return false;
    };
    if kind_of(t) != libbpf_sys::BTF_KIND_PTR {
        return false;
    }
    // SAFETY: a PTR's union holds the pointee id.
    let to = unsafe { t.__bindgen_anon_1.type_ };
    resolve(btf, to).is_some_and(|(_, p)| kind_of(p) == libbpf_sys::BTF_KIND_FUNC_PROTO)
}
