//! Rules across concepts, plus running each concept's own rules.

use std::collections::{HashMap, HashSet};

use modless_ctypes::{check_ident, CType, FuncProto, Span};
use modless_kfuncs::{Deny, KfFlag, OpScope, ProgType};
use modless_struct_ops::{plain_arg_name, DataKind, Names};

use crate::error::{DeclError, DeclErrorKind, DeclErrors};
use crate::location::Lines;
use crate::model::{Declaration, KernelNames, KernelRelease};
use crate::reserved::{c_reserved, rust_reserved, CALL_PATH_LOCALS};
use crate::symbols::{symbols, KernelUnique, Ns, Symbol};

/// An upper-case Kconfig symbol name, without `CONFIG_`.
fn is_kconfig_symbol(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with("CONFIG_")
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Longest subsystem name: it names the module (`MODULE_NAME_LEN` - 1).
pub const MAX_SUBSYSTEM_LEN: usize = 55;
/// Longest generated C name: resolve_btfids copies `<name>__<n>` and
/// `<kfunc>_impl` into `KSYM_NAME_LEN` (512) byte buffers.
pub const MAX_SYMBOL_LEN: usize = 500;
/// Most elements of an array in a shared struct.
pub const MAX_ARRAY_LEN: usize = modless_struct_ops::MAX_ARRAY_LEN;

struct Check<'a> {
    decl: &'a Declaration,
    lines: Lines<'a>,
    errs: Vec<DeclError>,
}

impl Declaration {
    /// Checks every rule; `Ok` means generation will produce loadable glue.
    pub fn validate(&self) -> Result<(), DeclErrors> {
        self.validate_against(&KernelNames::default())
    }

    /// [`Declaration::validate`], plus: no kfunc, hook, CFI stub or type
    /// name may already exist in the target kernel (module kfunc names are
    /// checked for global uniqueness at registration, btf.c:8898-8929).
    pub fn validate_against(&self, kernel: &KernelNames) -> Result<(), DeclErrors> {
        let mut c = Check {
            decl: self,
            lines: Lines::new(&self.origin),
            errs: Vec::new(),
        };
        c.subsystem();
        c.in_tree();
        c.concepts();
        c.kfunc_scopes();
        c.lint_kfuncs();
        c.compat();
        c.exit_info();
        c.writes();
        c.docs();
        c.arrays();
        c.flags();
        c.verdicts();
        let table = symbols(self);
        c.collisions(&table);
        c.lengths(&table);
        c.user_names(&table);
        c.params(&table);
        c.shared_defaults();
        c.kernel(&table, kernel);
        if c.errs.is_empty() {
            Ok(())
        } else {
            Err(DeclErrors(c.errs))
        }
    }
}

impl Declaration {
    /// What the target kernel's release rules out: `KF_*` flags it no
    /// longer has (checked apart from [`Declaration::validate`], which
    /// knows no target).
    pub fn validate_for_release(&self, release: &KernelRelease) -> Result<(), DeclErrors> {
        let mut c = Check {
            decl: self,
            lines: Lines::new(&self.origin),
            errs: Vec::new(),
        };
        for k in &self.kfuncs {
            for f in &k.flags {
                let Some(((major, minor), instead)) = f.removed_in() else {
                    continue;
                };
                if release.at_least((major, minor)) {
                    let kind = DeclErrorKind::FlagRemoved {
                        kfunc: k.name().into(),
                        flag: f.c_name(),
                        since: format!("{major}.{minor}"),
                        instead,
                        release: release.text.clone(),
                    };
                    c.at(k.span, kind);
                }
            }
        }
        if c.errs.is_empty() {
            Ok(())
        } else {
            Err(DeclErrors(c.errs))
        }
    }
}

impl<'a> Check<'a> {
    fn at(&mut self, span: Span, kind: DeclErrorKind) {
        self.errs.push(DeclError::located(&self.lines, span, kind));
    }

    fn subsystem(&mut self) {
        let sub = &self.decl.subsystem;
        if let Err(err) = check_ident(&sub.name) {
            let name = sub.name.clone();
            self.at(sub.span, DeclErrorKind::SubsystemName { name, err });
        } else if sub.name != sub.name.to_ascii_lowercase() {
            let name = sub.name.clone();
            self.at(sub.span, DeclErrorKind::SubsystemCase { name });
        }
        if sub.name.len() > MAX_SUBSYSTEM_LEN {
            let (name, len) = (sub.name.clone(), sub.name.len());
            let max = MAX_SUBSYSTEM_LEN;
            self.at(sub.span, DeclErrorKind::SubsystemTooLong { name, len, max });
        }
    }

    /// `[subsystem.in_tree]`: names that land in Kconfig, Makefiles and
    /// `#include` lines.
    fn in_tree(&mut self) {
        let Some(t) = self.decl.in_tree() else {
            return;
        };
        let dir_ok = !t.dir.is_empty()
            && t.dir.split('/').all(|c| {
                !c.is_empty()
                    && c != "."
                    && c != ".."
                    && c.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
            });
        if !dir_ok {
            let dir = t.dir.clone();
            self.at(t.dir_span, DeclErrorKind::InTreeDir { dir });
        }
        let syms = std::iter::once(("config", &t.config, t.config_span)).chain(
            t.depends_on
                .iter()
                .zip(&t.depends_spans)
                .map(|(d, s)| ("depends_on", d, *s)),
        );
        for (key, symbol, span) in syms.collect::<Vec<_>>() {
            if !is_kconfig_symbol(symbol) {
                let suggest: String = symbol
                    .trim_start_matches("CONFIG_")
                    .to_ascii_uppercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                let symbol = symbol.clone();
                self.at(
                    span,
                    DeclErrorKind::InTreeSymbol {
                        key,
                        symbol,
                        suggest,
                    },
                );
            }
        }
        for (inc, span) in t.includes.iter().zip(&t.include_spans) {
            let ok = inc.ends_with(".h")
                && !inc.starts_with('/')
                && inc.split('/').all(|c| {
                    !c.is_empty()
                        && c != ".."
                        && c.chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || "_-.".contains(ch))
                });
            if !ok {
                let include = inc.clone();
                self.at(*span, DeclErrorKind::InTreeInclude { include });
            }
        }
        for h in &self.decl.hooks {
            let (hook, config) = (h.name().to_string(), t.config.clone());
            self.at(h.span, DeclErrorKind::InTreeHook { hook, config });
        }
    }

    fn concepts(&mut self) {
        let d = self.decl;
        for s in &d.structs {
            for e in s.def.validate() {
                self.at(s.span, e.into());
            }
        }
        for (span, e) in modless_struct_ops::validate(&d.ops) {
            self.at(span, e.into());
        }
        for k in &d.kfuncs {
            for (span, e) in modless_kfuncs::validate(k) {
                self.at(span, e.into());
            }
        }
        for (span, e) in modless_kfuncs::validate_set(&d.kfuncs) {
            self.at(span, e.into());
        }
        for h in &d.hooks {
            for (span, e) in modless_hooks::validate(h) {
                self.at(span, e.into());
            }
        }
        for (span, e) in modless_hooks::validate_set(&d.hooks) {
            self.at(span, e.into());
        }
    }

    /// kfunc scope vs the ops table.
    fn kfunc_scopes(&mut self) {
        let d = self.decl;
        let callbacks: HashMap<&str, bool> = d
            .ops
            .callbacks
            .iter()
            .map(|c| (c.name(), c.sleepable))
            .collect();
        let any_sleepable = callbacks.values().any(|s| *s);
        for k in &d.kfuncs {
            if k.deny != Deny::None && d.in_tree().is_none() {
                let kfunc = k.name().into();
                self.at(k.span, DeclErrorKind::DenyNeedsInTree { kfunc });
            }
            if let Deny::Ops(ops) = &k.deny {
                for op in ops.iter().filter(|o| !callbacks.contains_key(o.as_str())) {
                    let kind = DeclErrorKind::UnknownDenyOp {
                        kfunc: k.name().into(),
                        op: op.clone(),
                        ops: d.ops.name.clone(),
                    };
                    self.at(k.span, kind);
                }
            }
            let sleepable = k.has(KfFlag::Sleepable);
            match &k.scope {
                OpScope::Ops(ops) => {
                    for op in ops {
                        let kind = match callbacks.get(op.as_str()) {
                            None => DeclErrorKind::UnknownOp {
                                kfunc: k.name().into(),
                                op: op.clone(),
                                ops: d.ops.name.clone(),
                            },
                            Some(false) if sleepable => DeclErrorKind::SleepableKfuncInAtomicOp {
                                kfunc: k.name().into(),
                                op: op.clone(),
                            },
                            Some(_) => continue,
                        };
                        self.at(k.span, kind);
                    }
                }
                OpScope::AnyOp => {
                    let for_struct_ops = k.prog_types.contains(&ProgType::StructOps);
                    if sleepable && for_struct_ops && !any_sleepable {
                        let kfunc = k.name().into();
                        self.at(k.span, DeclErrorKind::SleepableKfuncNoSleepableOp { kfunc });
                    }
                }
            }
        }
    }

    /// Lint-only kfuncs: their own rules, unique names among all kfuncs,
    /// and ops the table has.
    fn compat(&mut self) {
        let Some(compat) = &self.decl.compat else {
            return;
        };
        let ops = &self.decl.ops;
        let members: Vec<&str> = ops
            .callbacks
            .iter()
            .map(|c| c.name())
            .chain(ops.data.iter().map(|d| d.decl.name.as_str()))
            .collect();
        let mut errs = Vec::new();
        crate::compat::check(compat, &members, |span, kind| errs.push((span, kind)));
        for (span, kind) in errs {
            self.at(span, kind);
        }
    }

    fn lint_kfuncs(&mut self) {
        let d = self.decl;
        let mut seen: HashSet<&str> = d.kfuncs.iter().map(|k| k.name()).collect();
        for k in &d.lint_kfuncs {
            for (span, e) in modless_kfuncs::validate_lint_only(k) {
                self.at(span, e.into());
            }
            if !seen.insert(&k.name) {
                let name = k.name.clone();
                self.at(
                    k.span,
                    modless_kfuncs::KfuncError::Duplicate { name }.into(),
                );
            }
            if let OpScope::Ops(ops) = &k.scope {
                for op in ops.iter().filter(|o| d.ops.callback(o).is_none()) {
                    let kind = DeclErrorKind::UnknownOp {
                        kfunc: k.name.clone(),
                        op: op.clone(),
                        ops: d.ops.name.clone(),
                    };
                    self.at(k.span, kind);
                }
            }
        }
    }

    /// The exit op receives the struct the glue defines.
    fn exit_info(&mut self) {
        let d = self.decl;
        let names = Names::new(&d.subsystem.name, &d.ops.name);
        let Some(op) = d.ops.exit_op() else {
            return;
        };
        let given = op.proto.params.first().and_then(|p| p.ty.struct_ptr_tag());
        if let Some(given) = given.filter(|g| *g != names.exit_info()) {
            self.at(
                op.span,
                DeclErrorKind::ExitInfoType {
                    op: op.name().into(),
                    given: given.into(),
                    want: names.exit_info(),
                },
            );
        }
    }

    /// The write allowlist names declared struct fields.
    fn writes(&mut self) {
        let d = self.decl;
        for w in &d.ops.writes {
            let rule = format!("{}.{}", w.strukt, w.field);
            if w.field.is_empty() || w.strukt.is_empty() {
                self.at(w.span, DeclErrorKind::WriteSyntax { rule });
                continue;
            }
            let strukt = w.strukt.clone();
            match d.shared_struct(&w.strukt) {
                None => self.at(w.span, DeclErrorKind::WriteUnknownStruct { rule, strukt }),
                Some(s) if s.def.field(&w.field).is_none() => {
                    let field = w.field.clone();
                    self.at(
                        w.span,
                        DeclErrorKind::WriteUnknownField {
                            rule,
                            strukt,
                            field,
                        },
                    )
                }
                Some(_) => {}
            }
        }
    }

    /// Docs are pasted into C comments and Rust doc comments.
    fn docs(&mut self) {
        let d = self.decl;
        let mut docs: Vec<(String, &str, Span)> = Vec::new();
        let mut add = |item: String, doc: &'a Option<String>, span: Span| {
            if let Some(doc) = doc {
                docs.push((item, doc.as_str(), span));
            }
        };
        let sub = &d.subsystem;
        add(format!("subsystem `{}`", sub.name), &sub.doc, sub.span);
        for s in &d.structs {
            add(format!("struct `{}`", s.def.name), &s.doc, s.span);
        }
        add(format!("ops `{}`", d.ops.name), &d.ops.doc, d.ops.span);
        for cb in &d.ops.callbacks {
            add(format!("ops callback `{}`", cb.name()), &cb.doc, cb.span);
        }
        for m in &d.ops.data {
            add(format!("ops data member `{}`", m.decl.name), &m.doc, m.span);
            if let DataKind::Flags(flags) = &m.kind {
                for f in flags {
                    add(format!("flag `{}`", f.name), &f.doc, m.span);
                }
            }
        }
        for h in &d.hooks {
            add(format!("hook `{}`", h.name()), &h.doc, h.span);
        }
        for k in &d.kfuncs {
            if let Some(doc) = &k.doc {
                let item = format!("kfunc `{}`", k.name());
                docs.push((item.clone(), doc.summary.as_str(), k.span));
                for (_, a) in &doc.args {
                    docs.push((item.clone(), a.as_str(), k.span));
                }
                if let Some(r) = &doc.ret {
                    docs.push((item, r.as_str(), k.span));
                }
            }
        }
        for (item, doc, span) in docs {
            if let Some(seq) = ["*/", "/*"].into_iter().find(|s| doc.contains(s)) {
                self.at(span, DeclErrorKind::DocCommentMarker { item, seq });
            } else if let Some(c) = doc.chars().find(|c| c.is_control() && *c != '\n') {
                let code = u32::from(c);
                self.at(span, DeclErrorKind::DocControl { item, code });
            }
        }
    }

    fn arrays(&mut self) {
        let d = self.decl;
        for s in &d.structs {
            for (i, f) in s.def.fields.iter().enumerate() {
                if let CType::Array { len, .. } = f.ty {
                    if len > MAX_ARRAY_LEN {
                        let span = s.field_spans.get(i).copied().unwrap_or(s.span);
                        let item = format!("struct `{}` field `{}`", s.def.name, f.name);
                        let max = MAX_ARRAY_LEN;
                        self.at(span, DeclErrorKind::ArrayTooLarge { item, len, max });
                    }
                }
            }
        }
    }

    /// Flags are C macros and Rust constants: upper case, subsystem prefix.
    fn flags(&mut self) {
        let d = self.decl;
        let prefix = format!("{}_", d.subsystem.name.to_ascii_uppercase());
        for m in &d.ops.data {
            let DataKind::Flags(flags) = &m.kind else {
                continue;
            };
            for f in flags {
                let upper = f
                    .name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if !upper || !f.name.starts_with(&prefix) || f.name.len() == prefix.len() {
                    let suggest: String = f
                        .name
                        .to_ascii_uppercase()
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                        .collect();
                    let suggest = suggest
                        .strip_prefix(&prefix)
                        .unwrap_or(&suggest)
                        .to_string();
                    self.at(
                        m.span,
                        DeclErrorKind::FlagName {
                            flag: f.name.clone(),
                            prefix: prefix.clone(),
                            suggest,
                        },
                    );
                }
            }
        }
    }

    /// Verdict values are enumerators in the kernel and BPF headers: upper
    /// case, subsystem prefix, like flags.
    fn verdicts(&mut self) {
        let d = self.decl;
        let prefix = format!("{}_", d.subsystem.name.to_ascii_uppercase());
        for cb in &d.ops.callbacks {
            let Some(v) = &cb.verdict else {
                continue;
            };
            for value in &v.values {
                let upper = value
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if upper && value.starts_with(&prefix) && value.len() > prefix.len() {
                    continue;
                }
                let up = value.to_ascii_uppercase();
                let suggest = up.strip_prefix(&prefix).unwrap_or(&up).to_string();
                self.at(
                    cb.span,
                    DeclErrorKind::VerdictValueName {
                        value: value.clone(),
                        prefix: prefix.clone(),
                        suggest,
                    },
                );
            }
        }
    }

    /// One namespace per kind of generated name; a macro clashes with all
    /// of C. Linear in the number of names.
    fn collisions(&mut self, table: &[Symbol]) {
        let mut ordinary: HashMap<&str, usize> = HashMap::new();
        let mut tags: HashMap<&str, usize> = HashMap::new();
        let mut macros: HashMap<&str, usize> = HashMap::new();
        let mut rust: HashMap<&str, usize> = HashMap::new();
        // a name clashing in C and in Rust is one error
        let mut reported: HashSet<(&str, Span)> = HashSet::new();
        for (i, s) in table.iter().enumerate() {
            let name = s.name.as_str();
            let hit = match s.ns {
                Ns::C => ordinary.get(name),
                Ns::Macro => ordinary.get(name).or_else(|| tags.get(name)),
                Ns::Tag => tags.get(name).or_else(|| macros.get(name)),
                Ns::Rust => rust.get(name),
            }
            .copied();
            if let Some(first) = hit {
                let f = &table[first];
                let span = if f.declared && !s.declared {
                    f.span
                } else {
                    s.span
                };
                if !reported.insert((name, span)) {
                    continue;
                }
                self.at(
                    span,
                    DeclErrorKind::NameCollision {
                        name: s.name.clone(),
                        first: table[first].what.clone(),
                        second: s.what.clone(),
                    },
                );
                continue;
            }
            match s.ns {
                Ns::C => {
                    ordinary.insert(name, i);
                }
                Ns::Macro => {
                    ordinary.insert(name, i);
                    macros.insert(name, i);
                }
                Ns::Tag => {
                    tags.insert(name, i);
                }
                Ns::Rust => {
                    rust.insert(name, i);
                }
            }
        }
    }

    fn lengths(&mut self, table: &[Symbol]) {
        if self.decl.subsystem.name.len() > MAX_SUBSYSTEM_LEN {
            return;
        }
        let mut seen = HashSet::new();
        for s in table {
            if s.ns != Ns::Rust && s.name.len() > MAX_SYMBOL_LEN && seen.insert(&s.name) {
                self.at(
                    s.span,
                    DeclErrorKind::SymbolTooLong {
                        name: s.name.clone(),
                        what: s.what.clone(),
                        len: s.name.len(),
                        max: MAX_SYMBOL_LEN,
                    },
                );
            }
        }
    }

    /// Declared names vs C/kernel reserved words, generated macros and Rust.
    fn user_names(&mut self, table: &[Symbol]) {
        let d = self.decl;
        let macros: HashMap<&str, &Symbol> = table
            .iter()
            .filter(|s| s.ns == Ns::Macro)
            .map(|s| (s.name.as_str(), s))
            .collect();
        // (role, name, span, is a member or field that macros must not hit, is a Rust field)
        let mut names: Vec<(String, &str, Span, bool, bool)> = Vec::new();
        // the subsystem name is only ever a prefix: it cannot clash alone
        names.push(("ops type".into(), &d.ops.name, d.ops.span, false, false));
        for s in &d.structs {
            names.push(("struct".into(), &s.def.name, s.span, true, false));
            for (i, f) in s.def.fields.iter().enumerate() {
                let span = s.field_spans.get(i).copied().unwrap_or(s.span);
                let role = format!("field of struct `{}`", s.def.name);
                // a skeleton of an object using the struct has it as a Rust field
                names.push((role, &f.name, span, true, true));
            }
        }
        for cb in &d.ops.callbacks {
            names.push(("ops callback".into(), cb.name(), cb.span, true, false));
            if let Some(def) = &cb.default {
                let role = format!("default of `{}`", cb.name());
                names.push((role, def, cb.span, false, false));
            }
        }
        for m in &d.ops.data {
            names.push(("ops data member".into(), &m.decl.name, m.span, true, true));
        }
        for k in &d.kfuncs {
            names.push(("kfunc".into(), k.name(), k.span, false, false));
        }
        for h in &d.hooks {
            names.push(("hook".into(), h.name(), h.span, false, false));
        }
        for (role, name, span, member, rust_field) in names {
            if check_ident(name).is_err() {
                continue; // the concept's own rules report it
            }
            if let Some(why) = c_reserved(name) {
                let name = name.to_string();
                self.at(span, DeclErrorKind::Reserved { role, name, why });
                continue;
            }
            if let Some(m) = macros.get(name).filter(|_| member) {
                self.at(
                    span,
                    DeclErrorKind::NameCollision {
                        name: name.into(),
                        first: m.what.clone(),
                        second: format!("{role} `{name}`"),
                    },
                );
            }
            if let Some(why) = rust_field.then(|| rust_reserved(name)).flatten() {
                let name = name.to_string();
                self.at(span, DeclErrorKind::RustFieldName { role, name, why });
            }
        }
    }

    /// Parameter names: unique, and nothing the generated bodies refer to.
    fn params(&mut self, table: &[Symbol]) {
        let d = self.decl;
        let ordinary: HashMap<&str, &Symbol> = table
            .iter()
            .filter(|s| matches!(s.ns, Ns::C | Ns::Macro))
            .map(|s| (s.name.as_str(), s))
            .collect();
        let n = Names::new(&d.subsystem.name, &d.ops.name);
        let mut protos: Vec<(String, &FuncProto, Span, bool)> = Vec::new();
        for cb in &d.ops.callbacks {
            protos.push((format!("op `{}`", cb.name()), &cb.proto, cb.span, true));
        }
        for k in &d.kfuncs {
            protos.push((format!("kfunc `{}`", k.name()), &k.proto, k.span, false));
        }
        for h in &d.hooks {
            protos.push((format!("hook `{}`", h.name()), &h.proto, h.span, false));
        }
        for (func, proto, span, is_op) in protos {
            let mut seen = HashSet::new();
            for p in &proto.params {
                let plain = if is_op {
                    plain_arg_name(&p.name)
                } else {
                    p.name.as_str()
                };
                let param = plain.to_string();
                if !seen.insert(plain) {
                    let func = func.clone();
                    self.at(span, DeclErrorKind::DuplicateParam { func, param });
                    continue;
                }
                if check_ident(plain).is_err() {
                    continue;
                }
                if let Some(why) = c_reserved(plain) {
                    let role = format!("parameter of {func}");
                    self.at(
                        span,
                        DeclErrorKind::Reserved {
                            role,
                            name: param,
                            why,
                        },
                    );
                } else if is_op && CALL_PATH_LOCALS.contains(&plain) {
                    let (op, call) = (proto.name.clone(), n.call_fn(&proto.name));
                    self.at(span, DeclErrorKind::ParamIsGlueLocal { param, op, call });
                } else if let Some(s) = ordinary.get(plain) {
                    let (func, what) = (func.clone(), s.what.clone());
                    self.at(span, DeclErrorKind::ParamShadows { param, func, what });
                }
            }
        }
    }

    /// One default function serves callbacks of one prototype only.
    fn shared_defaults(&mut self) {
        let d = self.decl;
        let mut first: HashMap<&str, &modless_struct_ops::Callback> = HashMap::new();
        for cb in &d.ops.callbacks {
            let Some(def) = &cb.default else {
                continue;
            };
            match first.get(def.as_str()) {
                None => {
                    first.insert(def, cb);
                }
                Some(f) => {
                    let types = |p: &FuncProto| {
                        (
                            p.ret.clone(),
                            p.params.iter().map(|a| a.ty.clone()).collect::<Vec<_>>(),
                        )
                    };
                    if types(&f.proto) != types(&cb.proto) {
                        self.at(
                            cb.span,
                            DeclErrorKind::SharedDefaultSignature {
                                default: def.clone(),
                                first: f.name().into(),
                                second: cb.name().into(),
                            },
                        );
                    }
                }
            }
        }
    }

    /// Global uniqueness against the target kernel.
    fn kernel(&mut self, table: &[Symbol], kernel: &KernelNames) {
        for s in table {
            let (set, what) = match s.kernel_unique {
                None => continue,
                Some(KernelUnique::Kfunc) => (&kernel.funcs, "kfunc"),
                Some(KernelUnique::Function) => (&kernel.funcs, "function"),
                Some(KernelUnique::Struct) => (&kernel.structs, "struct"),
            };
            if set.contains(&s.name) {
                let name = s.name.clone();
                self.at(s.span, DeclErrorKind::KernelNameClash { what, name });
            }
        }
    }
}
