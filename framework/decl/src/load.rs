//! TOML text -> [`Declaration`], collecting every syntax error.

use std::path::Path;

use modless_ctypes::{parse_decl, parse_fn_ptr, parse_prototype, ParseError, Span, StructDef};
use modless_hooks::{Hook, HookKind, RetValue};
use modless_kfuncs::{Deny, KfFlag, Kfunc, KfuncDoc, LintKfunc, OpScope, ProgType};
use modless_struct_ops::{
    Callback, DataKind, DataMember, FlagBit, IfMissing, Instances, OpsTable, Verdict, WriteRule,
};
use toml::Spanned;

use crate::error::{DeclError, DeclErrorKind, DeclErrors};
use crate::location::{inside_string, Lines, Origin};
use crate::model::{Declaration, InTree, SharedStruct, Subsystem};
use crate::raw::{IntOrStr, RawDeny, RawFile};

fn span_of<T>(s: &Spanned<T>) -> Span {
    let r = s.span();
    Span::new(r.start, r.end)
}

struct Loader<'a> {
    lines: Lines<'a>,
    errs: Vec<DeclError>,
}

impl Loader<'_> {
    fn err(&mut self, span: Span, kind: DeclErrorKind) {
        self.errs.push(DeclError::located(&self.lines, span, kind));
    }

    fn c<T>(
        &mut self,
        item: String,
        s: &Spanned<String>,
        f: fn(&str) -> Result<T, ParseError>,
    ) -> Option<T> {
        match f(s.get_ref()) {
            Ok(v) => Some(v),
            Err(err) => {
                let at = inside_string(&self.lines.origin.text, span_of(s), err.offset, err.len);
                self.err(at, DeclErrorKind::CSyntax { item, err });
                None
            }
        }
    }

    fn bad_value(
        &mut self,
        s: &Spanned<String>,
        item: String,
        key: &'static str,
        expected: &[&str],
    ) {
        self.err(
            span_of(s),
            DeclErrorKind::BadValue {
                item,
                key,
                value: s.get_ref().clone(),
                expected: expected.join(", "),
            },
        );
    }

    fn if_missing(&mut self, v: &Option<Spanned<String>>, item: String) -> IfMissing {
        match v.as_ref().map(|s| (s, s.get_ref().as_str())) {
            None | Some((_, "fail")) => IfMissing::Fail,
            Some((_, "zero")) => IfMissing::Zero,
            Some((s, _)) => {
                self.bad_value(s, item, "if_missing", &["fail", "zero"]);
                IfMissing::Fail
            }
        }
    }

    fn kf_flags(&mut self, given: &[Spanned<String>], item: &str) -> Vec<KfFlag> {
        let mut flags = Vec::new();
        for f in given {
            match KfFlag::parse(f.get_ref()) {
                Some(fl) => flags.push(fl),
                None => {
                    let all: Vec<&str> = KfFlag::ALL.iter().map(|f| f.c_name()).collect();
                    self.bad_value(f, item.to_string(), "kfunc flag", &all);
                }
            }
        }
        flags
    }

    fn prog_types(&mut self, given: &[Spanned<String>], item: &str) -> Vec<ProgType> {
        let mut types = Vec::new();
        for t in given {
            match ProgType::parse(t.get_ref()) {
                Some(pt) => types.push(pt),
                None => {
                    let all: Vec<&str> = ProgType::ALL.iter().map(|p| p.key()).collect();
                    self.bad_value(t, item.to_string(), "program type", &all);
                }
            }
        }
        types
    }

    fn ret_value(&mut self, v: &IntOrStr, span: Span, item: &str) -> Option<RetValue> {
        match v {
            IntOrStr::Int(i) => Some(RetValue::int(i128::from(*i))),
            IntOrStr::Str(s) => RetValue::parse(s).or_else(|| {
                self.err(
                    span,
                    DeclErrorKind::BadValue {
                        item: item.to_string(),
                        key: "return value",
                        value: s.clone(),
                        expected: "an integer, an errno such as \"-EPERM\", or \"-MAX_ERRNO\""
                            .into(),
                    },
                );
                None
            }),
        }
    }
}

/// Reads and parses a declaration file; errors name `path` as given.
pub fn load(path: &Path) -> Result<Declaration, DeclErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        DeclErrors(vec![DeclError {
            file: file.clone(),
            line_col: None,
            kind: DeclErrorKind::Io(e.to_string()),
        }])
    })?;
    parse(&text, &file)
}

/// Parses declaration TOML. Only syntax is checked here; call
/// [`Declaration::validate`] for the rules.
pub fn parse(text: &str, file: &str) -> Result<Declaration, DeclErrors> {
    let origin = Origin::new(file, text);
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let span = e
            .span()
            .map(|r| Span::new(r.start, r.end))
            .unwrap_or(Span::UNKNOWN);
        DeclErrors(vec![DeclError::at(
            &origin,
            span,
            DeclErrorKind::Toml(with_fix(e.message(), e.span().and_then(|r| text.get(r)))),
        )])
    })?;
    let mut l = Loader {
        lines: Lines::new(&origin),
        errs: Vec::new(),
    };

    let sub = raw.subsystem.get_ref();
    let subsystem = Subsystem {
        name: sub.name.get_ref().clone(),
        doc: sub.doc.clone(),
        span: span_of(&sub.name),
        in_tree: sub.in_tree.as_ref().map(in_tree),
    };

    let mut structs = Vec::new();
    for rs in &raw.structs {
        let r = rs.get_ref();
        let name = r.name.get_ref().clone();
        let fields: Vec<_> = r
            .fields
            .iter()
            .filter_map(|f| l.c(format!("struct `{name}` field"), f, parse_decl))
            .collect();
        structs.push(SharedStruct {
            def: StructDef { name, fields },
            doc: r.doc.clone(),
            span: span_of(&r.name),
            field_spans: r.fields.iter().map(span_of).collect(),
        });
    }

    let ro = raw.ops.get_ref();
    let ops_name = ro.name.get_ref().clone();
    let instances = match ro.instances.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("one") => Instances::One,
        Some("many") => Instances::Many,
        Some(_) => {
            l.bad_value(
                ro.instances.as_ref().unwrap(),
                format!("ops `{ops_name}`"),
                "instances",
                &["one", "many"],
            );
            Instances::One
        }
    };
    let mut callbacks = Vec::new();
    for rc in &ro.callbacks {
        let c = rc.get_ref();
        if let Some(proto) = l.c(format!("ops `{ops_name}` callback"), &c.proto, parse_fn_ptr) {
            let if_missing = l.if_missing(&c.if_missing, format!("ops callback `{}`", proto.name));
            let op = proto.name.clone();
            callbacks.push(Callback {
                proto,
                required: c.required,
                default: c.default.clone(),
                sleepable: c.sleepable,
                hot: c.hot,
                exit: c.exit,
                if_missing,
                verdict: c.verdict.as_ref().map(|v| {
                    let v = v.get_ref();
                    Verdict {
                        name: v
                            .name
                            .clone()
                            .unwrap_or_else(|| format!("{}_{op}_verdict", sub.name.get_ref())),
                        values: v.values.clone(),
                        fallback: v
                            .fallback
                            .clone()
                            .or_else(|| v.values.first().cloned())
                            .unwrap_or_default(),
                    }
                }),
                doc: c.doc.clone(),
                span: span_of(&c.proto),
                proto_span: span_of(&c.proto),
            });
        }
    }
    let mut data = Vec::new();
    for rd in &ro.data {
        let d = rd.get_ref();
        let Some(decl) = l.c(
            format!("ops `{ops_name}` data member"),
            &d.field,
            parse_decl,
        ) else {
            continue;
        };
        let item = format!("ops data member `{}`", decl.name);
        let kind = match d.kind.get_ref().as_str() {
            "name" => DataKind::Name,
            "flags" => DataKind::Flags(
                d.flags
                    .iter()
                    .map(|f| FlagBit {
                        name: f.name.clone(),
                        bit: f.bit,
                        doc: f.doc.clone(),
                    })
                    .collect(),
            ),
            "value" => DataKind::Value { max: d.max },
            _ => {
                l.bad_value(&d.kind, item, "data kind", &["name", "flags", "value"]);
                continue;
            }
        };
        let if_missing = l.if_missing(&d.if_missing, item);
        data.push(DataMember {
            decl,
            kind,
            default: d.default.clone(),
            if_missing,
            doc: d.doc.clone(),
            span: span_of(&d.field),
        });
    }
    let writes = ro
        .writes
        .iter()
        .map(|w| {
            let (strukt, field) = w.get_ref().split_once('.').unwrap_or((w.get_ref(), ""));
            WriteRule {
                strukt: strukt.to_string(),
                field: field.to_string(),
                span: span_of(w),
            }
        })
        .collect();
    let ops = OpsTable {
        name: ops_name,
        doc: ro.doc.clone(),
        instances,
        callbacks,
        data,
        writes,
        span: span_of(&ro.name),
    };

    let mut kfuncs = Vec::new();
    for rk in &raw.kfuncs {
        let k = rk.get_ref();
        let Some(proto) = l.c("kfunc prototype".into(), &k.proto, parse_prototype) else {
            continue;
        };
        let item = format!("kfunc `{}`", proto.name);
        let flags = l.kf_flags(&k.flags, &item);
        let prog_types = l.prog_types(&k.prog_types, &item);
        let scope = op_scope(&k.ops);
        let deny = match k.deny_ops.as_ref().map(|d| (d, d.get_ref())) {
            None => Deny::None,
            Some((_, RawDeny::All(a))) if a == "*" => Deny::AllOps,
            Some((_, RawDeny::Ops(ops))) => Deny::Ops(ops.clone()),
            Some((d, RawDeny::All(a))) => {
                l.err(
                    span_of(d),
                    DeclErrorKind::BadValue {
                        item: item.clone(),
                        key: "deny_ops",
                        value: a.clone(),
                        expected: "\"*\", a list of ops".into(),
                    },
                );
                Deny::None
            }
        };
        let doc = k.doc.as_ref().map(|summary| KfuncDoc {
            summary: summary.clone(),
            args: k
                .doc_args
                .iter()
                .map(|(a, v)| {
                    (
                        a.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            ret: k.doc_return.clone(),
        });
        kfuncs.push(Kfunc {
            proto,
            flags,
            prog_types,
            scope,
            deny,
            doc,
            span: span_of(&k.proto),
            proto_span: span_of(&k.proto),
        });
    }

    let mut hooks = Vec::new();
    for rh in &raw.hooks {
        let h = rh.get_ref();
        let Some(proto) = l.c("hook prototype".into(), &h.proto, parse_prototype) else {
            continue;
        };
        let item = format!("hook `{}`", proto.name);
        let kind = match h.attach.get_ref().as_str() {
            "fentry" => HookKind::FentryOnly,
            "fmod_ret" => {
                let span = h
                    .ret_range
                    .as_ref()
                    .map(span_of)
                    .unwrap_or(span_of(&h.attach));
                let (min, max) = match h.ret_range.as_ref().map(|r| r.get_ref().as_slice()) {
                    Some([a, b]) => (l.ret_value(a, span, &item), l.ret_value(b, span, &item)),
                    Some(other) => {
                        let count = other.len();
                        l.err(span, DeclErrorKind::RetRangeLen { item, count });
                        continue;
                    }
                    None => (
                        Some(RetValue::int(i128::from(i32::MIN))),
                        Some(RetValue::int(i128::from(i32::MAX))),
                    ),
                };
                let default = match &h.default {
                    Some(d) => l.ret_value(d.get_ref(), span_of(d), &item),
                    None => Some(RetValue::int(0)),
                };
                let (Some(min), Some(max), Some(default)) = (min, max, default) else {
                    continue;
                };
                HookKind::FmodRet {
                    min,
                    max,
                    default,
                    sleepable: h.sleepable,
                    error_injection: h.error_injection,
                }
            }
            _ => {
                l.bad_value(&h.attach, item, "attach kind", &["fentry", "fmod_ret"]);
                continue;
            }
        };
        hooks.push(Hook {
            proto,
            kind,
            doc: h.doc.clone(),
            span: span_of(&h.proto),
            proto_span: span_of(&h.proto),
        });
    }

    let lint_kfuncs = raw
        .lint_kfuncs
        .iter()
        .map(|rk| {
            let k = rk.get_ref();
            let item = format!("lint_kfunc `{}`", k.name.get_ref());
            LintKfunc {
                name: k.name.get_ref().clone(),
                flags: l.kf_flags(&k.flags, &item),
                prog_types: l.prog_types(&k.prog_types, &item),
                scope: op_scope(&k.ops),
                span: span_of(&k.name),
            }
        })
        .collect();

    let compat = raw.compat.as_ref().map(|c| {
        let (compat, errs) = crate::compat::from_raw(c, &l.lines);
        l.errs.extend(errs);
        compat
    });

    if !l.errs.is_empty() {
        return Err(DeclErrors(l.errs));
    }
    Ok(Declaration {
        origin: origin.clone(),
        subsystem,
        structs,
        ops,
        kfuncs,
        hooks,
        lint_kfuncs,
        compat,
    })
}

fn op_scope(ops: &Option<Vec<Spanned<String>>>) -> OpScope {
    match ops {
        None => OpScope::AnyOp,
        Some(list) => OpScope::Ops(list.iter().map(|o| o.get_ref().clone()).collect()),
    }
}

fn in_tree(t: &Spanned<crate::raw::RawInTree>) -> InTree {
    let r = t.get_ref();
    let strings = |v: &[Spanned<String>]| v.iter().map(|s| s.get_ref().clone()).collect();
    let spans = |v: &[Spanned<String>]| v.iter().map(span_of).collect();
    InTree {
        dir: r.dir.get_ref().clone(),
        config: r.config.get_ref().clone(),
        depends_on: strings(&r.depends_on),
        includes: strings(&r.includes),
        span: span_of(t),
        depends_spans: spans(&r.depends_on),
        include_spans: spans(&r.includes),
        dir_span: span_of(&r.dir),
        config_span: span_of(&r.config),
    }
}

/// serde's message, with the key it is about (from the message or the
/// source at its span) and what to do about it.
fn with_fix(msg: &str, at: Option<&str>) -> String {
    let msg = msg.trim_end();
    let at = at.map(|a| a.trim().trim_matches('"')).filter(|a| {
        !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    });
    let named = msg.split('`').nth(1);
    let key = named.or(at);
    let msg = match (named, at) {
        (None, Some(k)) if msg.starts_with("duplicate key") => format!("duplicate key `{k}`"),
        _ => msg.to_string(),
    };
    let msg = msg.as_str();
    let fix = if msg.starts_with("missing field") {
        match key {
            Some(k) => format!("add `{k} = ...` to this table"),
            None => "add the missing key".into(),
        }
    } else if msg.starts_with("duplicate key") {
        match key {
            Some(k) => format!("keep one `{k}`: a key may appear once per table"),
            None => "keep one of the two: a key may appear once per table".into(),
        }
    } else if msg.starts_with("unknown field") {
        match key {
            Some(k) => format!("remove `{k}` or correct its spelling"),
            None => "remove the key or correct its spelling".into(),
        }
    } else if msg.starts_with("invalid type") {
        "give a value of the expected type".into()
    } else if msg.starts_with("invalid length") {
        "give the expected number of values".into()
    } else {
        return msg.to_string();
    };
    format!("{msg}; {fix}")
}
