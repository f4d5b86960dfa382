//! libbpf's flavours: `name___v2`, `name___compat`, `struct x___new` match
//! the kernel's `name` / `struct x` by their essential name.

/// The essential name as libbpf computes it: cut before the last `X___Y`
/// separator, where X and Y are not `_`.
pub fn essential_name(name: &str) -> &str {
    let b = name.as_bytes();
    for i in (0..b.len().saturating_sub(4)).rev() {
        if b[i] != b'_' && &b[i + 1..i + 4] == b"___" && b[i + 4] != b'_' {
            return &name[..=i];
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::essential_name;

    #[test]
    fn libbpfs_rule() {
        assert_eq!(
            essential_name("scx_bpf_dispatch___k6_12"),
            "scx_bpf_dispatch"
        );
        assert_eq!(
            essential_name("scx_bpf_dsq_insert___v2___k7_3"),
            "scx_bpf_dsq_insert___v2"
        );
        assert_eq!(
            essential_name("__scx_bpf_select_cpu_and___k7_3"),
            "__scx_bpf_select_cpu_and"
        );
        assert_eq!(essential_name("a____b"), "a____b");
        assert_eq!(essential_name("a___"), "a___");
        assert_eq!(essential_name("___a"), "___a");
    }
}
