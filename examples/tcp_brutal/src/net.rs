//! Two network namespaces joined by a veth pair, with netem adding delay
//! both ways and random loss on the data direction (tx -> rx).

use anyhow::{ensure, Context};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;

const TX: &str = "brutal-tx";
const RX: &str = "brutal-rx";
const TX_ADDR: &str = "10.77.0.1/24";
pub const RX_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

/// The path's shape: one-way delay each way, loss on data packets.
#[derive(Debug, Clone, Copy)]
pub struct Path {
    pub delay_ms: u32,
    pub loss_pct: u32,
}

/// The namespace pair; dropping it deletes both (and the veth with them).
#[derive(Debug)]
pub struct Pair(());

fn run(tool: &str, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .with_context(|| format!("running {tool} (iproute2)"))?;
    ensure!(
        out.status.success(),
        "{tool} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

impl Pair {
    pub fn create(path: Path) -> anyhow::Result<Self> {
        for ns in [TX, RX] {
            let _ = run("ip", &["netns", "del", ns]); // left by an earlier run
        }
        let pair = Pair(());
        let delay = format!("{}ms", path.delay_ms);
        let loss = format!("{}%", path.loss_pct);
        let rx_addr = format!("{RX_ADDR}/24");
        let steps: [(&str, Vec<&str>); 11] = [
            ("ip", vec!["netns", "add", TX]),
            ("ip", vec!["netns", "add", RX]),
            (
                "ip",
                vec![
                    "link", "add", "veth-tx", "netns", TX, "type", "veth", "peer", "name",
                    "veth-rx", "netns", RX,
                ],
            ),
            (
                "ip",
                vec!["-n", TX, "addr", "add", TX_ADDR, "dev", "veth-tx"],
            ),
            (
                "ip",
                vec!["-n", RX, "addr", "add", &rx_addr, "dev", "veth-rx"],
            ),
            ("ip", vec!["-n", TX, "link", "set", "veth-tx", "up"]),
            ("ip", vec!["-n", RX, "link", "set", "veth-rx", "up"]),
            ("ip", vec!["-n", TX, "link", "set", "lo", "up"]),
            ("ip", vec!["-n", RX, "link", "set", "lo", "up"]),
            (
                "tc",
                vec![
                    "-n", TX, "qdisc", "add", "dev", "veth-tx", "root", "netem", "delay", &delay,
                    "loss", &loss,
                ],
            ),
            (
                "tc",
                vec![
                    "-n", RX, "qdisc", "add", "dev", "veth-rx", "root", "netem", "delay", &delay,
                ],
            ),
        ];
        for (tool, args) in &steps {
            run(tool, args)?;
        }
        Ok(pair)
    }

    pub fn tx_ns(&self) -> PathBuf {
        PathBuf::from("/run/netns").join(TX)
    }

    pub fn rx_ns(&self) -> PathBuf {
        PathBuf::from("/run/netns").join(RX)
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for ns in [TX, RX] {
            let _ = run("ip", &["netns", "del", ns]);
        }
    }
}
