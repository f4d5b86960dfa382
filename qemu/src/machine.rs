//! The machine QEMU emulates for a guest, and how the 9p shares attach to it.

use std::path::Path;

use crate::kernel::Kernel;

/// `microvm` boots a guest with virtio over MMIO, no PCI bus, qboot and an
/// ACPI namespace of a few devices; `pc` has SeaBIOS, the PCI bus and the
/// full ACPI tables. Under TCG with the debug kernel, `acpi_init` alone (the
/// namespace and the PCI scan through it, lockdep tracking every lock of the
/// interpreter) took a third of a `pc` boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    Pc,
    Microvm,
}

impl Machine {
    /// microvm when the kernel reaches virtio over MMIO itself and the guest
    /// has one NUMA node: microvm's ACPI tables have no SRAT, so NUMA guests
    /// stay on `pc`. A kernel without its config at hand (an image) stays on
    /// `pc`, whose virtio-pci every distribution kernel has.
    pub fn for_guest(kernel: &Kernel, nodes: u32) -> Machine {
        Machine::choose(&kernel.config(), nodes)
    }

    fn choose(kernel_config: &str, nodes: u32) -> Machine {
        let mmio = kernel_config.lines().any(|l| l == "CONFIG_VIRTIO_MMIO=y");
        if mmio && nodes == 1 {
            Machine::Microvm
        } else {
            Machine::Pc
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Machine::Pc => "pc",
            Machine::Microvm => "microvm",
        }
    }

    pub fn qemu_args(self) -> [&'static str; 2] {
        ["-machine", self.name()]
    }

    /// For the kernel's command line: microvm has no PCI bus, and a kernel
    /// that probes for one says so at error level ("PCI: Fatal: No config
    /// space access function found").
    pub fn kernel_params(self) -> &'static str {
        match self {
            Machine::Pc => "",
            Machine::Microvm => " pci=off",
        }
    }

    /// A 9p share of host `path` under `tag`, on this machine's virtio transport.
    pub fn share_args(self, id: &str, path: &Path, tag: &str, readonly: bool) -> [String; 4] {
        let ro = if readonly { ",readonly=on" } else { "" };
        let device = match self {
            Machine::Pc => "virtio-9p-pci",
            Machine::Microvm => "virtio-9p-device",
        };
        [
            "-fsdev".into(),
            format!(
                "local,id={id},path={},security_model=none,multidevs=remap{ro}",
                path.display()
            ),
            "-device".into(),
            format!("{device},fsdev={id},mount_tag={tag}"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_node_guests_of_an_mmio_kernel_boot_on_microvm() {
        let mmio = "CONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_MMIO=y\n";
        assert_eq!(Machine::choose(mmio, 1), Machine::Microvm);
        assert_eq!(Machine::choose(mmio, 2), Machine::Pc, "no SRAT on microvm");
        assert_eq!(Machine::choose("CONFIG_VIRTIO_PCI=y\n", 1), Machine::Pc);
        assert_eq!(Machine::choose("CONFIG_VIRTIO_MMIO=m\n", 1), Machine::Pc);
        assert_eq!(Machine::choose("", 1), Machine::Pc, "an image: pc");
    }

    #[test]
    fn microvm_guests_do_not_probe_for_pci() {
        assert_eq!(Machine::Microvm.kernel_params(), " pci=off");
        assert_eq!(Machine::Pc.kernel_params(), "");
    }

    #[test]
    fn shares_use_the_machines_virtio_transport() {
        let p = Path::new("/work");
        assert_eq!(
            Machine::Microvm.share_args("mlcwd", p, "mlcwd", false),
            [
                "-fsdev",
                "local,id=mlcwd,path=/work,security_model=none,multidevs=remap",
                "-device",
                "virtio-9p-device,fsdev=mlcwd,mount_tag=mlcwd"
            ]
        );
        let root = Machine::Pc.share_args("root", Path::new("/"), "/dev/root", true);
        assert_eq!(
            root[1],
            "local,id=root,path=/,security_model=none,multidevs=remap,readonly=on"
        );
        assert_eq!(root[3], "virtio-9p-pci,fsdev=root,mount_tag=/dev/root");
    }
}
