//! What a compiled `.bpf.o` contains, read from its ELF alone (programs and
//! the maps it defines): enough to check a build. Loading, BTF and the
//! struct_ops tables are modless-loader's (`OpenExtension`, `lint`).

use std::path::{Path, PathBuf};

use object::{Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};

use crate::error::{BuildError, Result};

/// One BPF program of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramInfo {
    /// Function name.
    pub name: String,
    /// ELF section (`SEC("...")`), e.g. `fentry/do_unlinkat`, `struct_ops`.
    pub section: String,
}

/// One map of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapInfo {
    /// The variable (`.maps`, `.struct_ops*`), or the data section itself
    /// (`.bss`, `.rodata`, ...) for the map libbpf makes of it.
    pub name: String,
    /// The ELF section that defines it.
    pub section: String,
}

impl MapInfo {
    /// A struct_ops map (`SEC(".struct_ops")` / `SEC(".struct_ops.link")`).
    pub fn is_struct_ops(&self) -> bool {
        self.section.starts_with(".struct_ops")
    }
}

/// Programs and maps of a BPF object file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object file.
    pub path: PathBuf,
    /// Programs in symbol order.
    pub programs: Vec<ProgramInfo>,
    /// Maps: variables of `.maps` and `.struct_ops*`, then data sections.
    pub maps: Vec<MapInfo>,
}

/// Sections libbpf turns into internal maps.
fn is_data_section(name: &str) -> bool {
    [".bss", ".data", ".rodata"]
        .iter()
        .any(|p| name == *p || name.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
}

impl ObjectInfo {
    /// Reads the ELF at `path` and lists its programs and maps.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| BuildError::ObjectOpen {
            path: path.to_path_buf(),
            source,
        })?;
        let file = object::File::parse(&*bytes).map_err(|e| BuildError::ObjectOpen {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        })?;
        let section_of = |s: &object::Symbol<'_, '_>| {
            s.section_index()
                .and_then(|i| file.section_by_index(i).ok())
                .and_then(|sec| Some((sec.name().ok()?.to_string(), sec.kind())))
        };
        let mut programs = Vec::new();
        let mut maps = Vec::new();
        for sym in file.symbols() {
            let (Ok(name), Some((section, kind))) = (sym.name(), section_of(&sym)) else {
                continue;
            };
            if sym.kind() == SymbolKind::Text && kind == SectionKind::Text && section != ".text" {
                programs.push(ProgramInfo {
                    name: name.to_string(),
                    section,
                });
            } else if sym.kind() == SymbolKind::Data
                && (section == ".maps" || section.starts_with(".struct_ops"))
            {
                maps.push(MapInfo {
                    name: name.to_string(),
                    section,
                });
            }
        }
        for sec in file.sections() {
            let Ok(name) = sec.name() else { continue };
            if is_data_section(name) {
                maps.push(MapInfo {
                    name: name.to_string(),
                    section: name.to_string(),
                });
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            programs,
            maps,
        })
    }

    /// The program whose function is `name`.
    pub fn program(&self, name: &str) -> Option<&ProgramInfo> {
        self.programs.iter().find(|p| p.name == name)
    }

    /// The map called `name`.
    pub fn map(&self, name: &str) -> Option<&MapInfo> {
        self.maps.iter().find(|m| m.name == name)
    }
}
