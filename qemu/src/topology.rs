//! Guest CPU, memory and NUMA layout, turned into QEMU arguments.

use crate::error::{Error, Result};

/// The shape of the guest machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    pub cpus: u32,
    pub mem_mib: u64,
    /// NUMA nodes; 1 means no `-numa` options. Each node is one socket (one LLC).
    pub nodes: u32,
}

impl Topology {
    /// `numa` is `N` (nodes, CPUs split evenly) or `NxC` (N nodes of C CPUs, which
    /// then fixes the CPU count).
    pub fn new(cpus: Option<u32>, mem: &str, numa: Option<&str>) -> Result<Self> {
        let mem_mib = parse_mem(mem)?;
        let (nodes, per_node) = match numa {
            None => (1, None),
            Some(s) => parse_numa(s)?,
        };
        let cpus = match (cpus, per_node) {
            (Some(c), Some(p)) if c != nodes * p => {
                return Err(Error::Topology(format!(
                    "--cpus {c} contradicts --numa {nodes}x{p} ({} CPUs)",
                    nodes * p
                )))
            }
            (_, Some(p)) => nodes * p,
            (Some(c), None) => c,
            (None, None) => 4.max(nodes),
        };
        let topo = Topology {
            cpus,
            mem_mib,
            nodes,
        };
        topo.check()?;
        Ok(topo)
    }

    fn check(&self) -> Result<()> {
        if self.cpus == 0 || self.cpus > 16 {
            return Err(Error::Topology(format!(
                "{} CPUs: the guest kernel supports 1..=16 (CONFIG_NR_CPUS)",
                self.cpus
            )));
        }
        if self.nodes == 0 || !self.cpus.is_multiple_of(self.nodes) {
            return Err(Error::Topology(format!(
                "{} CPUs cannot be split evenly over {} NUMA nodes",
                self.cpus, self.nodes
            )));
        }
        if self.mem_mib < 128 * u64::from(self.nodes)
            || !self.mem_mib.is_multiple_of(u64::from(self.nodes))
        {
            return Err(Error::Topology(format!(
                "{} MiB cannot be split into {} nodes of at least 128 MiB",
                self.mem_mib, self.nodes
            )));
        }
        Ok(())
    }

    /// QEMU arguments for `-smp`, `-m` and the NUMA nodes.
    pub fn qemu_args(&self) -> Vec<String> {
        let cores = self.cpus / self.nodes;
        let mut args = vec![
            "-smp".into(),
            format!(
                "{},sockets={},cores={},threads=1",
                self.cpus, self.nodes, cores
            ),
            "-m".into(),
            format!("{}M", self.mem_mib),
        ];
        if self.nodes > 1 {
            let node_mem = self.mem_mib / u64::from(self.nodes);
            for n in 0..self.nodes {
                let first = n * cores;
                args.push("-object".into());
                args.push(format!("memory-backend-ram,id=mem{n},size={node_mem}M"));
                args.push("-numa".into());
                args.push(format!(
                    "node,nodeid={n},cpus={first}-{},memdev=mem{n}",
                    first + cores - 1
                ));
            }
        }
        args
    }

    pub fn describe(&self) -> String {
        if self.nodes > 1 {
            format!(
                "{} CPUs ({} NUMA nodes x {}), {} MiB",
                self.cpus,
                self.nodes,
                self.cpus / self.nodes,
                self.mem_mib
            )
        } else {
            let s = if self.cpus == 1 { "" } else { "s" };
            format!("{} CPU{s}, {} MiB", self.cpus, self.mem_mib)
        }
    }
}

fn parse_mem(s: &str) -> Result<u64> {
    let s = s.trim();
    let (digits, scale) = match s.chars().last() {
        Some('G' | 'g') => (&s[..s.len() - 1], 1024),
        Some('M' | 'm') => (&s[..s.len() - 1], 1),
        _ => (s, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|v| v.checked_mul(scale))
        .ok_or_else(|| Error::Topology(format!("--mem {s:?}: expected e.g. 1G or 768M")))
}

fn parse_numa(s: &str) -> Result<(u32, Option<u32>)> {
    let bad = || {
        Error::Topology(format!(
            "--numa {s:?}: expected NODES or NODESxCPUS, e.g. 2x2"
        ))
    };
    match s.split_once(['x', 'X']) {
        Some((n, c)) => Ok((
            n.parse().map_err(|_| bad())?,
            Some(c.parse().map_err(|_| bad())?),
        )),
        None => Ok((s.parse().map_err(|_| bad())?, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck_macros::quickcheck;

    #[test]
    fn numa_2x2_gives_two_sockets_with_two_cores() {
        let t = Topology::new(None, "1G", Some("2x2")).unwrap();
        assert_eq!(t.cpus, 4);
        let args = t.qemu_args().join(" ");
        assert!(
            args.contains("-smp 4,sockets=2,cores=2,threads=1"),
            "{args}"
        );
        assert!(
            args.contains("node,nodeid=0,cpus=0-1,memdev=mem0"),
            "{args}"
        );
        assert!(
            args.contains("node,nodeid=1,cpus=2-3,memdev=mem1"),
            "{args}"
        );
        assert!(
            args.contains("memory-backend-ram,id=mem1,size=512M"),
            "{args}"
        );
    }

    #[test]
    fn contradictions_and_garbage_are_rejected() {
        assert!(Topology::new(Some(3), "1G", Some("2x2")).is_err());
        assert!(Topology::new(Some(3), "1G", Some("2")).is_err());
        assert!(Topology::new(Some(4), "lots", None).is_err());
        assert!(Topology::new(Some(4), "1G", Some("two")).is_err());
        assert!(Topology::new(Some(64), "1G", None).is_err());
    }

    #[test]
    fn plain_cpus_has_no_numa_nodes() {
        let t = Topology::new(Some(2), "768M", None).unwrap();
        assert_eq!(t.mem_mib, 768);
        assert!(!t.qemu_args().iter().any(|a| a == "-numa"));
    }

    /// Every accepted topology names each CPU in exactly one node.
    #[quickcheck]
    fn accepted_topologies_cover_each_cpu_once(cpus: u8, nodes: u8, mem_gib: u8) -> bool {
        let numa = format!("{}", nodes % 5);
        let Ok(t) = Topology::new(
            Some(u32::from(cpus % 20)),
            &format!("{}G", mem_gib % 8),
            Some(&numa),
        ) else {
            return true;
        };
        if t.nodes == 1 {
            return true;
        }
        let mut seen = vec![0u32; t.cpus as usize];
        for a in t.qemu_args().iter().filter(|a| a.starts_with("node,")) {
            let range = a.split("cpus=").nth(1).unwrap().split(',').next().unwrap();
            let (lo, hi) = range.split_once('-').unwrap();
            let (lo, hi) = (lo.parse::<usize>().unwrap(), hi.parse::<usize>().unwrap());
            for n in &mut seen[lo..=hi] {
                *n += 1;
            }
        }
        seen.iter().all(|&n| n == 1)
    }
}
