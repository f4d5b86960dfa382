//! libbpf's log, captured per thread so each failing step carries exactly
//! what libbpf said during it (the verifier log among it).

use std::cell::RefCell;
use std::io::Write;
use std::os::raw::{c_char, c_int};
use std::sync::Once;

use libbpf_sys::{libbpf_print_level, LIBBPF_INFO, LIBBPF_WARN};

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

fn print(level: libbpf_print_level, msg: &str) {
    let captured = CAPTURE.with(|c| {
        c.try_borrow_mut().ok().and_then(|mut c| {
            c.as_mut().map(|buf| {
                buf.push_str("libbpf: ");
                buf.push_str(msg);
            })
        })
    });
    // Outside a capture, say only what libbpf warns about.
    if captured.is_none() && level == LIBBPF_WARN {
        let _ = write!(std::io::stderr().lock(), "libbpf: {msg}");
    }
}

/// libbpf's print callback. libbpf-rs's own one panics on a message that
/// is not UTF-8 (a corrupted section name is enough), and a panic cannot
/// leave an `extern "C"` function: the process aborts. This one keeps
/// such bytes as U+FFFD and never unwinds.
unsafe extern "C" fn libbpf_print(
    level: libbpf_print_level,
    fmt: *const c_char,
    args: *mut libbpf_sys::__va_list_tag,
) -> c_int {
    if level > LIBBPF_INFO || fmt.is_null() {
        return 0;
    }
    // SAFETY: libbpf passes a NUL-terminated format and the va_list that
    // goes with it; vsprintf_raw formats from a va_copy of it.
    let bytes = unsafe { vsprintf::vsprintf_raw(fmt, args) }
        .unwrap_or_else(|e| format!("(unformattable message: {e})\n").into_bytes());
    let msg = String::from_utf8_lossy(&bytes);
    let _ = std::panic::catch_unwind(|| print(level, &msg));
    0
}

/// Collects libbpf's messages (info and warnings) printed by this thread
/// while `f` runs, and returns them with `f`'s result.
pub(crate) fn capture<T>(f: impl FnOnce() -> T) -> (T, String) {
    INSTALL.call_once(|| {
        // SAFETY: installs a callback with the signature libbpf expects;
        // it stays valid for the life of the process.
        unsafe { libbpf_sys::libbpf_set_print(Some(libbpf_print)) };
    });
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(String::new()));
    let out = f();
    let log = CAPTURE
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), outer))
        .unwrap_or_default();
    (out, log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_log_bytes_do_not_panic() {
        // libbpf names the object in its "failed to open" warning
        let name = b"bad\xff\xfeobj\0";
        let garbage = [0u8; 64];
        let (obj, log) = capture(|| {
            // SAFETY: opts is zeroed except sz and a NUL-terminated name;
            // libbpf copies both and only reads `garbage`.
            unsafe {
                let mut opts: libbpf_sys::bpf_object_open_opts = std::mem::zeroed();
                opts.sz = std::mem::size_of::<libbpf_sys::bpf_object_open_opts>() as _;
                opts.object_name = name.as_ptr().cast();
                libbpf_sys::bpf_object__open_mem(garbage.as_ptr().cast(), garbage.len() as _, &opts)
            }
        });
        assert!(obj.is_null() || unsafe { libbpf_sys::libbpf_get_error(obj.cast()) } != 0);
        assert!(log.contains("bad\u{fffd}\u{fffd}obj"), "{log}");
    }
}
