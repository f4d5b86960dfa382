//! CPU-bound worker threads whose affinity can be changed and whose CPU
//! time and current CPU can be read, for the tests and the benchmark.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, Default)]
struct Shared {
    tid: AtomicI32,
    cpu_ns: AtomicU64,
    iterations: AtomicU64,
}

/// N spinning threads; stopped and joined on drop.
#[derive(Debug)]
pub struct Spinners {
    stop: Arc<AtomicBool>,
    workers: Vec<Arc<Shared>>,
    handles: Vec<JoinHandle<()>>,
}

/// Sets a thread's (tid 0: the caller's) allowed CPUs.
pub fn set_affinity(tid: i32, cpus: &[u32]) -> std::io::Result<()> {
    // SAFETY: cpu_set_t is plain data; CPU_ZERO/CPU_SET only write inside it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus {
        // SAFETY: as above; CPU_SET ignores CPUs beyond the set's size.
        unsafe { libc::CPU_SET(c as usize, &mut set) };
    }
    // SAFETY: set is a valid cpu_set_t of the size passed.
    let ret = unsafe { libc::sched_setaffinity(tid, std::mem::size_of_val(&set), &set) };
    if ret == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// A unit of CPU work the optimizer cannot remove.
fn spin(rounds: u64) -> u64 {
    let mut x = 0x9e3779b97f4a7c15u64;
    for i in 0..rounds {
        x = std::hint::black_box(x.rotate_left(7) ^ i).wrapping_mul(0xff51afd7ed558ccd);
    }
    x
}

impl Spinners {
    /// Starts `n` threads, each first pinned to `cpus`. With `budget`, each
    /// stops by itself after that many work units.
    pub fn start(n: usize, cpus: &[u32], budget: Option<u64>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        let mut handles = Vec::new();
        for i in 0..n {
            let shared = Arc::new(Shared::default());
            let (s, st, cpus) = (shared.clone(), stop.clone(), cpus.to_vec());
            let h = std::thread::Builder::new()
                .name(format!("dombal-spin{i}"))
                .spawn(move || {
                    s.tid.store(gettid(), Ordering::SeqCst);
                    let _ = set_affinity(0, &cpus);
                    while !st.load(Ordering::Relaxed) {
                        std::hint::black_box(spin(20_000));
                        let done = s.iterations.fetch_add(1, Ordering::Relaxed) + 1;
                        s.cpu_ns.store(thread_cpu_ns(), Ordering::Relaxed);
                        if budget.is_some_and(|b| done >= b) {
                            break;
                        }
                    }
                })?;
            workers.push(shared);
            handles.push(h);
        }
        // Every thread has recorded its tid and pinned itself.
        while workers.iter().any(|w| w.tid.load(Ordering::SeqCst) == 0) {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(Self {
            stop,
            workers,
            handles,
        })
    }

    /// Thread ids.
    pub fn tids(&self) -> Vec<i32> {
        self.workers
            .iter()
            .map(|w| w.tid.load(Ordering::SeqCst))
            .collect()
    }

    /// Lets every thread run on `cpus`.
    pub fn set_affinity(&self, cpus: &[u32]) -> std::io::Result<()> {
        self.tids()
            .into_iter()
            .try_for_each(|t| set_affinity(t, cpus))
    }

    /// Each thread's CPU time so far, as it last recorded it.
    pub fn cpu_ns(&self) -> Vec<u64> {
        self.workers
            .iter()
            .map(|w| w.cpu_ns.load(Ordering::Relaxed))
            .collect()
    }

    /// Work units done so far, per thread.
    pub fn iterations(&self) -> Vec<u64> {
        self.workers
            .iter()
            .map(|w| w.iterations.load(Ordering::Relaxed))
            .collect()
    }

    /// The CPU each thread last ran on (`/proc/self/task/<tid>/stat` field 39).
    pub fn last_cpus(&self) -> Vec<Option<u32>> {
        self.tids()
            .into_iter()
            .map(|t| {
                let stat = std::fs::read_to_string(format!("/proc/self/task/{t}/stat")).ok()?;
                // Fields after the parenthesised comm, which may contain spaces.
                let rest = &stat[stat.rfind(')')? + 2..];
                rest.split_whitespace().nth(36)?.parse().ok()
            })
            .collect()
    }

    /// Waits for budgeted threads to finish.
    pub fn join(mut self) {
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl Drop for Spinners {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
