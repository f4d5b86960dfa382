//! `const volatile` globals a loader fills with the running kernel's enum
//! values, as scx's loaders do for `SCX_DSQ_*`, `SCX_SLICE_*`, `SCX_ENQ_*`
//! (left at 0 such a scheduler misbehaves): a `.rodata` global named
//! `__<ENUMERATOR>` (scx's convention, e.g. `__SCX_DSQ_LOCAL`) or tagged
//! `__attribute__((btf_decl_tag("modless:kernel_enum=<ENUMERATOR>")))`.

/// The decl tag naming the enumerator a global wants.
pub const KERNEL_ENUM_TAG: &str = "modless:kernel_enum=";

/// A global filled from the kernel's BTF when the object was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelEnum {
    /// The global.
    pub var: String,
    /// The enumerator it asks for.
    pub enumerator: String,
    /// The kernel enum defining it (empty when anonymous or not found).
    pub enum_name: String,
    /// The value set; `None` when the kernel has no such enumerator (the
    /// global keeps its initial value, as scx's `__COMPAT_ENUM_OR_ZERO`).
    pub value: Option<i128>,
}

/// The enumerator a `.rodata` global asks for: its tag, else a name
/// `__` + an upper-case C identifier.
pub(crate) fn wanted(var: &str, tags: &[String]) -> Option<String> {
    if let Some(t) = tags.iter().find_map(|t| t.strip_prefix(KERNEL_ENUM_TAG)) {
        return Some(t.trim().to_string());
    }
    let rest = var.strip_prefix("__")?;
    let mut chars = rest.chars();
    let first = chars.next()?;
    (first.is_ascii_uppercase()
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
    .then(|| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    #[test]
    fn scx_names_and_tags_ask_for_enumerators() {
        assert_eq!(
            wanted("__SCX_DSQ_LOCAL", &[]).as_deref(),
            Some("SCX_DSQ_LOCAL")
        );
        assert_eq!(
            wanted("__SCX_SLICE_DFL", &[]).as_deref(),
            Some("SCX_SLICE_DFL")
        );
        let tag = vec![format!("{KERNEL_ENUM_TAG}SCX_ENQ_WAKEUP")];
        assert_eq!(
            wanted("wakeup_flag", &tag).as_deref(),
            Some("SCX_ENQ_WAKEUP")
        );
        for plain in [
            "nr_cpus",
            "__nr_cpus",
            "__",
            "_SCX_DSQ_LOCAL",
            "__Scx",
            "SCX_X",
        ] {
            assert_eq!(wanted(plain, &[]), None, "{plain}");
        }
        let other = vec!["modless:zero_if_missing".to_string()];
        assert_eq!(wanted("slice", &other), None);
    }

    quickcheck! {
        fn a_lower_case_letter_never_asks(name: String) -> bool {
            !name.chars().any(|c| c.is_ascii_lowercase()) || wanted(&name, &[]).is_none()
        }
    }
}
