//! Overlapped I/O in the Winsock face: the sink that writes a completed receive into the
//! caller's memory, WSAGetOverlappedResult, and the WSA event functions.

use std::cell::Cell;
use std::ptr::addr_of_mut;

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::Networking::WinSock::{
    LPWSAOVERLAPPED_COMPLETION_ROUTINE, SOCKADDR, SOCKET, WSAEVENT, WSAMSG, WSA_INVALID_HANDLE,
    WSA_INVALID_PARAMETER, WSA_WAIT_FAILED, WSA_WAIT_IO_COMPLETION, WSA_WAIT_TIMEOUT,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::face::{self, Cx};
use super::mem::{bad, read, write, write_name, Bufs, Scatter};
use crate::diag::Diagnostic;
use crate::error::{Errno, Result};
use crate::io::request::{Got, Notify, Sink};
use crate::io::status::NtStatus;
use crate::kernel32::{wait_events, EventWait};
use crate::sched::thread::Routine;
use crate::sim::block::{Wait, Waiting};
use crate::wire::cmsg;

/// Where a pending receive's results go: the buffers and pointers the caller gave, captured
/// when the request was posted (the WSABUF array itself may be gone by then: WSARecvMsg page,
/// "it is the Winsock service provider's responsibility to capture this WSABUF structure").
pub(crate) struct RecvTarget {
    pub bufs: Bufs,
    /// WSARecvFrom's lpFrom / lpFromlen, written at completion.
    pub from: Option<(*mut SOCKADDR, *mut i32)>,
    /// WSARecvMsg's message: name, namelen, Control.len and dwFlags are written at completion.
    pub msg: Option<*mut WSAMSG>,
    pub overlapped: *mut OVERLAPPED,
}

thread_local! {
    /// The box of the last request this thread completed, for the next one it posts: an
    /// overlapped receive then allocates nothing.
    static SPARE: Cell<Option<Box<RecvTarget>>> = const { Cell::new(None) };
}

impl RecvTarget {
    /// `self` boxed for `post_recv`, in a spare box if this thread has one.
    pub fn boxed(self) -> Box<RecvTarget> {
        // During thread exit the spare may be gone already: allocate then.
        match SPARE.try_with(Cell::take).ok().flatten() {
            Some(mut b) => {
                *b = self;
                b
            }
            None => Box::new(self),
        }
    }
}

// SAFETY: the pointers are the caller's, who must keep them valid until the request
// completes (the overlapped contract); the simulation only uses them from `finish` and
// `pending`, called with the world locked, one thread at a time.
unsafe impl Send for RecvTarget {}

impl Sink for RecvTarget {
    fn pending(&mut self) {
        // SAFETY: a valid OVERLAPPED (checked non-NULL at post; caller contract).
        unsafe {
            write(
                addr_of_mut!((*self.overlapped).Internal),
                NtStatus::PENDING.0 as usize,
            )
        };
    }

    fn finish(&mut self, status: NtStatus, bytes: usize, got: Option<Got<'_>>) {
        // SAFETY: every pointer was checked non-NULL when the request was posted and stays
        // valid until completion (caller contract); sizes were checked against what is written.
        unsafe {
            if let Some(Got { ok, data }) = got {
                let mut into = Scatter::new(&self.bufs);
                for piece in data {
                    into.write(piece);
                }
                if let Some((name, namelen)) = self.from {
                    let cap = read(namelen).max(0) as usize;
                    write_name(name, namelen, cap, &ok.from);
                }
                if let Some(msg) = self.msg {
                    let m = read(msg);
                    if !m.name.is_null() {
                        let cap = m.namelen.max(0) as usize;
                        write_name(m.name, addr_of_mut!((*msg).namelen), cap, &ok.from);
                    }
                    if !m.Control.buf.is_null() && ok.control_len > 0 {
                        let out = core::slice::from_raw_parts_mut(m.Control.buf, ok.control_len);
                        cmsg::encode_with(&ok.control, out, !ok.wine8);
                    }
                    write(addr_of_mut!((*msg).Control.len), ok.control_len as u32);
                    write(addr_of_mut!((*msg).dwFlags), ok.flags);
                }
            }
            write(addr_of_mut!((*self.overlapped).Internal), status.0 as usize);
            write(addr_of_mut!((*self.overlapped).InternalHigh), bytes);
        }
    }

    fn recycle(self: Box<Self>) {
        // Dropped instead if the thread is exiting.
        let _ = SPARE.try_with(|spare| spare.set(Some(self)));
    }
}

/// The announcement an overlapped call asks for: the completion routine, or hEvent (whose
/// low bit, when set, keeps the completion off the socket's port: winsock-facts §4).
///
/// # Safety
/// `ov` must be a valid, non-NULL OVERLAPPED.
pub(crate) unsafe fn notify_for(cx: &Cx, ov: *mut OVERLAPPED, routine: Option<Routine>) -> Notify {
    // SAFETY: a valid OVERLAPPED (caller contract).
    let hevent = unsafe { read(addr_of_mut!((*ov).hEvent)) } as usize;
    Notify {
        thread: Some(cx.thread()),
        overlapped: ov as usize,
        event: (hevent & !1 != 0).then_some(hevent & !1),
        routine,
        to_port: hevent & 1 == 0,
    }
}

/// Whether a call with these arguments is overlapped on this socket: an OVERLAPPED or a
/// completion routine on a socket made with WSA_FLAG_OVERLAPPED. On a socket made without the
/// flag, both are ignored and the call is synchronous (Wine test_nonblocking_async_recv). A
/// completion routine needs an OVERLAPPED to report through (WSAEFAULT without one).
pub(crate) fn is_overlapped(
    cx: &Cx,
    s: SOCKET,
    ov: *mut OVERLAPPED,
    routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> Result<bool> {
    if ov.is_null() && routine.is_none() {
        return Ok(false);
    }
    if !cx.world(|w| w.sock(s).map(|s| s.overlapped))? {
        return Ok(false);
    }
    if bad(ov) {
        return Err(Errno::Fault);
    }
    Ok(true)
}

/// Records the contract checker's warning for a byte-count pointer on an overlapped call.
pub(crate) fn warn_byte_count(cx: &Cx, call: &'static str, count: *mut u32) {
    if !count.is_null() {
        cx.world(|w| w.diagnose(Diagnostic::ByteCountWithOverlapped { call }));
    }
}

/// Writes an immediate completion of an overlapped send or ioctl into its OVERLAPPED.
///
/// # Safety
/// `ov` must be a valid OVERLAPPED.
pub(crate) unsafe fn complete_in_overlapped(ov: *mut OVERLAPPED, status: NtStatus, bytes: usize) {
    // SAFETY: a valid OVERLAPPED (caller contract).
    unsafe {
        write(addr_of_mut!((*ov).Internal), status.0 as usize);
        write(addr_of_mut!((*ov).InternalHigh), bytes);
    }
}

/// The status and byte count of the request behind `ov`, waiting for it if asked (a
/// non-alertable wait). WSA_IO_INCOMPLETE if it is still pending and `wait` is false.
///
/// # Safety
/// `ov` must be a valid, non-NULL OVERLAPPED.
pub(crate) unsafe fn result_of(
    cx: &Cx,
    s: SOCKET,
    ov: *const OVERLAPPED,
    wait: bool,
) -> Result<(NtStatus, usize)> {
    // SAFETY: a valid OVERLAPPED (caller contract); Internal is read again after the wait,
    // which happens after the completing thread wrote it under the world lock.
    let internal = || unsafe { NtStatus(read(core::ptr::addr_of!((*ov).Internal)) as u32) };
    if internal() == NtStatus::PENDING {
        let pending = cx.world(|w| {
            w.pending_request(ov as usize)
                .map(|r| r.notify.routine.is_some())
        });
        if !wait || pending.is_none() {
            return Err(Errno::IoIncomplete);
        }
        if pending == Some(true) {
            cx.world(|w| w.diagnose(Diagnostic::WaitWithCompletionRoutine { handle: s }));
        }
        let what = Waiting {
            call: "WSAGetOverlappedResult",
            handle: s,
            key: None,
            alertable: None,
        };
        let done = cx.sim.wait(what, crate::sched::time::Instant::NEVER, |w| {
            w.pending_request(ov as usize).is_none().then_some(())
        });
        if done != Wait::Ready(()) {
            return Err(Errno::IoIncomplete);
        }
    }
    // SAFETY: as above.
    let bytes = unsafe { read(core::ptr::addr_of!((*ov).InternalHigh)) };
    Ok((internal(), bytes))
}

/// The result of an overlapped operation. `*lpcbTransfer` is written even when the operation
/// failed (the truncated byte count on WSAEMSGSIZE: Wine test_ip_pktinfo, Windows rows);
/// `*lpdwFlags` only when it succeeded (same test: left untouched on failure).
///
/// # Safety
/// The pointers must be valid as the Win32 contract requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSAGetOverlappedResult(
    s: SOCKET,
    lpoverlapped: *const OVERLAPPED,
    lpcbtransfer: *mut u32,
    fwait: BOOL,
    lpdwflags: *mut u32,
) -> BOOL {
    let _span = tracing::debug_span!(
        "WSAGetOverlappedResult",
        socket = s,
        overlapped = !lpoverlapped.is_null(),
        wait = fwait
    )
    .entered();
    face::call(0, |cx| {
        cx.socket(s)?;
        // NULL pointers crash on Vista and later; Windows 2003 reported WSAEFAULT, as here.
        if bad(lpoverlapped) || bad(lpcbtransfer) || bad(lpdwflags) {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let (status, bytes) = unsafe { result_of(cx, s, lpoverlapped, fwait != 0) }?;
        // SAFETY: checked non-NULL; valid (caller contract).
        unsafe { write(lpcbtransfer, bytes as u32) };
        if !status.is_success() {
            let cancelled = cx.world(|w| w.cfg.cancelled_error);
            return Err(status.to_errno(cancelled).unwrap_or(Errno::Inval));
        }
        // The flags come from the status, as msafd-style providers derive them: MSG_PARTIAL
        // for STATUS_RECEIVE_PARTIAL; none for a UDP datagram.
        // SAFETY: checked non-NULL; valid (caller contract).
        unsafe { write(lpdwflags, status.recv_flags()) };
        Ok(1)
    })
}

/// A manual-reset, non-signaled event.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSACreateEvent() -> WSAEVENT {
    let _span = tracing::debug_span!("WSACreateEvent").entered();
    face::call(0, |cx| {
        cx.init()?;
        Ok(cx.world(|w| w.create_event(true, false)) as WSAEVENT)
    })
}

fn event_op(h: usize, op: impl FnOnce(&mut crate::stack::World, usize) -> bool) -> BOOL {
    face::call(0, |cx| {
        cx.init()?;
        if cx.world(|w| op(w, h)) {
            Ok(1)
        } else {
            Err(Errno::InvalidHandle)
        }
    })
}

/// Closes an event.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSACloseEvent(hevent: WSAEVENT) -> BOOL {
    let _span = tracing::debug_span!("WSACloseEvent", event = hevent as usize).entered();
    event_op(hevent as usize, |w, h| {
        w.event_id(h).is_some() && w.close_object(h)
    })
}

/// Signals an event.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSASetEvent(hevent: WSAEVENT) -> BOOL {
    let _span = tracing::debug_span!("WSASetEvent", event = hevent as usize).entered();
    event_op(hevent as usize, |w, h| w.set_event(h))
}

/// Resets an event.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSAResetEvent(hevent: WSAEVENT) -> BOOL {
    let _span = tracing::debug_span!("WSAResetEvent", event = hevent as usize).entered();
    event_op(hevent as usize, |w, h| w.reset_event(h))
}

/// Waits for one or all of up to 64 events, in virtual time. Returns WSA_WAIT_EVENT_0 + the
/// lowest signaled index, WSA_WAIT_TIMEOUT, WSA_WAIT_IO_COMPLETION (alertable, after APCs
/// ran), or WSA_WAIT_FAILED.
///
/// # Safety
/// `lphevents` must be valid for `cevents` handles.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSAWaitForMultipleEvents(
    cevents: u32,
    lphevents: *const HANDLE,
    fwaitall: BOOL,
    dwtimeout: u32,
    falertable: BOOL,
) -> u32 {
    let _span = tracing::debug_span!(
        "WSAWaitForMultipleEvents",
        events = cevents,
        wait_all = fwaitall,
        timeout_ms = dwtimeout,
        alertable = falertable
    )
    .entered();
    face::call(WSA_WAIT_FAILED, |cx| {
        cx.init()?;
        if cevents == 0 || cevents > 64 || bad(lphevents) {
            return Err(errno_of_win(WSA_INVALID_PARAMETER as u32));
        }
        // SAFETY: `lphevents` holds `cevents` handles (caller contract).
        let handles: Vec<usize> = (0..cevents as usize)
            .map(|i| unsafe { read(lphevents.add(i)) } as usize)
            .collect();
        match wait_events(
            cx,
            "WSAWaitForMultipleEvents",
            &handles,
            fwaitall != 0,
            crate::kernel32::deadline(cx, dwtimeout),
            falertable != 0,
        ) {
            EventWait::Object(i) => Ok(i as u32),
            EventWait::Timeout => Ok(WSA_WAIT_TIMEOUT),
            EventWait::IoCompletion => Ok(WSA_WAIT_IO_COMPLETION as u32),
            EventWait::Failed(e) => Err(errno_of_win(e)),
        }
    })
}

/// The Winsock face's error for a Win32 wait failure.
fn errno_of_win(e: u32) -> Errno {
    match e {
        x if x == WSA_INVALID_HANDLE as u32 => Errno::InvalidHandle,
        x if x == WSA_INVALID_PARAMETER as u32 => Errno::InvalidParameter,
        // A wait that could never end (WouldBlockForever diagnostic recorded).
        _ => Errno::Intr,
    }
}
