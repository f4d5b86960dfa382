use modless_ctypes::{FuncProto, Span};

/// A return value as C spells it (`0`, `-EPERM`) and its numeric value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetValue {
    pub expr: String,
    pub value: i128,
}

/// errno names a declaration may use in return values (asm-generic/errno-base.h,
/// errno.h, linux/err.h).
const ERRNOS: &[(&str, i128)] = &[
    ("EPERM", 1),
    ("ENOENT", 2),
    ("EINTR", 4),
    ("EIO", 5),
    ("E2BIG", 7),
    ("EAGAIN", 11),
    ("ENOMEM", 12),
    ("EACCES", 13),
    ("EFAULT", 14),
    ("EBUSY", 16),
    ("EEXIST", 17),
    ("EINVAL", 22),
    ("ENOSPC", 28),
    ("ERANGE", 34),
    ("EOPNOTSUPP", 95),
    ("ECANCELED", 125),
    ("MAX_ERRNO", 4095),
];

impl RetValue {
    pub fn int(v: i128) -> Self {
        RetValue {
            expr: v.to_string(),
            value: v,
        }
    }

    /// `"-EPERM"`, `"EBUSY"`, `"-MAX_ERRNO"` or a decimal integer.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        if let Ok(v) = t.parse::<i128>() {
            return Some(RetValue::int(v));
        }
        let (neg, name) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.trim()),
            None => (false, t),
        };
        let (_, v) = ERRNOS.iter().find(|(n, _)| *n == name)?;
        let value = if neg { -v } else { *v };
        let expr = if neg {
            format!("(-{name})")
        } else {
            name.to_string()
        };
        Some(RetValue { expr, value })
    }
}

/// What BPF may do at a hook site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HookKind {
    /// Observe only (fentry / fexit); the function returns void.
    FentryOnly,
    /// fmod_ret may replace the return value; the call site clamps it to
    /// `[min, max]`.
    FmodRet {
        min: RetValue,
        max: RetValue,
        /// What the function returns when no program overrides it.
        default: RetValue,
        /// Also allow `fmod_ret.s` / `fentry.s` programs.
        sleepable: bool,
        /// Add `ALLOW_ERROR_INJECTION(hook, ERRNO)`; only effective with
        /// CONFIG_FUNCTION_ERROR_INJECTION, the fmodret set works without.
        error_injection: bool,
    },
}

/// A global noinline function the subsystem calls so BPF can attach there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hook {
    pub proto: FuncProto,
    pub kind: HookKind,
    pub doc: Option<String>,
    pub span: Span,
    pub proto_span: Span,
}

impl Hook {
    pub fn name(&self) -> &str {
        &self.proto.name
    }

    pub fn is_fmod_ret(&self) -> bool {
        matches!(self.kind, HookKind::FmodRet { .. })
    }
}
