//! Scheduling domains from sysfs: NUMA nodes, else last-level caches, else one.

use std::path::Path;

use crate::abi::{MAX_CPUS, MAX_DOMS};
use crate::error::DombalError;

/// Where the domains came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainSource {
    /// `/sys/devices/system/node/node*/cpulist`.
    Numa,
    /// `/sys/devices/system/cpu/cpu*/cache/index3/shared_cpu_list`.
    Llc,
    /// Every CPU in one domain.
    Single,
}

/// CPUs grouped into domains, each a sorted CPU list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    pub source: DomainSource,
    pub domains: Vec<Vec<u32>>,
}

impl Topology {
    /// Reads the running system's topology.
    pub fn detect() -> Result<Self, DombalError> {
        Self::from_sysfs(Path::new("/sys/devices/system"))
    }

    /// Reads the topology below a `/sys/devices/system`-shaped directory.
    pub fn from_sysfs(root: &Path) -> Result<Self, DombalError> {
        let numa = groups(&root.join("node"), "node", |d| d.join("cpulist"))?;
        let topo = if numa.len() > 1 {
            Self {
                source: DomainSource::Numa,
                domains: numa,
            }
        } else {
            let mut llcs = groups(&root.join("cpu"), "cpu", |d| {
                d.join("cache/index3/shared_cpu_list")
            })?;
            llcs.dedup();
            if llcs.len() > 1 {
                Self {
                    source: DomainSource::Llc,
                    domains: llcs,
                }
            } else {
                let online = read_list(&root.join("cpu/online"))?;
                Self {
                    source: DomainSource::Single,
                    domains: vec![online],
                }
            }
        };
        topo.check()?;
        Ok(topo)
    }

    fn check(&self) -> Result<(), DombalError> {
        if self.domains.len() > MAX_DOMS {
            return Err(DombalError::TooManyDomains {
                found: self.domains.len(),
                max: MAX_DOMS,
            });
        }
        if let Some(&cpu) = self
            .domains
            .iter()
            .flatten()
            .find(|&&c| c as usize >= MAX_CPUS)
        {
            return Err(DombalError::TooManyCpus { cpu, max: MAX_CPUS });
        }
        Ok(())
    }

    /// The domain of each CPU id below the highest one present (others: 0).
    pub fn cpu_dom(&self) -> Vec<u32> {
        let n = self.domains.iter().flatten().max().map_or(0, |&c| c + 1);
        let mut map = vec![0; n as usize];
        for (dom, cpus) in self.domains.iter().enumerate() {
            for &c in cpus {
                map[c as usize] = dom as u32;
            }
        }
        map
    }

    /// Every CPU in any domain.
    pub fn all_cpus(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.domains.iter().flatten().copied().collect();
        all.sort_unstable();
        all
    }
}

/// Reads `<dir>/<prefix>N/...` lists for every N, deduplicated, ordered by first CPU.
fn groups(
    dir: &Path,
    prefix: &str,
    file: impl Fn(&Path) -> std::path::PathBuf,
) -> Result<Vec<Vec<u32>>, DombalError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_indexed = name
            .strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        let path = file(&e.path());
        if is_indexed && path.is_file() {
            let cpus = read_list(&path)?;
            if !cpus.is_empty() && !out.contains(&cpus) {
                out.push(cpus);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_list(path: &Path) -> Result<Vec<u32>, DombalError> {
    let text = std::fs::read_to_string(path).map_err(|source| DombalError::Sysfs {
        path: path.to_path_buf(),
        source,
    })?;
    parse_cpulist(&text).ok_or_else(|| DombalError::CpuList {
        path: path.to_path_buf(),
        text: text.trim().to_owned(),
    })
}

/// Parses a kernel CPU list such as `0-3,8,10-11`.
pub fn parse_cpulist(text: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                if a > b {
                    return None;
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().ok()?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    Some(cpus)
}

/// Formats a CPU list back to the kernel's range syntax.
pub fn format_cpulist(cpus: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            cpus[i].to_string()
        } else {
            format!("{}-{}", cpus[i], cpus[j])
        });
        i = j + 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_singles() {
        assert_eq!(
            parse_cpulist("0-3,8,10-11\n"),
            Some(vec![0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(parse_cpulist(""), Some(vec![]));
        assert_eq!(parse_cpulist("3-1"), None);
        assert_eq!(parse_cpulist("x"), None);
        assert_eq!(format_cpulist(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn tmp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("dombal-topo-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn numa_nodes_become_domains() {
        let root = tmp("numa");
        write(&root, "node/node0/cpulist", "0-1\n");
        write(&root, "node/node1/cpulist", "2-3\n");
        write(&root, "node/possible", "0-1\n");
        let t = Topology::from_sysfs(&root).unwrap();
        assert_eq!(t.source, DomainSource::Numa);
        assert_eq!(t.domains, vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(t.cpu_dom(), vec![0, 0, 1, 1]);
    }

    #[test]
    fn llcs_when_one_node_single_when_neither() {
        let root = tmp("llc");
        write(&root, "node/node0/cpulist", "0-3\n");
        for (c, l) in [(0, "0-1"), (1, "0-1"), (2, "2-3"), (3, "2-3")] {
            write(
                &root,
                &format!("cpu/cpu{c}/cache/index3/shared_cpu_list"),
                l,
            );
        }
        write(&root, "cpu/online", "0-3\n");
        let t = Topology::from_sysfs(&root).unwrap();
        assert_eq!(t.source, DomainSource::Llc);
        assert_eq!(t.domains.len(), 2);

        let root = tmp("single");
        write(&root, "cpu/online", "0-2\n");
        let t = Topology::from_sysfs(&root).unwrap();
        assert_eq!(t.source, DomainSource::Single);
        assert_eq!(t.domains, vec![vec![0, 1, 2]]);
    }
}
