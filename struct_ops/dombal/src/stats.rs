//! Per-domain figures: imbalance and the `--stats` lines.

use crate::abi::{DomStats, LOAD_SHIFT};
use crate::topology::{format_cpulist, Topology};

/// max/mean of `loads`; 1.0 when all are zero or there is one domain.
pub fn imbalance(loads: &[f64]) -> f64 {
    let total: f64 = loads.iter().sum();
    if loads.len() < 2 || total <= 0.0 {
        return 1.0;
    }
    let mean = total / loads.len() as f64;
    loads.iter().cloned().fold(0.0, f64::max) / mean
}

/// A domain's load in task-weight units (a CPU-bound nice-0 task is 100).
pub fn load_units(s: &DomStats) -> f64 {
    s.load as f64 / f64::from(1u32 << LOAD_SHIFT)
}

/// max/mean of the domains' published loads.
pub fn load_imbalance(stats: &[DomStats]) -> f64 {
    imbalance(&stats.iter().map(load_units).collect::<Vec<_>>())
}

/// One line per domain plus the imbalance, counters as deltas from `prev`.
pub fn report(topo: &Topology, now: &[DomStats], prev: &[DomStats]) -> String {
    let mut out = String::new();
    for (i, s) in now.iter().enumerate() {
        let p = prev.get(i).copied().unwrap_or_default();
        let cpus = topo
            .domains
            .get(i)
            .map_or(String::new(), |c| format_cpulist(c));
        out.push_str(&format!(
            "dom{i} cpus {cpus:<7} load {:>7.1} runnable_weight {:>5} tasks {:>4} | \
             enq {:>6} local {:>6} stolen {:>5} direct {:>5} migr +{}/-{} rehomed {} busiest {}\n",
            load_units(s),
            s.runnable_weight,
            s.nr_tasks,
            s.enqueued - p.enqueued.min(s.enqueued),
            s.dispatched_local - p.dispatched_local.min(s.dispatched_local),
            s.stolen - p.stolen.min(s.stolen),
            s.direct - p.direct.min(s.direct),
            s.migrated_in - p.migrated_in.min(s.migrated_in),
            s.migrated_out - p.migrated_out.min(s.migrated_out),
            s.rehomed - p.rehomed.min(s.rehomed),
            s.balance_rounds - p.balance_rounds.min(s.balance_rounds),
        ));
    }
    out.push_str(&format!("imbalance max/mean {:.3}\n", load_imbalance(now)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imbalance_is_max_over_mean() {
        assert_eq!(imbalance(&[400.0, 400.0]), 1.0);
        assert_eq!(imbalance(&[800.0, 0.0]), 2.0);
        assert!((imbalance(&[500.0, 300.0]) - 1.25).abs() < 1e-9);
        assert_eq!(imbalance(&[0.0, 0.0]), 1.0);
        assert_eq!(imbalance(&[7.0]), 1.0);
    }
}
