//! libbpf's flavours: `name___v2`, `name___compat`, `struct x___new` are
//! matched to the kernel's `name` / `struct x` by their essential name.

/// The essential name as libbpf computes it: one rule, kept in modless-btf
/// (which import and check use too).
pub use modless_btf::essential_name;

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    #[test]
    fn libbpfs_rule() {
        assert_eq!(essential_name("jobd_ops___v2"), "jobd_ops");
        assert_eq!(essential_name("jobd_ops"), "jobd_ops");
        assert_eq!(essential_name("bpf_x___compat"), "bpf_x");
        assert_eq!(
            essential_name("scx_bpf_dsq_insert___v2___compat"),
            "scx_bpf_dsq_insert___v2"
        );
        // not separators: underscores on either side, or nothing after
        assert_eq!(essential_name("a____b"), "a____b");
        assert_eq!(essential_name("a___"), "a___");
        assert_eq!(essential_name("___a"), "___a");
        assert_eq!(essential_name("__x"), "__x");
    }

    quickcheck! {
        fn a_flavour_is_cut_off(base: String, flavour: String) -> bool {
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            };
            if !ok(&base) || !ok(&flavour) || base.ends_with('_') || flavour.starts_with('_')
                || flavour.contains("___") || essential_name(&base) != base
            {
                return true;
            }
            essential_name(&format!("{base}___{flavour}")) == base
        }
    }
}
