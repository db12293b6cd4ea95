//! ws2's side of the SPI: the upcall table it gives every provider's WSPStartup, and the
//! base provider's APC function that WPUQueueApc runs in the issuing thread.

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{HANDLE, HWND, LPARAM, WPARAM};
use windows_sys::Win32::Networking::WinSock::{
    FD_SET, LPBLOCKINGCALLBACK, LPWSAUSERAPC, SOCKET, SOCKET_ERROR, WSAEVENT, WSATHREADID,
    WSPUPCALLTABLE,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use crate::diag::Diagnostic;
use crate::error::Errno;
use crate::io::handles::Object;
use crate::io::upcall::Deferred;
use crate::io::upcall::QueueApcFn;
use crate::sched::thread::{Apc, ThreadId};
use crate::sim::{current, is_current_world, thread_id};
use crate::stack::World;
use crate::ws2::face::{call_spi, failed, returned};
use crate::ws2::mem::{bad, read, write};

/// The upcall table ws2 passes to a provider's WSPStartup. A layered provider passes it on
/// to the provider below it (or a table of its own wrappers).
pub fn upcall_table() -> WSPUPCALLTABLE {
    WSPUPCALLTABLE {
        lpWPUCloseEvent: Some(WPUCloseEvent),
        lpWPUCloseSocketHandle: Some(WPUCloseSocketHandle),
        lpWPUCreateEvent: Some(WPUCreateEvent),
        lpWPUCreateSocketHandle: Some(WPUCreateSocketHandle),
        lpWPUFDIsSet: Some(WPUFDIsSet),
        lpWPUGetProviderPath: Some(WPUGetProviderPath),
        lpWPUModifyIFSHandle: Some(WPUModifyIFSHandle),
        lpWPUPostMessage: Some(WPUPostMessage),
        lpWPUQueryBlockingCallback: Some(WPUQueryBlockingCallback),
        lpWPUQuerySocketHandleContext: Some(WPUQuerySocketHandleContext),
        lpWPUQueueApc: Some(WPUQueueApc),
        lpWPUResetEvent: Some(WPUResetEvent),
        lpWPUSetEvent: Some(WPUSetEvent),
        lpWPUOpenCurrentThread: Some(WPUOpenCurrentThread),
        lpWPUCloseThread: Some(WPUCloseThread),
    }
}

/// Queues `lpfnuserapc(dwcontext)` to the thread `lpthreadid` names; it runs in that
/// thread's next alertable wait. WSAEFAULT when the WSATHREADID does not name a live thread
/// (winsock-facts §5.15).
///
/// # Safety
/// `lpthreadid` must be NULL or valid for reads; `lperrno` valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUQueueApc(
    lpthreadid: *const WSATHREADID,
    lpfnuserapc: LPWSAUSERAPC,
    dwcontext: usize,
    lperrno: *mut i32,
) -> i32 {
    let _span = crate::ws2::face::data_span!("WPUQueueApc");
    call_spi(SOCKET_ERROR, lperrno, |cx| {
        if bad(lpthreadid) || lpfnuserapc.is_none() {
            return Err(Errno::Fault.code());
        }
        // SAFETY: non-NULL, valid for reads (caller contract).
        let id = unsafe { read(lpthreadid) };
        // Queueing an APC decides no route (`Sim::with_data`): completions go on the data path.
        cx.world_data(|w| queue_user_apc(w, id.ThreadHandle as usize, lpfnuserapc, dwcontext))
    })
}

/// WPUQueueApc's work on the world: `func(data)` queued to the thread `thread_handle` names,
/// if it is alive.
fn queue_user_apc(
    w: &mut World,
    thread_handle: usize,
    func: LPWSAUSERAPC,
    data: usize,
) -> Result<i32, i32> {
    let tid = match w.handles.get(thread_handle) {
        Some(Object::Thread(t)) => t,
        _ => return Err(Errno::Fault.code()),
    };
    match w.threads.get_mut(&tid).filter(|t| t.alive) {
        Some(t) => {
            t.apcs.push_back(Apc::User { func, data });
            w.sched.wake_all();
            Ok(0)
        }
        None => Err(Errno::Fault.code()),
    }
}

/// Makes `d` as the request completes, with the world still locked, if nothing is deferred
/// before it, it is ws2's own WPUQueueApc, and `w` is this thread's simulation (the one the
/// upcall would act on): the upcall only queues an APC and marks its record queued, which
/// nothing before the lock's release could tell from making it then, and it saves taking
/// the lock twice more per completion. Returns `d` when it must be deferred: a layered
/// provider's wrapper must see the call, unlocked, and those after it keep their order.
pub(crate) fn make_own_upcall_now(w: &mut World, d: Deferred) -> Option<Deferred> {
    let own = d.queue_apc as usize == WPUQueueApc as QueueApcFn as usize;
    if !own || !w.provider_apcs.deferred.is_empty() || !is_current_world(w) {
        return Some(d);
    }
    make_own_upcall(w, d);
    None
}

/// What `queue_deferred_apc` and ws2's WPUQueueApc do for `d`, on the locked world.
#[inline(never)]
fn make_own_upcall(w: &mut World, d: Deferred) {
    // As the upcall shows itself to a subscriber.
    let _span = crate::ws2::face::data_span!("WPUQueueApc");
    let r = queue_user_apc(w, d.thread_handle, Some(provider_apc), d.record as usize);
    match r {
        Ok(v) => returned(&v),
        Err(e) => failed(e),
    }
    w.provider_apc_queued(d.record, r.is_ok());
}

/// The calling thread's WSATHREADID: its thread handle, and its id in Reserved.
///
/// # Safety
/// `lpthreadid` must be valid for writes; `lperrno` valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUOpenCurrentThread(
    lpthreadid: *mut WSATHREADID,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WPUOpenCurrentThread").entered();
    call_spi(SOCKET_ERROR, lperrno, |cx| {
        if bad(lpthreadid) {
            return Err(Errno::Fault.code());
        }
        let id = thread_id_of(cx);
        // SAFETY: non-NULL, valid for writes (caller contract).
        unsafe { write(lpthreadid, id) };
        Ok(0)
    })
}

/// The WSATHREADID of the calling thread.
pub(crate) fn thread_id_of(cx: &crate::ws2::face::Cx) -> WSATHREADID {
    let tid = cx.thread();
    // A thread handle decides no route: keep cached routes (`Sim::with_data`), or every
    // receive would make the next send resolve its route afresh.
    let handle = cx.world_data(|w| w.thread_handle(tid));
    wsa_thread_id(tid, handle)
}

/// The WSATHREADID of thread `tid`, whose thread handle is `handle`.
pub(crate) fn wsa_thread_id(tid: ThreadId, handle: usize) -> WSATHREADID {
    WSATHREADID {
        ThreadHandle: handle as HANDLE,
        Reserved: tid.get() as usize,
    }
}

/// Closes what WPUOpenCurrentThread opened: nothing to do, the handle lives as long as the
/// thread's simulation.
///
/// # Safety
/// Always safe; `unsafe` only to match LPWPUCLOSETHREAD.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUCloseThread(
    lpthreadid: *const WSATHREADID,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WPUCloseThread").entered();
    call_spi(SOCKET_ERROR, lperrno, |_| {
        if bad(lpthreadid) {
            Err(Errno::Fault.code())
        } else {
            Ok(0)
        }
    })
}

/// A manual-reset event, as WSACreateEvent makes.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUCreateEvent(lperrno: *mut i32) -> WSAEVENT {
    let _span = tracing::debug_span!("WPUCreateEvent").entered();
    call_spi(0, lperrno, |cx| {
        Ok(cx.world(|w| w.create_event(true, false)) as WSAEVENT)
    })
}

fn event_upcall(
    hevent: WSAEVENT,
    lperrno: *mut i32,
    op: impl FnOnce(&mut crate::stack::World, usize) -> bool,
) -> BOOL {
    call_spi(0, lperrno, |cx| {
        let h = hevent as usize;
        cx.world(|w| {
            if w.event_id(h).is_some() && op(w, h) {
                Ok(1)
            } else {
                Err(Errno::InvalidHandle.code())
            }
        })
    })
}

/// Closes an event.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUCloseEvent(hevent: WSAEVENT, lperrno: *mut i32) -> BOOL {
    let _span = tracing::debug_span!("WPUCloseEvent", event = hevent as usize).entered();
    event_upcall(hevent, lperrno, |w, h| w.close_object(h))
}

/// Signals an event.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUSetEvent(hevent: WSAEVENT, lperrno: *mut i32) -> BOOL {
    let _span = tracing::debug_span!("WPUSetEvent", event = hevent as usize).entered();
    event_upcall(hevent, lperrno, |w, h| w.set_event(h))
}

/// Resets an event.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUResetEvent(hevent: WSAEVENT, lperrno: *mut i32) -> BOOL {
    let _span = tracing::debug_span!("WPUResetEvent", event = hevent as usize).entered();
    event_upcall(hevent, lperrno, |w, h| w.reset_event(h))
}

/// An IFS provider's handle is the socket itself: ws2 takes `proposedhandle` as it is, if it
/// is a socket of this simulation.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUModifyIFSHandle(
    dwcatalogentryid: u32,
    proposedhandle: SOCKET,
    lperrno: *mut i32,
) -> SOCKET {
    let _span = tracing::debug_span!("WPUModifyIFSHandle").entered();
    let _ = dwcatalogentryid;
    call_spi(
        windows_sys::Win32::Networking::WinSock::INVALID_SOCKET,
        lperrno,
        |cx| {
            cx.world(|w| w.key_of(proposedhandle))
                .map(|_| proposedhandle)
                .map_err(|_| Errno::NotSock.code())
        },
    )
}

/// Non-IFS socket handles (a layered provider that makes handles of its own) are not
/// simulated: WSAEOPNOTSUPP and a diagnostic (README, "Not supported").
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUCreateSocketHandle(
    dwcatalogentryid: u32,
    dwcontext: usize,
    lperrno: *mut i32,
) -> SOCKET {
    let _span = tracing::debug_span!("WPUCreateSocketHandle").entered();
    let _ = (dwcatalogentryid, dwcontext);
    unsupported(
        "WPUCreateSocketHandle",
        windows_sys::Win32::Networking::WinSock::INVALID_SOCKET,
        lperrno,
    )
}

/// See [`WPUCreateSocketHandle`].
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUQuerySocketHandleContext(
    s: SOCKET,
    lpcontext: *mut usize,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WPUQuerySocketHandleContext", socket = s).entered();
    let _ = (s, lpcontext);
    unsupported("WPUQuerySocketHandleContext", SOCKET_ERROR, lperrno)
}

/// See [`WPUCreateSocketHandle`].
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUCloseSocketHandle(s: SOCKET, lperrno: *mut i32) -> i32 {
    let _span = tracing::debug_span!("WPUCloseSocketHandle", socket = s).entered();
    let _ = s;
    unsupported("WPUCloseSocketHandle", SOCKET_ERROR, lperrno)
}

/// Provider DLL paths do not exist in the simulation: WSAEOPNOTSUPP.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUGetProviderPath(
    lpproviderid: *const windows_sys::core::GUID,
    lpszproviderdllpath: windows_sys::core::PWSTR,
    lpproviderdllpathlen: *mut i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WPUGetProviderPath").entered();
    let _ = (lpproviderid, lpszproviderdllpath, lpproviderdllpathlen);
    unsupported("WPUGetProviderPath", SOCKET_ERROR, lperrno)
}

/// No windows or messages in the simulation: FALSE.
///
/// # Safety
/// Always safe; `unsafe` only to match LPWPUPOSTMESSAGE.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUPostMessage(
    hwnd: HWND,
    msg: u32,
    wparam: WPARAM,
    lparam: LPARAM,
) -> BOOL {
    let _ = (hwnd, msg, wparam, lparam);
    current().sim.with(|w| {
        w.diagnose(Diagnostic::Unsupported {
            function: "WPUPostMessage",
        })
    });
    0
}

/// Winsock 2 has no blocking hooks: the callback is NULL, so a provider waits on its own.
///
/// # Safety
/// `lplpfncallback` and `lpdwcontext` must be valid for writes.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUQueryBlockingCallback(
    dwcatalogentryid: u32,
    lplpfncallback: *mut LPBLOCKINGCALLBACK,
    lpdwcontext: *mut usize,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WPUQueryBlockingCallback").entered();
    let _ = dwcatalogentryid;
    call_spi(SOCKET_ERROR, lperrno, |_| {
        if bad(lplpfncallback) || bad(lpdwcontext) {
            return Err(Errno::Fault.code());
        }
        // SAFETY: non-NULL, valid for writes (caller contract).
        unsafe {
            write(lplpfncallback, None);
            write(lpdwcontext, 0);
        }
        Ok(0)
    })
}

/// select() is not simulated, so no FD_SET reaches a provider: always 0.
///
/// # Safety
/// Always safe; `fdset` is not read.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WPUFDIsSet(s: SOCKET, fdset: *const FD_SET) -> i32 {
    let _ = (s, fdset);
    0
}

fn unsupported<T: std::fmt::Debug>(function: &'static str, fail: T, lperrno: *mut i32) -> T {
    call_spi(fail, lperrno, |cx| {
        cx.world(|w| w.diagnose(Diagnostic::Unsupported { function }));
        Err(Errno::OpNotSupp.code())
    })
}

/// Makes one deferred upcall: the provider asks ws2 to queue its APC function to the thread
/// it captured. Returns whether the APC was queued.
pub(crate) fn queue_deferred_apc(d: &Deferred) -> bool {
    let id = WSATHREADID {
        ThreadHandle: d.thread_handle as HANDLE,
        Reserved: d.thread_reserved,
    };
    let mut errno = 0;
    // SAFETY: the upcall is the WPUQueueApc the provider was given at WSPStartup (ws2's, or
    // a layered provider's wrapper of it), called with valid pointers to locals.
    unsafe { (d.queue_apc)(&id, Some(provider_apc), d.record as usize, &mut errno) == 0 }
}

/// The base provider's APC function: runs in the issuing thread's alertable wait and calls
/// the client's completion routine of a due completion of that thread (the seeded choice
/// among several, as for every completion routine; `dwcontext` names the completion whose
/// upcall queued this call).
unsafe extern "system" fn provider_apc(dwcontext: usize) {
    let _span = crate::ws2::face::data_span!("provider_apc");
    let _ = dwcontext;
    let here = current();
    let sim = &here.sim;
    let tid = thread_id(sim);
    // Completion routines are the receive's data path: they change nothing routes depend on
    // (`Sim::with_data`).
    let Some(r) = sim.with_data(|w| w.take_provider_completion(tid, provider_apc)) else {
        return;
    };
    // SAFETY: the client's LPWSAOVERLAPPED_COMPLETION_ROUTINE with the OVERLAPPED it passed,
    // which must stay valid until its completion is handled (SPI and Win32 contract).
    unsafe { (r.routine)(r.error, r.bytes, r.overlapped as *mut OVERLAPPED, r.flags) };
    sim.with_data(|w| w.routine_returned(tid, r.sock));
}
