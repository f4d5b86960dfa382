//! modless-sys's `btf_dump` printer, with this crate's errors (which BTF,
//! what it was printing).

use std::ffi::CString;
use std::io;

use modless_sys::btf::Dump;

use crate::btf::Btf;
use crate::error::{BtfError, Result};

/// A C printer over one [`Btf`], with its output buffer.
pub(crate) struct Dumper<'a> {
    dump: Dump<'a>,
    btf: &'a Btf,
}

impl<'a> Dumper<'a> {
    pub fn new(btf: &'a Btf) -> Result<Self> {
        let dump = Dump::new(btf.raw()).map_err(|e| dump_error(btf, "btf_dump__new".into(), e))?;
        Ok(Self { dump, btf })
    }

    /// Appends literal text to the output.
    pub fn text(&mut self, s: &str) {
        self.dump.text(s);
    }

    /// While muted, dumped types are marked emitted but not printed.
    pub fn set_muted(&mut self, muted: bool) {
        self.dump.set_muted(muted);
    }

    /// Emits type `id` and everything it depends on not yet emitted.
    pub fn dump_type(&mut self, id: u32) -> Result<()> {
        self.dump
            .dump_type(id)
            .map_err(|e| dump_error(self.btf, format!("dump type id {id}"), e))
    }

    /// Renders a declaration of `id` into a fresh `String`, optionally
    /// naming it `field_name`: `int (*name)(int)`, `char name[16]`.
    pub fn render_decl(&mut self, id: u32, field_name: Option<&str>) -> Result<String> {
        let field = field_name
            .map(|s| CString::new(s).map_err(|_| BtfError::NameHasNul { name: s.into() }))
            .transpose()?;
        self.dump
            .render_decl(id, field.as_deref())
            .map_err(|e| dump_error(self.btf, format!("declare type id {id}"), e))
    }

    /// Takes everything printed so far.
    pub fn take_output(&mut self) -> String {
        self.dump.take_output()
    }
}

fn dump_error(btf: &Btf, what: String, source: io::Error) -> BtfError {
    BtfError::Dump {
        path: btf.path().to_path_buf(),
        what,
        source,
    }
}
