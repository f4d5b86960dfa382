//! RAII wrapper around libbpf's `btf_dump`, printing into a Rust buffer.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::io;
use std::ptr::NonNull;

use libbpf_sys::__va_list_tag;

use super::RawBtf;

extern "C" {
    // glibc/musl: formats into a malloc'd string in one pass, so the
    // `va_list` is consumed exactly once (Rust has no `va_copy`).
    fn vasprintf(strp: *mut *mut c_char, fmt: *const c_char, ap: *mut __va_list_tag) -> c_int;
}

/// Where `btf_dump` output goes; lives in a `Box` so its address is stable
/// for the C callback.
#[derive(Default)]
struct Sink {
    buf: Vec<u8>,
    /// Set while dumping types only to mark them emitted (module headers).
    muted: bool,
    failed: bool,
}

unsafe extern "C" fn sink_printf(ctx: *mut c_void, fmt: *const c_char, args: *mut __va_list_tag) {
    // SAFETY: `ctx` is the `Sink` pointer given to `btf_dump__new`; the
    // owning `Dumper` frees it only after the `btf_dump`, and holds no Rust
    // reference to it while a libbpf call (hence this callback) runs.
    let sink = unsafe { &mut *ctx.cast::<Sink>() };
    if sink.muted {
        return;
    }
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: `fmt`/`args` come straight from libbpf's printf call and are
    // consumed once; `out` receives a malloc'd string on success.
    let n = unsafe { vasprintf(&mut out, fmt, args) };
    if n < 0 || out.is_null() {
        sink.failed = true;
        return;
    }
    // SAFETY: on success `out` holds `n` initialised bytes.
    sink.buf
        .extend_from_slice(unsafe { std::slice::from_raw_parts(out.cast::<u8>(), n as usize) });
    // SAFETY: `out` was allocated by `vasprintf` with malloc.
    unsafe { libc::free(out.cast()) };
}

/// A `btf_dump` over one [`RawBtf`], with its output buffer.
pub struct Dump<'a> {
    raw: NonNull<libbpf_sys::btf_dump>,
    /// From `Box::into_raw`; every access (ours and the C callback's) goes
    /// through this pointer, so no `Box` uniqueness is violated.
    sink: NonNull<Sink>,
    _btf: std::marker::PhantomData<&'a RawBtf>,
}

impl std::fmt::Debug for Dump<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dump").finish_non_exhaustive()
    }
}

impl<'a> Dump<'a> {
    /// A printer of `btf`'s types as C.
    pub fn new(btf: &'a RawBtf) -> io::Result<Self> {
        let sink = NonNull::from(Box::leak(Box::<Sink>::default()));
        // SAFETY: `btf` outlives the dumper (lifetime `'a`); `sink` is a live
        // heap allocation that is freed only after the `btf_dump`; NULL opts
        // selects libbpf's defaults.
        let raw = unsafe {
            libbpf_sys::btf_dump__new(
                btf.as_ptr(),
                Some(sink_printf),
                sink.as_ptr().cast(),
                std::ptr::null(),
            )
        };
        let err = io::Error::last_os_error();
        match NonNull::new(raw) {
            Some(raw) => Ok(Self {
                raw,
                sink,
                _btf: std::marker::PhantomData,
            }),
            None => {
                // SAFETY: `sink` came from `Box::leak` above and no
                // `btf_dump` refers to it.
                drop(unsafe { Box::from_raw(sink.as_ptr()) });
                Err(err)
            }
        }
    }

    fn sink(&mut self) -> &mut Sink {
        // SAFETY: `self.sink` is live until `Drop`; the C callback only runs
        // inside libbpf calls made from `&mut self` methods while no Rust
        // reference to the sink is held, so this borrow is unique.
        unsafe { self.sink.as_mut() }
    }

    /// Appends literal text to the output.
    pub fn text(&mut self, s: &str) {
        if !self.sink().muted {
            self.sink().buf.extend_from_slice(s.as_bytes());
        }
    }

    /// While muted, dumped types are marked emitted but not printed.
    pub fn set_muted(&mut self, muted: bool) {
        self.sink().muted = muted;
    }

    /// Emits type `id` and everything it depends on not yet emitted.
    pub fn dump_type(&mut self, id: u32) -> io::Result<()> {
        // SAFETY: `self.raw` is live; libbpf validates `id` itself and only
        // calls back into the sink owned by `self`.
        let rc = unsafe { libbpf_sys::btf_dump__dump_type(self.raw.as_ptr(), id) };
        self.check(rc)
    }

    /// Emits a declaration of `id` (no definition), optionally naming it
    /// `field_name`: `int (*name)(int)`, `char name[16]`, `int f(int a)`.
    pub fn type_decl(&mut self, id: u32, field_name: Option<&CStr>) -> io::Result<()> {
        let opts = libbpf_sys::btf_dump_emit_type_decl_opts {
            sz: std::mem::size_of::<libbpf_sys::btf_dump_emit_type_decl_opts>() as _,
            // libbpf reads `field_name` unconditionally once present in
            // `opts`: pass "" rather than NULL for "no name".
            field_name: field_name.unwrap_or(c"").as_ptr(),
            ..Default::default()
        };
        // SAFETY: `self.raw` is live; `opts` and the name it points to live
        // across the call; libbpf copies nothing it keeps afterwards.
        let rc = unsafe { libbpf_sys::btf_dump__emit_type_decl(self.raw.as_ptr(), id, &opts) };
        self.check(rc)
    }

    /// Renders a declaration of `id` into a fresh `String`.
    pub fn render_decl(&mut self, id: u32, field_name: Option<&CStr>) -> io::Result<String> {
        let start = self.sink().buf.len();
        let muted = std::mem::replace(&mut self.sink().muted, false);
        let r = self.type_decl(id, field_name);
        self.sink().muted = muted;
        let s = String::from_utf8_lossy(&self.sink().buf[start..]).into_owned();
        self.sink().buf.truncate(start);
        r.map(|()| s)
    }

    /// Takes everything printed so far.
    pub fn take_output(&mut self) -> String {
        let buf = std::mem::take(&mut self.sink().buf);
        String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn check(&mut self, rc: c_int) -> io::Result<()> {
        let failed = std::mem::take(&mut self.sink().failed);
        if rc < 0 {
            return Err(io::Error::from_raw_os_error(-rc));
        }
        if failed {
            return Err(io::Error::other("formatting libbpf output failed"));
        }
        Ok(())
    }
}

impl Drop for Dump<'_> {
    fn drop(&mut self) {
        // SAFETY: `self.raw` came from `btf_dump__new` and is freed only here,
        // before the sink it prints into.
        unsafe { libbpf_sys::btf_dump__free(self.raw.as_ptr()) }
        // SAFETY: `self.sink` came from `Box::leak` in `new`; the `btf_dump`
        // that printed into it is gone, so this is the last use.
        drop(unsafe { Box::from_raw(self.sink.as_ptr()) });
    }
}
