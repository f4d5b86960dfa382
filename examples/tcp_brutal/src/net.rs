//! Two network namespaces joined by a veth pair, with netem adding delay
//! both ways and random loss on the data direction (tx -> rx). Each side
//! knows the other's MAC (permanent neighbour entries): netem drops ARP like
//! any packet, and a resolution that loses all its solicitations fails
//! connect() with EHOSTUNREACH, which is no congestion control's doing.

use anyhow::{ensure, Context};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;

const TX: &str = "brutal-tx";
const RX: &str = "brutal-rx";
const TX_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
pub const RX_ADDR: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
/// Locally administered unicast addresses, fixed so each side's neighbour
/// entry can be written before any packet flows.
const TX_MAC: &str = "02:6d:6c:00:00:01";
const RX_MAC: &str = "02:6d:6c:00:00:02";

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
        let tx_cidr = format!("{TX_ADDR}/24");
        let rx_cidr = format!("{RX_ADDR}/24");
        let (tx_ip, rx_ip) = (TX_ADDR.to_string(), RX_ADDR.to_string());
        let steps: [(&str, Vec<&str>); 13] = [
            ("ip", vec!["netns", "add", TX]),
            ("ip", vec!["netns", "add", RX]),
            (
                "ip",
                vec![
                    "link", "add", "veth-tx", "address", TX_MAC, "netns", TX, "type", "veth",
                    "peer", "name", "veth-rx", "address", RX_MAC, "netns", RX,
                ],
            ),
            (
                "ip",
                vec!["-n", TX, "addr", "add", &tx_cidr, "dev", "veth-tx"],
            ),
            (
                "ip",
                vec!["-n", RX, "addr", "add", &rx_cidr, "dev", "veth-rx"],
            ),
            ("ip", vec!["-n", TX, "link", "set", "veth-tx", "up"]),
            ("ip", vec!["-n", RX, "link", "set", "veth-rx", "up"]),
            (
                "ip",
                vec![
                    "-n",
                    TX,
                    "neigh",
                    "replace",
                    &rx_ip,
                    "lladdr",
                    RX_MAC,
                    "dev",
                    "veth-tx",
                    "nud",
                    "permanent",
                ],
            ),
            (
                "ip",
                vec![
                    "-n",
                    RX,
                    "neigh",
                    "replace",
                    &tx_ip,
                    "lladdr",
                    TX_MAC,
                    "dev",
                    "veth-rx",
                    "nud",
                    "permanent",
                ],
            ),
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
