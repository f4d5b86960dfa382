//! `--matrix FILE`: the selected cells (or this shard's), kernel by kernel,
//! each boot's outcome as it finishes, then the table, JSON and JUnit.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::grid::{self, CellResult, CellStatus};
use crate::kernel::{Kernel, KernelSource};
use crate::matrix::{self, KernelKind, Matrix, Plan, TopoSpec};
use crate::{debian_source, exit_code, junit, repo_root, report, suite, worst, Cli, RunEnv};

/// Set by scripts/run-qemu.sh to itself: run as `HOOK --prepare-kernel TREE`
/// (`-` for an image) before a kernel's first boot, it builds the modules
/// for that tree and the binaries against the right BTF.
const PREPARE_HOOK: &str = "MODLESS_QEMU_PREPARE";

pub fn run(cli: &Cli, path: &Path) -> anyhow::Result<ExitCode> {
    let m = Matrix::load(path, &repo_root())?;
    let selected = m.select(&cli.kernels, &cli.suites)?;
    if cli.print_kernel_versions {
        for v in m.versions(&selected) {
            println!("{v}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let topologies = cli
        .topologies
        .iter()
        .map(|t| TopoSpec::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    let total = selected.len();
    let mine = match cli.shard {
        Some(shard) => {
            let mine = shard.select(selected);
            eprintln!(
                "[matrix] shard {}/{}: {} of {total} cells",
                shard.k,
                shard.n,
                mine.len()
            );
            mine
        }
        None => selected,
    };
    if std::env::var_os(PREPARE_HOOK).is_none() {
        eprintln!(
            "[matrix] {PREPARE_HOOK} is not set: modules and binaries are used as built \
             (scripts/run-qemu.sh --matrix rebuilds them for each kernel)"
        );
    }
    let env = RunEnv::new(cli, crate::cache_dir())?;
    let mut state = State::default();
    for cell in m.run_order(&mine) {
        state.cell(cli, &env, &m, cell, &topologies);
    }
    report(cli, &m, &state)
}

#[derive(Default)]
struct State {
    results: Vec<CellResult>,
    runs: Vec<(String, report::RunReport)>,
    /// Each kernel acquired once per run: (kernel index, suite's table) -> it.
    kernels: Vec<((usize, suite::KernelSpec), Result<Kernel, String>)>,
    /// The kernel the hook last prepared for (its label).
    prepared: Option<String>,
}

impl State {
    fn cell(
        &mut self,
        cli: &Cli,
        env: &RunEnv,
        m: &Matrix,
        cell: &matrix::Cell,
        axis: &[TopoSpec],
    ) {
        let (kdef, suite) = (&m.kernels[cell.kernel], &m.suites[cell.suite]);
        let not_run =
            |status, reason: &str| CellResult::not_run(&kdef.name, &suite.name, status, reason);
        let topologies: Vec<Option<&TopoSpec>> = match &cell.plan {
            Plan::Unsupported(r) => return self.push(not_run(CellStatus::Unsupported, r)),
            Plan::LeftOut(r) => return self.push(not_run(CellStatus::LeftOut, r)),
            Plan::Run(own) if axis.is_empty() && own.is_empty() => vec![None],
            Plan::Run(own) if axis.is_empty() => own.iter().map(Some).collect(),
            Plan::Run(_) => axis.iter().map(Some).collect(),
        };
        let kernel = match self.kernel(cli, cell.kernel, kdef, &suite.kernel) {
            Ok(k) => k,
            Err(e) => return self.push(not_run(CellStatus::Error, &e)),
        };
        if self.prepared.as_deref() != Some(kernel.label.as_str()) {
            if let Err(e) = prepare(&kernel) {
                self.prepared = None;
                return self.push(not_run(CellStatus::Error, &e));
            }
            self.prepared = Some(kernel.label.clone());
        }
        for topo in topologies {
            let result = match env.boot(cli, suite, &kernel, topo) {
                Ok(report) => {
                    eprint!("{}", report.summary(cli.verbose));
                    let r = CellResult::ran(
                        &kdef.name,
                        &suite.name,
                        topo.map(|t| t.0.as_str()),
                        &report,
                        self.runs.len(),
                    );
                    self.runs.push((r.name(), report));
                    r
                }
                Err(e) => {
                    let mut r = not_run(CellStatus::Error, &format!("{e:#}"));
                    r.topology = topo.map(|t| t.0.clone());
                    r
                }
            };
            self.push(result);
        }
    }

    fn push(&mut self, r: CellResult) {
        eprintln!("{}", r.line());
        self.results.push(r);
    }

    /// The kernel a cell boots, built or found once per run.
    fn kernel(
        &mut self,
        cli: &Cli,
        index: usize,
        def: &matrix::Kernel,
        spec: &suite::KernelSpec,
    ) -> Result<Kernel, String> {
        let key = (index, spec.clone());
        if let Some((_, k)) = self.kernels.iter().find(|(k, _)| *k == key) {
            return k.clone();
        }
        let got = source(cli, def, spec)
            .and_then(|s| Ok(s.acquire(&crate::cache_dir())?))
            .map_err(|e| format!("kernel {}: {e:#}", def.name));
        self.kernels.push((key, got.clone()));
        got
    }
}

fn source(
    cli: &Cli,
    def: &matrix::Kernel,
    spec: &suite::KernelSpec,
) -> anyhow::Result<KernelSource> {
    let image = |image: PathBuf| KernelSource::Image {
        image,
        modules: None,
    };
    Ok(match &def.kind {
        KernelKind::Build(version) => debian_source(cli, version, spec)?,
        KernelKind::Image(p) => image(repo_root().join(p)),
        KernelKind::ImageFrom(cmd) => image(image_from(cmd)?),
    })
}

/// Runs `cmd` from the repository root; its output's last line is the image.
fn image_from(cmd: &[String]) -> anyhow::Result<PathBuf> {
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .current_dir(repo_root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| anyhow::anyhow!("running {}: {e}", cmd.join(" ")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().last().map(str::trim) {
        Some(p) if out.status.success() && !p.is_empty() => Ok(PathBuf::from(p)),
        _ => anyhow::bail!(
            "`{}` printed no image path ({}): {}",
            cmd.join(" "),
            out.status,
            text.trim()
        ),
    }
}

/// The modules and binaries for the kernel about to boot (the hook's job).
fn prepare(kernel: &Kernel) -> Result<(), String> {
    let Some(hook) = std::env::var_os(PREPARE_HOOK) else {
        return Ok(());
    };
    let tree = kernel
        .tree
        .as_ref()
        .map_or_else(|| "-".to_string(), |t| t.display().to_string());
    let shown = format!("{} --prepare-kernel {tree}", hook.to_string_lossy());
    eprintln!("[matrix] preparing for {}: {shown}", kernel.label);
    match Command::new(&hook)
        .arg("--prepare-kernel")
        .arg(&tree)
        .status()
    {
        Ok(st) if st.success() => Ok(()),
        Ok(st) => Err(format!("`{shown}` failed ({st})")),
        Err(e) => Err(format!("`{shown}`: {e}")),
    }
}

fn report(cli: &Cli, m: &Matrix, state: &State) -> anyhow::Result<ExitCode> {
    let kernels: Vec<&str> = m.kernels.iter().map(|k| k.name.as_str()).collect();
    let suites: Vec<&str> = m.suites.iter().map(|s| s.name.as_str()).collect();
    eprint!("\n{}", grid::table(&kernels, &suites, &state.results));
    if let Some(path) = &cli.json {
        let runs: Vec<&report::RunReport> = state.runs.iter().map(|(_, r)| r).collect();
        let suites: Vec<serde_json::Value> = m
            .suites
            .iter()
            .zip(&m.suite_files)
            .map(|(s, f)| serde_json::json!({ "name": s.name, "file": f }))
            .collect();
        let json = serde_json::json!({
            "matrix": m.path, "kernels": kernels, "suites": suites,
            "cells": &state.results, "runs": runs,
        });
        std::fs::write(path, serde_json::to_string_pretty(&json)?)?;
        eprintln!("results: {}", path.display());
    }
    if let Some(path) = &cli.junit {
        let runs: Vec<(&str, &report::RunReport)> =
            state.runs.iter().map(|(n, r)| (n.as_str(), r)).collect();
        let not_run: Vec<junit::NotRun> = state
            .results
            .iter()
            .filter(|c| c.run.is_none())
            .map(|c| junit::NotRun {
                name: c.name(),
                message: format!(
                    "{}: {}",
                    match c.status {
                        CellStatus::Unsupported => "unsupported",
                        CellStatus::LeftOut => "left out",
                        _ => "not run",
                    },
                    c.reason.as_deref().unwrap_or_default()
                ),
                error: c.status == CellStatus::Error,
            })
            .collect();
        std::fs::write(path, junit::render(&runs, &not_run))?;
        eprintln!("JUnit results: {}", path.display());
    }
    let mut codes: Vec<u8> = state
        .runs
        .iter()
        .map(|(_, r)| exit_code(r, false))
        .collect();
    if state.results.iter().any(CellResult::is_failure) {
        codes.push(1);
    }
    Ok(ExitCode::from(worst(&codes)))
}
