//! One bulk transfer over the namespace pair: an unmodified sender (connect,
//! TCP_CONGESTION, option 23301, write) in tx, a receiver counting bytes in
//! rx for a fixed window from the first byte. Goodput is what the receiver got.

use anyhow::{bail, Context};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::net::{Pair, RX_ADDR};
use crate::sys;

/// What the sender sets, in the order an application does it.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    pub cc: &'static str,
    /// Option 23301: (rate in bytes/s, cwnd gain in tenths).
    pub params: Option<(u64, u32)>,
}

/// The receiver's count: bytes over time from the first byte.
#[derive(Debug)]
pub struct Received {
    pub start: Instant,
    /// (time, bytes so far), about every 100 ms.
    pub marks: Vec<(Instant, u64)>,
}

impl Received {
    pub fn bytes(&self) -> u64 {
        self.marks.last().map_or(0, |m| m.1)
    }

    pub fn secs(&self) -> f64 {
        self.marks
            .last()
            .map_or(0.0, |m| (m.0 - self.start).as_secs_f64())
    }

    /// Bytes per second over the whole window.
    pub fn goodput(&self) -> f64 {
        self.bytes() as f64 / self.secs().max(1e-3)
    }

    /// Bytes per second between `from` and `to`, from the marks around them.
    pub fn goodput_between(&self, from: Instant, to: Instant) -> f64 {
        let at = |t: Instant| {
            self.marks
                .iter()
                .rev()
                .find(|m| m.0 <= t)
                .copied()
                .unwrap_or((self.start, 0))
        };
        let (a, b) = (at(from), at(to));
        (b.1 - a.1) as f64 / (b.0 - a.0).as_secs_f64().max(1e-3)
    }
}

/// What the sender saw.
#[derive(Debug)]
pub struct Sent {
    /// getsockopt(TCP_CONGESTION) after setting it.
    pub cc: String,
}

/// A transfer under way.
#[derive(Debug)]
pub struct Running {
    rx: JoinHandle<anyhow::Result<Received>>,
    tx: JoinHandle<anyhow::Result<Sent>>,
}

/// How long a stalled connection may stay silent before the test says so.
const STALL: Duration = Duration::from_secs(20);

/// accept() that gives up after [`STALL`] (a sender that never connects).
fn accept(l: &TcpListener) -> anyhow::Result<TcpStream> {
    l.set_nonblocking(true)?;
    let until = Instant::now() + STALL;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false)?;
                return Ok(s);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(e).context("accepting the sender"),
        }
    }
}

fn receive(
    net_ns: std::path::PathBuf,
    window: Duration,
    port: mpsc::Sender<u16>,
) -> anyhow::Result<Received> {
    sys::enter_netns(&net_ns).context("entering the receiver's namespace")?;
    let l = TcpListener::bind(SocketAddrV4::new(RX_ADDR, 0)).context("listening")?;
    port.send(l.local_addr()?.port())?;
    let mut s = accept(&l)?;
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    let mut start = None;
    let mut marks = Vec::new();
    let mut last_data = Instant::now();
    loop {
        let now = Instant::now();
        if start.is_some_and(|t0: Instant| now - t0 >= window) {
            break;
        }
        if now - last_data > STALL {
            bail!("no data for {STALL:?} after {total} bytes");
        }
        match s.read(&mut buf) {
            Ok(0) => break, // the sender stopped early
            Ok(n) => {
                let now = Instant::now();
                let t0 = *start.get_or_insert(now);
                total += n as u64;
                last_data = now;
                if marks.is_empty() {
                    marks.push((t0, 0));
                }
                if marks
                    .last()
                    .is_some_and(|m: &(Instant, u64)| now - m.0 >= Duration::from_millis(100))
                {
                    marks.push((now, total));
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e).context("receiving"),
        }
    }
    marks.push((Instant::now(), total));
    let start = start.context("no data arrived")?;
    Ok(Received { start, marks })
}

fn send(
    net_ns: std::path::PathBuf,
    who: Sender,
    port: u16,
    window: Duration,
) -> anyhow::Result<Sent> {
    sys::enter_netns(&net_ns).context("entering the sender's namespace")?;
    let mut s = TcpStream::connect(SocketAddrV4::new(RX_ADDR, port)).context("connecting")?;
    sys::set_congestion(s.as_fd(), who.cc).with_context(|| format!("TCP_CONGESTION {}", who.cc))?;
    if let Some((rate, gain)) = who.params {
        sys::set_brutal_raw(s.as_fd(), &sys::brutal_params(rate, gain))
            .with_context(|| format!("option 23301 rate {rate} gain {gain}"))?;
    }
    let cc = sys::congestion(s.as_fd())?;
    let chunk = vec![0x5au8; 1 << 16];
    let until = Instant::now() + window + STALL;
    // The receiver closes after its window; the next write fails then.
    while Instant::now() < until {
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    Ok(Sent { cc })
}

/// Starts a transfer from tx to rx; the receiver counts for `window`.
pub fn start(net: &Pair, who: Sender, window: Duration) -> anyhow::Result<Running> {
    let (port_tx, port_rx) = mpsc::channel();
    let rx_ns = net.rx_ns();
    let rx = std::thread::spawn(move || receive(rx_ns, window, port_tx));
    let port = match port_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(p) => p,
        Err(_) => {
            return Err(rx
                .join()
                .expect("receiver thread")
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("the receiver never listened")))
        }
    };
    let tx_ns = net.tx_ns();
    let tx = std::thread::spawn(move || send(tx_ns, who, port, window));
    Ok(Running { rx, tx })
}

impl Running {
    pub fn finish(self) -> anyhow::Result<(Received, Sent)> {
        let rx = self.rx.join().expect("receiver thread");
        let tx = self.tx.join().expect("sender thread")?;
        Ok((rx?, tx))
    }
}

/// `connect()` from tx to rx giving up after `wait`: its own outcome, or an
/// error entering the namespace.
pub fn connect_within(net: &Pair, wait: Duration) -> anyhow::Result<std::io::Result<TcpStream>> {
    let tx_ns = net.tx_ns();
    std::thread::spawn(move || {
        sys::enter_netns(&tx_ns).context("entering the sender's namespace")?;
        let to = SocketAddrV4::new(RX_ADDR, 9).into();
        Ok(TcpStream::connect_timeout(&to, wait))
    })
    .join()
    .expect("connecting thread")
}

/// A whole transfer: start and finish.
pub fn run(net: &Pair, who: Sender, window: Duration) -> anyhow::Result<(Received, Sent)> {
    start(net, who, window)?.finish()
}
