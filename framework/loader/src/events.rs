//! A ring-buffer map's records delivered on a crossbeam channel by a
//! polling thread that stops when the stream is dropped.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use libbpf_rs::{MapHandle, RingBufferBuilder};

use crate::error::{LoadError, Result};
use crate::extension::ExtensionOf;

/// Records of one `BPF_MAP_TYPE_RINGBUF` map, each as its bytes.
#[derive(Debug)]
pub struct EventStream {
    rx: Receiver<Vec<u8>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EventStream {
    /// The channel records arrive on.
    pub fn receiver(&self) -> &Receiver<Vec<u8>> {
        &self.rx
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn poll_loop(map: MapHandle, tx: Sender<Vec<u8>>, stop: Arc<AtomicBool>) {
    let mut b = RingBufferBuilder::new();
    let send = tx.clone();
    if b.add(&map, move |data: &[u8]| {
        // A closed receiver only means nobody listens any more.
        let _ = send.send(data.to_vec());
        0
    })
    .is_err()
    {
        return;
    }
    let Ok(rb) = b.build() else { return };
    while !stop.load(Ordering::Relaxed) {
        if rb.poll(Duration::from_millis(50)).is_err() {
            break;
        }
    }
    let _ = rb.consume();
}

impl ExtensionOf<'_> {
    /// Streams the records of ring-buffer map `map` on a channel.
    pub fn events(&self, map: &str) -> Result<EventStream> {
        let m = self.map(map)?;
        let handle = MapHandle::try_from(&m).map_err(|e| LoadError::Map {
            map: map.to_string(),
            op: "ring buffer open",
            source: io::Error::other(e.to_string()),
        })?;
        let (tx, rx) = crossbeam_channel::unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("ringbuf-{map}"))
            .spawn(move || poll_loop(handle, tx, s))
            .map_err(|e| LoadError::Kernel {
                what: format!("starting the ring-buffer thread for `{map}`"),
                source: e,
            })?;
        Ok(EventStream {
            rx,
            stop,
            thread: Some(thread),
        })
    }
}
