//! Typed values for an object's globals (`modless load --set NAME=VALUE`):
//! the type comes from the object's BTF, the text from a person.

use std::fmt;

use libbpf_rs::btf::{types, Btf, BtfKind};
use libbpf_rs::HasSize;

use crate::obj_btf::{name_of, resolve};

/// What a global is, as far as setting it from text goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarType {
    /// An integer of `size` bytes (1, 2, 4 or 8).
    Int { size: usize, signed: bool },
    /// C `bool` / `_Bool`.
    Bool,
    /// An enum: its name and enumerators.
    Enum {
        name: String,
        size: usize,
        signed: bool,
        values: Vec<(String, i128)>,
    },
    /// `char name[len]`, set from a string.
    Chars { len: usize },
    /// Anything else, as the error names it.
    Other(String),
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarType::Int { size, signed } => {
                write!(f, "{}{}", if *signed { "s" } else { "u" }, size * 8)
            }
            VarType::Bool => f.write_str("bool"),
            VarType::Enum { name, .. } if name.is_empty() => f.write_str("enum"),
            VarType::Enum { name, .. } => write!(f, "enum {name}"),
            VarType::Chars { len } => write!(f, "char[{len}]"),
            VarType::Other(what) => f.write_str(what),
        }
    }
}

/// The range of an integer of `size` bytes.
fn range(size: usize, signed: bool) -> (i128, i128) {
    let bits = size as u32 * 8;
    if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// Decimal, `0x` hex, `0o` octal or `0b` binary, with an optional `-`.
pub(crate) fn parse_int(text: &str) -> Option<i128> {
    let t = text.trim().replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t.strip_prefix('+').unwrap_or(&t).to_string()),
    };
    let lower = t.to_ascii_lowercase();
    let v = if let Some(h) = lower.strip_prefix("0x") {
        i128::from_str_radix(h, 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        i128::from_str_radix(o, 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        i128::from_str_radix(b, 2)
    } else {
        lower.parse::<i128>()
    }
    .ok()?;
    Some(if neg { -v } else { v })
}

/// `v` as `size` bytes in the target's (this host's) byte order.
pub(crate) fn int_bytes(v: i128, size: usize) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        v.to_le_bytes()[..size].to_vec()
    } else {
        v.to_be_bytes()[16 - size..].to_vec()
    }
}

/// An integer of `size` bytes read back (for printing what is set).
pub(crate) fn bytes_int(b: &[u8], signed: bool) -> i128 {
    let mut buf = [0u8; 16];
    let v = if cfg!(target_endian = "little") {
        buf[..b.len()].copy_from_slice(b);
        i128::from_le_bytes(buf)
    } else {
        buf[16 - b.len()..].copy_from_slice(b);
        i128::from_be_bytes(buf)
    };
    let bits = b.len() as u32 * 8;
    if signed && bits < 128 && v >> (bits - 1) & 1 == 1 {
        v - (1i128 << bits)
    } else {
        v
    }
}

fn checked_int(v: i128, size: usize, signed: bool) -> Result<Vec<u8>, String> {
    let (lo, hi) = range(size, signed);
    if v < lo || v > hi {
        return Err(format!(
            "{v} is out of range: give an integer from {lo} to {hi}"
        ));
    }
    Ok(int_bytes(v, size))
}

/// The bytes for `text` as a value of `ty`, and how to show what was set.
/// The error says what the type accepts.
pub(crate) fn encode(ty: &VarType, text: &str) -> Result<(Vec<u8>, String), String> {
    match ty {
        VarType::Int { size, signed } => {
            let v = parse_int(text).ok_or_else(|| {
                "not an integer: give a decimal, 0x hex, 0o octal or 0b binary number".to_string()
            })?;
            Ok((checked_int(v, *size, *signed)?, v.to_string()))
        }
        VarType::Bool => match text.trim() {
            "true" | "1" => Ok((vec![1], "true".into())),
            "false" | "0" => Ok((vec![0], "false".into())),
            _ => Err("not a bool: give true, false, 1 or 0".into()),
        },
        VarType::Enum {
            size,
            signed,
            values,
            ..
        } => {
            let named = values.iter().find(|(n, _)| n == text.trim());
            let v = match (named, parse_int(text)) {
                (Some((n, v)), _) => {
                    return Ok((checked_int(*v, *size, *signed)?, format!("{n} ({v})")))
                }
                (None, Some(v)) => v,
                (None, None) => {
                    let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(format!(
                        "no enumerator named `{}`: give one of {} or an integer",
                        text.trim(),
                        names.join(", ")
                    ));
                }
            };
            let shown = match values.iter().find(|(_, x)| *x == v) {
                Some((n, _)) => format!("{n} ({v})"),
                None => v.to_string(),
            };
            Ok((checked_int(v, *size, *signed)?, shown))
        }
        VarType::Chars { len } => {
            if text.len() >= *len {
                return Err(format!(
                    "{} bytes do not fit with their NUL: give at most {} bytes",
                    text.len(),
                    len.saturating_sub(1)
                ));
            }
            if text.as_bytes().contains(&0) {
                return Err("a C string cannot hold NUL bytes: leave them out".into());
            }
            let mut b = vec![0u8; *len];
            b[..text.len()].copy_from_slice(text.as_bytes());
            Ok((b, format!("{text:?}")))
        }
        VarType::Other(what) => Err(format!(
            "a {what} cannot be set from the command line: only integers, bools, enums and \
             char arrays can; set it from Rust with OpenExtension::set_rodata"
        )),
    }
}

/// The type of the BTF type `id` (a VAR's, typedefs and qualifiers followed).
pub(crate) fn var_type(btf: &Btf<'_>, id: u32) -> VarType {
    let Some(t) = resolve(btf, id) else {
        return VarType::Other("type without BTF".into());
    };
    let kind = t.kind();
    if let Ok(i) = types::Int::try_from(t) {
        return match (i.encoding, i.size()) {
            (types::IntEncoding::Bool, _) => VarType::Bool,
            (enc, size @ (1 | 2 | 4 | 8)) => VarType::Int {
                size,
                signed: matches!(enc, types::IntEncoding::Signed),
            },
            (_, size) => VarType::Other(format!("{size}-byte integer")),
        };
    }
    if let Ok(e) = types::Enum::try_from(t) {
        let values = (0..e.len())
            .filter_map(|i| e.get(i))
            .map(|m| (os_name(m.name), i128::from(m.value)))
            .collect();
        return VarType::Enum {
            name: name_of(&e),
            size: e.size(),
            signed: e.is_signed(),
            values,
        };
    }
    if let Ok(e) = types::Enum64::try_from(t) {
        let values = (0..e.len())
            .filter_map(|i| e.get(i))
            .map(|m| (os_name(m.name), m.value))
            .collect();
        return VarType::Enum {
            name: name_of(&e),
            size: e.size(),
            signed: e.is_signed(),
            values,
        };
    }
    if let Ok(a) = types::Array::try_from(t) {
        let is_char = resolve(btf, a.ty().into())
            .and_then(|e| types::Int::try_from(e).ok())
            .is_some_and(|e| e.size() == 1);
        return if is_char {
            VarType::Chars { len: a.capacity() }
        } else {
            VarType::Other("non-char array".into())
        };
    }
    VarType::Other(
        match kind {
            BtfKind::Ptr => "pointer",
            BtfKind::Struct => "struct",
            BtfKind::Union => "union",
            BtfKind::Float => "float",
            _ => "type",
        }
        .into(),
    )
}

fn os_name(n: Option<&std::ffi::OsStr>) -> String {
    n.map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn int(size: usize, signed: bool) -> VarType {
        VarType::Int { size, signed }
    }

    #[test]
    fn integers_of_each_width_and_sign() {
        assert_eq!(encode(&int(1, false), "255").unwrap().0, vec![255]);
        assert!(encode(&int(1, false), "256")
            .unwrap_err()
            .contains("from 0 to 255"));
        assert_eq!(encode(&int(1, true), "-128").unwrap().0, vec![0x80]);
        assert!(encode(&int(1, true), "128").is_err());
        assert!(encode(&int(4, false), "-1")
            .unwrap_err()
            .contains("out of range"));
        assert_eq!(
            encode(&int(8, false), "0xffffffffffffffff").unwrap().0,
            vec![0xff; 8]
        );
        assert_eq!(encode(&int(2, false), "0b101").unwrap().1, "5");
        assert!(encode(&int(4, true), "ten")
            .unwrap_err()
            .contains("not an integer"));
    }

    #[test]
    fn bools_enums_and_strings() {
        assert_eq!(encode(&VarType::Bool, "true").unwrap().0, vec![1]);
        assert!(encode(&VarType::Bool, "yes")
            .unwrap_err()
            .contains("true, false"));
        let e = VarType::Enum {
            name: "mode".into(),
            size: 4,
            signed: true,
            values: vec![("OFF".into(), 0), ("FAST".into(), 5), ("NEG".into(), -3)],
        };
        assert_eq!(
            encode(&e, "FAST").unwrap(),
            (int_bytes(5, 4), "FAST (5)".into())
        );
        assert_eq!(encode(&e, "-3").unwrap().1, "NEG (-3)");
        assert!(encode(&e, "SLOW").unwrap_err().contains("OFF, FAST, NEG"));
        let c = VarType::Chars { len: 4 };
        assert_eq!(encode(&c, "abc").unwrap().0, b"abc\0".to_vec());
        assert!(encode(&c, "abcd").unwrap_err().contains("at most 3 bytes"));
        assert!(encode(&VarType::Other("struct".into()), "1")
            .unwrap_err()
            .contains("cannot be set"));
    }

    quickcheck! {
        fn an_in_range_integer_round_trips(v: i64, size_pick: u8, signed: bool) -> bool {
            let size = [1usize, 2, 4, 8][size_pick as usize % 4];
            let (lo, hi) = range(size, signed);
            let v = i128::from(v);
            match encode(&int(size, signed), &v.to_string()) {
                Ok((b, _)) => lo <= v && v <= hi && bytes_int(&b, signed) == v,
                Err(_) => v < lo || v > hi,
            }
        }

        fn hex_and_decimal_agree(v: u64) -> bool {
            parse_int(&format!("{v:#x}")) == parse_int(&v.to_string())
        }
    }
}
