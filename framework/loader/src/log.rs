//! libbpf's log, captured per thread so each failing step carries exactly
//! what libbpf said during it (the verifier log among it).

use std::cell::RefCell;
use std::sync::Once;

use libbpf_rs::PrintLevel;

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn print(level: PrintLevel, msg: String) {
    let captured = CAPTURE.with(|c| {
        c.borrow_mut().as_mut().map(|buf| {
            buf.push_str("libbpf: ");
            buf.push_str(&msg);
        })
    });
    // Outside a capture, say only what libbpf warns about.
    if captured.is_none() && level == PrintLevel::Warn {
        eprint!("libbpf: {msg}");
    }
}

/// Collects libbpf's messages (info and warnings) printed by this thread
/// while `f` runs, and returns them with `f`'s result.
pub(crate) fn capture<T>(f: impl FnOnce() -> T) -> (T, String) {
    INSTALL.call_once(|| {
        libbpf_rs::set_print(Some((PrintLevel::Info, print)));
    });
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(String::new()));
    let out = f();
    let log = CAPTURE
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), outer))
        .unwrap_or_default();
    (out, log)
}
