//! The struct_ops maps of an opened object as libbpf will write them: the
//! one walk the linter (which program fills which op) and the loader
//! (`if_missing` members) share.

use std::collections::BTreeMap;

use libbpf_rs::{AsRawLibbpf, MapType, OpenObject};

use crate::obj_btf::{is_func_ptr, struct_members, ObjMember};
use crate::sys;

/// One struct_ops map (a variable in `.struct_ops[.link]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpsTable {
    /// Map (variable) name.
    pub map: String,
    /// Its struct type as the object names it, e.g. `jobd_ops`.
    pub type_name: String,
    /// Its members, from the object's BTF.
    pub members: Vec<ObjMember>,
    /// `(member, program)` for every function pointer set.
    pub ops: Vec<(String, String)>,
}

/// Every struct_ops map of `open`; a map without a BTF struct type is
/// reported by name in `Err`.
pub(crate) fn ops_tables(open: &OpenObject) -> Result<Vec<OpsTable>, String> {
    let Some(btf) = sys::open_btf(open) else {
        return Ok(Vec::new());
    };
    // The shadow value holds `struct bpf_program *` in function members:
    // map those addresses back to names (compared, never dereferenced).
    let progs: BTreeMap<usize, String> = open
        .progs()
        .map(|p| {
            let addr = p.as_libbpf_object().as_ptr() as usize;
            (addr, p.name().to_string_lossy().into_owned())
        })
        .collect();
    let mut out = Vec::new();
    for m in open.maps().filter(|m| m.map_type() == MapType::StructOps) {
        let map = m.name().to_string_lossy().into_owned();
        let Some((type_name, members)) = struct_members(&btf, sys::value_type_id(&m)) else {
            return Err(map);
        };
        let shadow = m.initial_value().unwrap_or_default();
        let ops = members
            .iter()
            .filter(|mem| is_func_ptr(&btf, mem.type_id))
            .filter_map(|mem| {
                let bytes = shadow.get(mem.offset..mem.offset + 8)?;
                let addr = usize::from_ne_bytes(bytes.try_into().ok()?);
                Some((mem.name.clone(), progs.get(&addr)?.clone()))
            })
            .collect();
        out.push(OpsTable {
            map,
            type_name,
            members,
            ops,
        });
    }
    Ok(out)
}
