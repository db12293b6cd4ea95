//! What every face function does around its body: find the thread's simulation, check
//! WSAStartup, catch panics, and set the thread's last-error slot.

use std::any::Any;
use std::cell::Cell;
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use crate::diag::Diagnostic;
use crate::error::{Errno, Result};
use crate::net::topology::HostId;
use crate::sched::thread::ThreadId;
use crate::sim::{cached_thread_id, current, thread_id, Here, Sim};
use crate::stack::World;

thread_local! {
    /// The thread's last-error slot. WSAGetLastError and GetLastError read the same one, as
    /// on Windows (winsock-facts §1a).
    static LAST_ERROR: Cell<i32> = const { Cell::new(0) };
}

thread_local! {
    /// The Winsock function ws2 is running on this thread, for the provider below it to name
    /// in traces and diagnostics (a provider called directly names itself).
    static API_CALL: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Restores the previous API name when dropped.
pub(crate) struct ApiCall(Option<&'static str>);

impl Drop for ApiCall {
    fn drop(&mut self) {
        API_CALL.with(|c| c.set(self.0));
    }
}

/// Marks the calling thread as running Winsock function `name` until the guard drops.
pub(crate) fn api_call(name: &'static str) -> ApiCall {
    ApiCall(API_CALL.with(|c| c.replace(Some(name))))
}

/// The Winsock function running on this thread, or `provider` when a provider function was
/// called directly.
pub(crate) fn api_name(provider: &'static str) -> &'static str {
    API_CALL.with(|c| c.get()).unwrap_or(provider)
}

pub(crate) fn set_last_error(code: i32) {
    LAST_ERROR.with(|c| c.set(code));
}

pub(crate) fn last_error() -> i32 {
    LAST_ERROR.with(|c| c.get())
}

/// The calling thread's simulation and host (`cx.sim`, `cx.host`).
pub(crate) struct Cx(Rc<Here>);

impl core::ops::Deref for Cx {
    type Target = Here;

    fn deref(&self) -> &Here {
        &self.0
    }
}

impl Cx {
    /// A context for `sim` on `host` (the safe API's, which holds its simulation itself).
    pub fn of(sim: &Sim, host: HostId) -> Cx {
        Cx(Rc::new(Here {
            sim: sim.clone(),
            host,
        }))
    }

    /// Runs `f` on the locked world.
    pub fn world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        self.sim.with(f)
    }

    /// `world` for sends and receives (see `Sim::with_data`).
    pub fn world_data<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        self.sim.with_data(f)
    }

    /// The calling thread's simulated thread.
    pub fn thread(&self) -> ThreadId {
        thread_id(&self.sim)
    }

    /// `thread` when it is known without a lookup (one that may lock the world).
    pub fn known_thread(&self) -> Option<ThreadId> {
        cached_thread_id(&self.sim)
    }

    /// WSANOTINITIALISED before WSAStartup; WSAENETDOWN once a simulator bug was caught.
    pub fn init(&self) -> Result<()> {
        // A look that changes nothing: it keeps cached routes (`Sim::with_data`).
        self.world_data(|w| initialised(w))
    }

    /// `init`, except that Wine 8 does not ask for WSAStartup (for the calls where that was
    /// observed; CONTRACT.md section W): only a broken simulation fails.
    pub fn init_unless_wine8(&self) -> Result<()> {
        if self.world(|w| w.cfg.wine8() && !w.broken) {
            Ok(())
        } else {
            self.init()
        }
    }

    /// `init`, then WSAENOTSOCK unless `s` is a socket: the order in which Windows checks
    /// (Wine test_WithoutWSAStartup, test_WSASendMsg, test_getpeername).
    pub fn socket(&self, s: usize) -> Result<()> {
        // One look that changes nothing, so it keeps cached routes (`Sim::with_data`).
        self.world_data(|w| check_socket(w, s))
    }
}

/// [`Cx::socket`] for a caller that holds the lock already (a data-path call that makes its
/// first look at the world in the same lock).
pub(crate) fn check_socket(w: &World, s: usize) -> Result<()> {
    // Wine 8 checks the handle before WSAStartup: a non-socket is WSAENOTSOCK even without
    // it (diff/corpus/notinitialised.json under Wine).
    if w.cfg.wine8() && !w.broken {
        w.key_of(s)?;
    }
    initialised(w)?;
    w.key_of(s).map(|_| ())
}

/// WSANOTINITIALISED before WSAStartup; WSAENETDOWN once a simulator bug was caught.
fn initialised(w: &World) -> Result<()> {
    if w.broken {
        Err(Errno::NetDown)
    } else {
        w.check_initialised()
    }
}

/// A panic inside a face function is a simulator bug: it is recorded, and the simulation is
/// marked broken (every later call fails with WSAENETDOWN).
fn internal_error(cx: &Cx, panic: Box<dyn Any + Send>) {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    cx.sim.with(|w| {
        w.broken = true;
        w.diagnose(Diagnostic::InternalError { message });
    });
    set_last_error(Errno::NetDown.code());
}

/// A debug-level `tracing` span, entered until the value it gives is dropped; nothing at all
/// (not even a disabled span to exit and drop) when no subscriber wants debug spans:
/// `debug_span!` checks the same level first. For the data path's calls, where a test that
/// does not trace would otherwise pay for a span per call (benches/instructions.sh). Used
/// everywhere, its drop stops being inlined and the saving is lost, so the other calls keep
/// `debug_span!(...).entered()`.
macro_rules! data_span {
    ($($arg:tt)*) => {
        if tracing::level_enabled!(tracing::Level::DEBUG) {
            Some(tracing::debug_span!($($arg)*).entered())
        } else {
            None
        }
    };
}
pub(crate) use data_span;

/// The `tracing` span of a call that may be overlapped: its socket, other key arguments, and
/// whether it was given an OVERLAPPED and a completion routine.
macro_rules! io_span {
    ($name:literal, $s:expr, $ov:ident, $routine:ident $(, $k:ident = $v:expr)* $(,)?) => {
        $crate::ws2::face::data_span!(
            $name,
            socket = $s,
            $($k = $v,)*
            overlapped = !$ov.is_null(),
            routine = $routine.is_some()
        )
    };
}
pub(crate) use io_span;

/// The `tracing` event for a call that succeeded, inside the span its function entered.
/// Field values are only computed when a subscriber wants the event.
pub(crate) fn returned(v: &dyn Debug) {
    tracing::debug!(ret = ?v, "returned");
}

/// The `tracing` event for a call that failed with a Winsock (or provider) error code.
pub(crate) fn failed(code: i32) {
    tracing::debug!(
        error = Errno::from_code(code).map_or("", Errno::name),
        code,
        "failed"
    );
}

fn here() -> Cx {
    Cx(current())
}

/// Runs a Winsock function's body. `Ok(v)` returns `v` and, as Windows 7 and later do after a
/// successful call (Wine's tests check it throughout sock.c), sets the last error to 0.
/// `Err(e)` stores `e` and returns `fail`.
pub(crate) fn call<T: Debug>(fail: T, body: impl FnOnce(&Cx) -> Result<T>) -> T {
    let cx = here();
    match catch_unwind(AssertUnwindSafe(|| body(&cx))) {
        Ok(Ok(v)) => {
            set_last_error(0);
            returned(&v);
            v
        }
        Ok(Err(e)) => {
            set_last_error(e.code());
            failed(e.code());
            fail
        }
        Err(panic) => {
            internal_error(&cx, panic);
            fail
        }
    }
}

/// Runs a kernel32 function's body. Unlike Winsock's, these leave the last error alone on
/// success (Wine test_completion_port: a successful GetQueuedCompletionStatus keeps
/// 0xdeadbeef) and set a Win32 error code on failure.
pub(crate) fn call_win32<T: Debug>(
    fail: T,
    body: impl FnOnce(&Cx) -> core::result::Result<T, u32>,
) -> T {
    let cx = here();
    match catch_unwind(AssertUnwindSafe(|| body(&cx))) {
        Ok(Ok(v)) => {
            returned(&v);
            v
        }
        Ok(Err(e)) => {
            set_last_error(e as i32);
            tracing::debug!(code = e, "failed");
            fail
        }
        Err(panic) => {
            internal_error(&cx, panic);
            fail
        }
    }
}

/// Runs a Winsock function's body whose error may be any code (one a service provider
/// reported through lpErrno): as [`call`], with the raw code stored.
pub(crate) fn call_raw<T: Debug>(
    fail: T,
    body: impl FnOnce(&Cx) -> core::result::Result<T, i32>,
) -> T {
    let cx = here();
    match catch_unwind(AssertUnwindSafe(|| body(&cx))) {
        Ok(Ok(v)) => {
            set_last_error(0);
            returned(&v);
            v
        }
        Ok(Err(e)) => {
            set_last_error(e);
            failed(e);
            fail
        }
        Err(panic) => {
            internal_error(&cx, panic);
            fail
        }
    }
}

/// Runs a service provider function's body (the SPI): errors go to `*lperrno`, and the
/// thread's last-error slot is left alone, as the SPI requires ("a specific error code is
/// available in lpErrno"). A NULL `lperrno` still gets the failure value back.
pub(crate) fn call_spi<T: Debug>(
    fail: T,
    lperrno: *mut i32,
    body: impl FnOnce(&Cx) -> core::result::Result<T, i32>,
) -> T {
    let cx = here();
    let saved = last_error();
    let out = match catch_unwind(AssertUnwindSafe(|| body(&cx))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e),
        Err(panic) => {
            internal_error(&cx, panic);
            Err(Errno::NetDown.code())
        }
    };
    set_last_error(saved);
    match out {
        Ok(v) => {
            returned(&v);
            v
        }
        Err(e) => {
            failed(e);
            if !super::mem::bad(lperrno) {
                // SAFETY: non-NULL; the caller passes a valid lpErrno (SPI contract).
                unsafe { super::mem::write(lperrno, e) };
            }
            fail
        }
    }
}

/// The body of every Winsock function the simulator does not implement: a diagnostic, the
/// last error WSAEOPNOTSUPP, and the function's failure value.
pub(super) fn unsupported<T>(function: &'static str, fail: T) -> T {
    tracing::debug!(function, "not simulated: WSAEOPNOTSUPP");
    current()
        .sim
        .with(|w| w.diagnose(Diagnostic::Unsupported { function }));
    set_last_error(Errno::OpNotSupp.code());
    fail
}
