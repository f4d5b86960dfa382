//! The kernel x suite matrix (`--matrix FILE`): every cell of the file says
//! whether it runs (on which topologies) or, as data, why not. Loading checks
//! that no cell is missing, so a combination is never left out silently.

use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::suite::{self, Suite};
use crate::topology::Topology;

/// Where a kernel of the matrix comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelKind {
    /// Debian's linux-source-VERSION with modless's config; a suite's
    /// `[kernel]` table patches it for that suite.
    Build(String),
    /// A bzImage as it is (a distribution's: modules by initramfs).
    Image(PathBuf),
    /// A command (run from the repository root) that prints a bzImage's path.
    ImageFrom(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Kernel {
    pub name: String,
    pub kind: KernelKind,
}

/// A guest shape on the topology axis: `N` (N CPUs) or `NxC` (N NUMA nodes of C CPUs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopoSpec(pub String);

impl TopoSpec {
    pub fn parse(s: &str) -> Result<Self> {
        let spec = TopoSpec(s.trim().to_string());
        let (cpus, numa) = spec.parts()?;
        Topology::new(cpus, "1G", numa)?;
        Ok(spec)
    }

    /// The `--cpus` and `--numa` this stands for.
    pub fn parts(&self) -> Result<(Option<u32>, Option<&str>)> {
        let s = self.0.as_str();
        if s.contains(['x', 'X']) {
            return Ok((None, Some(s)));
        }
        s.parse().map(|n| (Some(n), None)).map_err(|_| {
            Error::Topology(format!(
                "{s:?}: write N (CPUs) or NxC (N NUMA nodes of C CPUs), e.g. 4 or 2x2"
            ))
        })
    }
}

/// What a cell says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Runs and must pass: once per topology (none: the suite's own guest).
    Run(Vec<TopoSpec>),
    /// Cannot run there, and why.
    Unsupported(String),
    /// Could run but is left out on purpose (e.g. CI time), and why.
    LeftOut(String),
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub kernel: usize,
    pub suite: usize,
    pub plan: Plan,
}

#[derive(Debug)]
pub struct Matrix {
    pub path: PathBuf,
    pub kernels: Vec<Kernel>,
    pub suites: Vec<Suite>,
    /// Each suite's file as the matrix names it.
    pub suite_files: Vec<PathBuf>,
    /// In the file's kernel order, then suite order.
    pub cells: Vec<Cell>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    kernels: Vec<KernelText>,
    suites: Vec<SuiteText>,
    cells: Vec<CellText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KernelText {
    name: String,
    build: Option<String>,
    image: Option<PathBuf>,
    image_from: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteText {
    name: String,
    file: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CellText {
    suite: String,
    kernel: String,
    #[serde(default)]
    topologies: Vec<String>,
    unsupported: Option<String>,
    left_out: Option<String>,
}

impl Matrix {
    /// Reads the file and its suites (paths relative to `root`) and checks
    /// that every kernel x suite pair is said exactly once.
    pub fn load(path: &Path, root: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).ctx(|| format!("reading {}", path.display()))?;
        let err = |msg: String| Error::Matrix {
            file: path.to_path_buf(),
            msg,
        };
        let file: FileText = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        let kernels = file
            .kernels
            .into_iter()
            .map(|k| kernel(k).map_err(&err))
            .collect::<Result<Vec<_>>>()?;
        let suites = file
            .suites
            .iter()
            .map(|s| {
                let mut suite = suite::load_suite(&root.join(&s.file))?;
                suite.name.clone_from(&s.name);
                Ok(suite)
            })
            .collect::<Result<Vec<_>>>()?;
        let cells = cells(&kernels, &suites, file.cells).map_err(err)?;
        Ok(Matrix {
            path: path.to_path_buf(),
            kernels,
            suites,
            suite_files: file.suites.into_iter().map(|s| s.file).collect(),
            cells,
        })
    }

    /// The cells of these kernels and suites (all when empty), in order.
    pub fn select(&self, kernels: &[String], suites: &[String]) -> Result<Vec<&Cell>> {
        let pick = |names: &[String], have: Vec<&str>, what: &str| -> Result<Vec<usize>> {
            if names.is_empty() {
                return Ok((0..have.len()).collect());
            }
            names
                .iter()
                .map(|n| {
                    have.iter()
                        .position(|h| h == n)
                        .ok_or_else(|| Error::Matrix {
                            file: self.path.clone(),
                            msg: format!("no {what} named {n:?}; it has {}", have.join(", ")),
                        })
                })
                .collect()
        };
        let ks = pick(
            kernels,
            self.kernels.iter().map(|k| k.name.as_str()).collect(),
            "kernel",
        )?;
        let ss = pick(
            suites,
            self.suites.iter().map(|s| s.name.as_str()).collect(),
            "suite",
        )?;
        Ok(self
            .cells
            .iter()
            .filter(|c| ks.contains(&c.kernel) && ss.contains(&c.suite))
            .collect())
    }

    /// The linux-source versions the running cells among `cells` build.
    pub fn versions(&self, cells: &[&Cell]) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for c in cells.iter().filter(|c| matches!(c.plan, Plan::Run(_))) {
            if let KernelKind::Build(ver) = &self.kernels[c.kernel].kind {
                if !v.contains(ver) {
                    v.push(ver.clone());
                }
            }
        }
        v
    }

    /// The order cells run in: the plain kernels first, then those a suite
    /// patches, so the BPF objects (built against a patched tree for its
    /// suites) are rebuilt as few times as possible; file order otherwise.
    pub fn run_order<'a>(&self, cells: &[&'a Cell]) -> Vec<&'a Cell> {
        let mut v = cells.to_vec();
        v.sort_by_key(|c| (!self.suites[c.suite].kernel.is_empty(), c.kernel, c.suite));
        v
    }
}

fn kernel(k: KernelText) -> std::result::Result<Kernel, String> {
    let kind = match (k.build, k.image, k.image_from) {
        (Some(v), None, None) => KernelKind::Build(v),
        (None, Some(i), None) => KernelKind::Image(i),
        (None, None, Some(cmd)) if !cmd.is_empty() => KernelKind::ImageFrom(cmd),
        _ => {
            return Err(format!(
                "kernel {:?}: give exactly one of build = \"VERSION\", image = \"BZIMAGE\" \
                 or image_from = [\"COMMAND\", ...]",
                k.name
            ))
        }
    };
    Ok(Kernel { name: k.name, kind })
}

fn cells(
    kernels: &[Kernel],
    suites: &[Suite],
    text: Vec<CellText>,
) -> std::result::Result<Vec<Cell>, String> {
    for (what, names) in [
        (
            "kernel",
            kernels.iter().map(|k| &k.name).collect::<Vec<_>>(),
        ),
        ("suite", suites.iter().map(|s| &s.name).collect()),
    ] {
        let mut seen = HashSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(**n)) {
            return Err(format!("two {what}s are named {dup:?}"));
        }
    }
    let mut grid: Vec<Option<Plan>> = vec![None; kernels.len() * suites.len()];
    for c in text {
        let at = |c: &CellText| {
            format!(
                "the cell {{ suite = {:?}, kernel = {:?} }}",
                c.suite, c.kernel
            )
        };
        let k = kernels
            .iter()
            .position(|k| k.name == c.kernel)
            .ok_or_else(|| format!("{}: no kernel of that name", at(&c)))?;
        let s = suites
            .iter()
            .position(|s| s.name == c.suite)
            .ok_or_else(|| format!("{}: no suite of that name", at(&c)))?;
        let plan = plan(&c).map_err(|e| format!("{}: {e}", at(&c)))?;
        if let (Plan::Run(_), false, false) = (
            &plan,
            suites[s].kernel.is_empty(),
            matches!(kernels[k].kind, KernelKind::Build(_)),
        ) {
            return Err(format!(
                "{}: the suite patches its kernel ([kernel] table) and {:?} is an image, \
                 which cannot be patched; say why it does not run (unsupported = \"...\")",
                at(&c),
                c.kernel
            ));
        }
        let slot = &mut grid[k * suites.len() + s];
        if slot.is_some() {
            return Err(format!("{} is said twice; keep one", at(&c)));
        }
        *slot = Some(plan);
    }
    let mut out = Vec::new();
    for (k, kernel) in kernels.iter().enumerate() {
        for (s, suite) in suites.iter().enumerate() {
            let plan = grid[k * suites.len() + s].take().ok_or_else(|| {
                format!(
                    "no cell for suite {:?} on kernel {:?}: add {{ suite = {:?}, kernel = {:?} }} \
                     to cells, with unsupported = \"why\" or left_out = \"why\" if it does not run",
                    suite.name, kernel.name, suite.name, kernel.name
                )
            })?;
            out.push(Cell {
                kernel: k,
                suite: s,
                plan,
            });
        }
    }
    Ok(out)
}

fn plan(c: &CellText) -> std::result::Result<Plan, String> {
    let reason = |r: &str| -> std::result::Result<String, String> {
        if r.trim().is_empty() {
            return Err("an empty reason; say why it does not run".into());
        }
        if !c.topologies.is_empty() {
            return Err("topologies on a cell that does not run".into());
        }
        Ok(r.trim().to_string())
    };
    match (&c.unsupported, &c.left_out) {
        (Some(_), Some(_)) => Err("both unsupported and left_out; keep one".into()),
        (Some(r), None) => Ok(Plan::Unsupported(reason(r)?)),
        (None, Some(r)) => Ok(Plan::LeftOut(reason(r)?)),
        (None, None) => c
            .topologies
            .iter()
            .map(|t| TopoSpec::parse(t).map_err(|e| e.to_string()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Plan::Run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A matrix file and its suites in a temporary directory.
    fn matrix(cells: &str) -> Result<Matrix> {
        let dir = tempfile::tempdir().unwrap();
        let suite = "[[test]]\nname = \"t\"\nrun = \"true\"\n";
        std::fs::write(dir.path().join("a.toml"), suite).unwrap();
        std::fs::write(
            dir.path().join("p.toml"),
            format!("[kernel]\nconfig = [\"CONFIG_X=y\"]\n{suite}"),
        )
        .unwrap();
        let text = format!(
            r#"
kernels = [
  {{ name = "7.3", build = "7.3" }},
  {{ name = "deb", image_from = ["scripts/debian-kernel.sh"] }},
]
suites = [
  {{ name = "a", file = "a.toml" }},
  {{ name = "p", file = "p.toml" }},
]
cells = [
{cells}
]
"#
        );
        let path = dir.path().join("m.toml");
        std::fs::write(&path, text).unwrap();
        Matrix::load(&path, dir.path())
    }

    const ALL: &str = r#"
  { suite = "a", kernel = "7.3", topologies = ["1", "2x2"] },
  { suite = "p", kernel = "7.3" },
  { suite = "a", kernel = "deb", left_out = "CI time" },
  { suite = "p", kernel = "deb", unsupported = "an image cannot be patched" },
"#;

    #[test]
    fn every_cell_is_said_once_with_its_plan() {
        let m = matrix(ALL).unwrap();
        let plans: Vec<(&str, &str, &Plan)> = m
            .cells
            .iter()
            .map(|c| {
                (
                    m.kernels[c.kernel].name.as_str(),
                    m.suites[c.suite].name.as_str(),
                    &c.plan,
                )
            })
            .collect();
        let run = |t: &[&str]| Plan::Run(t.iter().map(|s| TopoSpec((*s).into())).collect());
        assert_eq!(
            plans,
            [
                ("7.3", "a", &run(&["1", "2x2"])),
                ("7.3", "p", &run(&[])),
                ("deb", "a", &Plan::LeftOut("CI time".into())),
                (
                    "deb",
                    "p",
                    &Plan::Unsupported("an image cannot be patched".into())
                ),
            ]
        );
        assert_eq!(m.versions(&m.cells.iter().collect::<Vec<_>>()), ["7.3"]);
    }

    #[test]
    fn a_missing_cell_is_an_error_that_says_what_to_add() {
        let without = ALL.replace(
            r#"{ suite = "a", kernel = "deb", left_out = "CI time" },"#,
            "",
        );
        let err = matrix(&without).unwrap_err().to_string();
        assert!(
            err.contains("no cell for suite \"a\" on kernel \"deb\"")
                && err.contains("{ suite = \"a\", kernel = \"deb\" }"),
            "{err}"
        );
    }

    #[test]
    fn bad_cells_are_refused() {
        let cases = [
            (r#"{ suite = "a", kernel = "7.3" },"#, "said twice"),
            (
                r#"{ suite = "zz", kernel = "7.3" },"#,
                "no suite of that name",
            ),
            (
                r#"{ suite = "a", kernel = "7.3", unsupported = "x", left_out = "y" },"#,
                "keep one",
            ),
            (
                r#"{ suite = "a", kernel = "7.3", unsupported = " " },"#,
                "empty reason",
            ),
            (
                r#"{ suite = "a", kernel = "7.3", topologies = ["3x"] },"#,
                "NODES or NODESxCPUS",
            ),
            (
                r#"{ suite = "a", kernel = "7.3", typo = 1 },"#,
                "unknown field",
            ),
        ];
        for (extra, want) in cases {
            let err = matrix(&format!("{ALL}{extra}")).unwrap_err().to_string();
            assert!(err.contains(want), "{extra}: {err}");
        }
        let patched_on_image = ALL.replace(
            r#"{ suite = "p", kernel = "deb", unsupported = "an image cannot be patched" },"#,
            r#"{ suite = "p", kernel = "deb" },"#,
        );
        let err = matrix(&patched_on_image).unwrap_err().to_string();
        assert!(err.contains("cannot be patched"), "{err}");
    }

    #[test]
    fn selection_by_name_and_run_order_puts_patched_kernels_last() {
        let m = matrix(ALL).unwrap();
        let names = |cells: &[&Cell]| -> Vec<String> {
            cells
                .iter()
                .map(|c| format!("{}/{}", m.suites[c.suite].name, m.kernels[c.kernel].name))
                .collect()
        };
        let all = m.select(&[], &[]).unwrap();
        assert_eq!(
            names(&m.run_order(&all)),
            ["a/7.3", "a/deb", "p/7.3", "p/deb"]
        );
        let some = m.select(&["deb".into()], &["a".into()]).unwrap();
        assert_eq!(names(&some), ["a/deb"]);
        let err = m.select(&["6.12".into()], &[]).unwrap_err().to_string();
        assert!(
            err.contains("no kernel named \"6.12\"; it has 7.3, deb"),
            "{err}"
        );
    }

    #[test]
    fn topology_specs_are_cpus_or_numa_layouts() {
        assert_eq!(
            TopoSpec::parse("4").unwrap().parts().unwrap(),
            (Some(4), None)
        );
        assert_eq!(
            TopoSpec::parse("2x2").unwrap().parts().unwrap(),
            (None, Some("2x2"))
        );
        for bad in ["", "two", "0", "3x", "64"] {
            assert!(TopoSpec::parse(bad).is_err(), "{bad}");
        }
    }

    /// The checked-in matrix loads: every cell said, every suite file there.
    #[test]
    fn the_repositorys_matrix_is_complete() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let m = Matrix::load(&root.join("qemu/matrix.toml"), root).unwrap();
        assert_eq!(m.cells.len(), m.kernels.len() * m.suites.len());
        // A suite file added to qemu/suites/ and not to the matrix would
        // never run in scripts/test.sh: it must get its cells.
        let loaded: Vec<String> = m
            .suite_files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        for e in std::fs::read_dir(root.join("qemu/suites")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                assert!(
                    loaded.contains(&rel),
                    "{rel} is not a suite of qemu/matrix.toml: add it with its cells"
                );
            }
        }
    }
}
