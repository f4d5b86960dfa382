//! libbpf's log, captured per thread so each failing step carries exactly
//! what libbpf said during it (the verifier log among it).

use std::cell::RefCell;
use std::io::Write;

use crate::sys::install_print;

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn print(warning: bool, msg: &str) {
    let captured = CAPTURE.with(|c| {
        c.try_borrow_mut().ok().and_then(|mut c| {
            c.as_mut().map(|buf| {
                buf.push_str("libbpf: ");
                buf.push_str(msg);
            })
        })
    });
    // Outside a capture, say only what libbpf warns about.
    if captured.is_none() && warning {
        let _ = write!(std::io::stderr().lock(), "libbpf: {msg}");
    }
}

/// Collects libbpf's messages (info and warnings) printed by this thread
/// while `f` runs, and returns them with `f`'s result.
pub(crate) fn capture<T>(f: impl FnOnce() -> T) -> (T, String) {
    install_print(print);
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(String::new()));
    let out = f();
    let log = CAPTURE
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), outer))
        .unwrap_or_default();
    (out, log)
}
