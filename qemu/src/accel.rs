//! KVM when it works here, TCG otherwise.

use std::fs::OpenOptions;

use crate::suite::TcgThreads;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AccelChoice {
    Auto,
    Kvm,
    Tcg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
    /// TCG with every vCPU on one host thread (a suite's `tcg_threads`).
    TcgOneThread,
}

impl Accel {
    /// TCG as `threads` asks (the suite's choice); KVM as it is.
    pub fn with_tcg_threads(self, threads: Option<TcgThreads>) -> Self {
        match (self, threads) {
            (Accel::Kvm, _) => Accel::Kvm,
            (_, Some(TcgThreads::Single)) => Accel::TcgOneThread,
            (_, Some(TcgThreads::Multi)) => Accel::Tcg,
            (a, None) => a,
        }
    }

    pub fn qemu_args(self) -> [&'static str; 4] {
        match self {
            Accel::Kvm => ["-accel", "kvm", "-cpu", "host"],
            Accel::Tcg => ["-accel", "tcg", "-cpu", "max"],
            Accel::TcgOneThread => ["-accel", "tcg,thread=single", "-cpu", "max"],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Accel::Kvm => "KVM",
            Accel::Tcg => "TCG (software emulation)",
            Accel::TcgOneThread => "TCG (software emulation, one thread)",
        }
    }

    pub fn is_tcg(self) -> bool {
        self != Accel::Kvm
    }
}

/// Whether `/dev/kvm` can be opened read-write.
pub fn kvm_device_usable() -> bool {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suite_asking_one_tcg_thread_gets_it_under_tcg_only() {
        let one = Accel::Tcg.with_tcg_threads(Some(TcgThreads::Single));
        assert_eq!(one.qemu_args()[1], "tcg,thread=single");
        assert!(one.is_tcg());
        assert!(one.describe().contains("one thread"));
        assert_eq!(Accel::Tcg.with_tcg_threads(None), Accel::Tcg);
        assert_eq!(
            Accel::Kvm.with_tcg_threads(Some(TcgThreads::Single)),
            Accel::Kvm
        );
        assert_eq!(Accel::Tcg.qemu_args()[1], "tcg");
    }
}
