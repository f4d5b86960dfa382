//! libbpf's print callback. libbpf-rs's own one panics on a message that
//! is not UTF-8 (a corrupted section name is enough), and a panic cannot
//! leave an `extern "C"` function: the process aborts. This one keeps such
//! bytes as U+FFFD and never unwinds.

use std::os::raw::{c_char, c_int};
use std::sync::OnceLock;

use libbpf_sys::{libbpf_print_level, LIBBPF_INFO, LIBBPF_WARN};

static SINK: OnceLock<fn(bool, &str)> = OnceLock::new();

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
    if let Some(sink) = SINK.get() {
        let _ = std::panic::catch_unwind(|| sink(level == LIBBPF_WARN, &msg));
    }
    0
}

/// Routes libbpf's info and warning messages to `sink(is_warning, msg)`
/// for the life of the process (the first call wins).
pub fn install_print(sink: fn(bool, &str)) {
    if SINK.set(sink).is_ok() {
        // SAFETY: the callback has the signature libbpf expects and stays
        // valid for the life of the process.
        unsafe { libbpf_sys::libbpf_set_print(Some(libbpf_print)) };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    static SEEN: Mutex<String> = Mutex::new(String::new());

    fn sink(_warning: bool, msg: &str) {
        SEEN.lock().unwrap().push_str(msg);
    }

    #[test]
    fn non_utf8_log_bytes_do_not_panic() {
        super::install_print(sink);
        // libbpf names the object in its "failed to open" warning
        let name = b"bad\xff\xfeobj\0";
        let garbage = [0u8; 64];
        let mut opts = libbpf_sys::bpf_object_open_opts {
            sz: std::mem::size_of::<libbpf_sys::bpf_object_open_opts>() as _,
            object_name: name.as_ptr().cast(),
            ..Default::default()
        };
        opts.sz = std::mem::size_of_val(&opts) as _;
        // SAFETY: opts holds its size and a NUL-terminated name; libbpf
        // copies both and only reads `garbage`.
        let obj = unsafe {
            libbpf_sys::bpf_object__open_mem(garbage.as_ptr().cast(), garbage.len() as _, &opts)
        };
        // SAFETY: libbpf_get_error only inspects the pointer value.
        assert!(obj.is_null() || unsafe { libbpf_sys::libbpf_get_error(obj.cast()) } != 0);
        let seen = SEEN.lock().unwrap();
        assert!(seen.contains("bad\u{fffd}\u{fffd}obj"), "{seen}");
    }
}
