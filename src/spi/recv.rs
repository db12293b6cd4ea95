//! The base provider's receive functions: WSPRecvFrom and WSPRecv (the LPWSPRECVFROM page),
//! and WSARecvMsg, the extension function the provider hands out through
//! SIO_GET_EXTENSION_FUNCTION_POINTER. Each reduces its pointers to sizes, runs the shared
//! receive contract (`stack::recv`), and writes the results back where Windows writes them:
//! at once for a receive that completes at once, at completion for an overlapped one.

use windows_sys::Win32::Networking::WinSock::{
    LPWSAOVERLAPPED_COMPLETION_ROUTINE, SOCKADDR, SOCKET, SOCKET_ERROR, WSABUF, WSAMSG, WSATHREADID,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use crate::error::{Errno, Result};
use crate::io::request::{status_of, Posted};
use crate::kernel32::run_apcs;
use crate::sched::thread::Routine;
use crate::sim::block::{First, Wait};
use crate::stack::{NameReq, RecvArgs, RecvOk};
use crate::wire::cmsg;
use crate::ws2::face::{self, api_name, call_spi, io_span, Cx};
use crate::ws2::mem::{bad, read, write, write_name, wsabufs, Scatter};
use crate::ws2::overlapped::{
    complete_in_overlapped, is_overlapped, notify_for, warn_byte_count, RecvTarget,
};

/// A synchronous receive: an alertable wait, as Winsock's blocking calls are (Wine
/// test_WSARecv: an APC queued to a thread blocked in WSARecv runs, and the receive goes on
/// waiting). APCs are not run when the call completes at once.
///
/// The bytes are written into `bufs` as the receive takes them from the queue.
///
/// # Safety
/// Every buffer of `bufs` must be valid for writes of its `len` bytes.
unsafe fn sync_recv(cx: &Cx, s: SOCKET, args: &RecvArgs, bufs: &[WSABUF]) -> Result<RecvOk> {
    let tid = cx.thread();
    let mut into = Scatter::new(bufs);
    // SAFETY: the buffers are valid for writes (caller contract).
    let out = &mut |piece: &[u8]| unsafe { into.write(piece) };
    let begun = match cx.sim.recv_first(s, args, Some(tid), &mut *out)? {
        First::Done(ok) => return Ok(ok),
        First::Wait(begun) => begun,
    };
    loop {
        match cx.sim.recv_round(s, args, begun, Some(tid), &mut *out) {
            Wait::Ready(Ok(ok)) => return Ok(ok),
            Wait::Ready(Err(e)) => {
                if e == Errno::WouldBlock {
                    cx.sim.recv_failed(s, args.call, e);
                }
                return Err(e);
            }
            Wait::Apc => {
                run_apcs(&cx.sim, tid, true);
            }
            Wait::TimedOut => return Err(cx.sim.recv_failed(s, args.call, Errno::TimedOut)),
            Wait::Closed | Wait::Deadlock => {
                return Err(cx.sim.recv_failed(s, args.call, Errno::Intr))
            }
        }
    }
}

/// Posts an overlapped receive and turns the outcome into the call's return: the output
/// flags for a receive that completed at once (MSG_PARTIAL for a part of a message);
/// WSA_IO_PENDING for one that waits; WSAEMSGSIZE for a truncated datagram taken at once, or
/// WSA_IO_PENDING when a completion routine will report it (Wine test_ip_pktinfo, Windows
/// rows: the routine then gets WSAEMSGSIZE).
///
/// # Safety
/// `count` must be NULL or valid for writes; `target` holds the caller's valid pointers.
unsafe fn post(
    cx: &Cx,
    s: SOCKET,
    args: RecvArgs,
    target: RecvTarget,
    routine: Option<Routine>,
    count: *mut u32,
) -> Result<u32> {
    warn_byte_count(cx, args.call, count);
    // SAFETY: the OVERLAPPED was checked non-NULL by the caller (caller contract).
    let notify = unsafe { notify_for(cx, target.overlapped, routine) };
    // A receive, on the data path (`Sim::with_data`): `post_recv` forgets cached routes
    // itself where it changes what they depend on (a disconnect).
    match cx.world_data(|w| w.post_recv(s, args, notify, target.boxed()))? {
        Posted::Pending => Err(Errno::IoPending),
        Posted::Done { status, ok } => {
            // W3: Wine does not write the count when the datagram did not fit.
            if !bad(count) && ok.writes_count() {
                // SAFETY: non-NULL, valid (caller contract).
                unsafe { write(count, ok.copied as u32) };
            }
            if status.is_success() {
                Ok(ok.flags)
            } else if routine.is_some() && !ok.wine8 {
                // W21: Wine fails at once with WSAEMSGSIZE (and still queues the routine).
                Err(Errno::IoPending)
            } else {
                Err(Errno::MsgSize)
            }
        }
    }
}

/// A name buffer: none when `from` is NULL; WSAEFAULT when `from` is given without a valid
/// length pointer or with a negative length.
///
/// # Safety
/// `fromlen`, if not NULL, must be valid for reads.
pub(crate) unsafe fn name_request(from: *mut SOCKADDR, fromlen: *mut i32) -> Result<NameReq> {
    if from.is_null() {
        return Ok(NameReq::None);
    }
    if bad(from) || bad(fromlen) {
        return Err(Errno::Fault);
    }
    // SAFETY: `fromlen` is non-NULL and valid (caller contract).
    let n = unsafe { read(fromlen) };
    if n < 0 {
        return Err(Errno::Fault);
    }
    Ok(NameReq::Len(n as usize))
}

/// A delivered datagram may still fail the call: WSAEMSGSIZE on truncation.
fn finish(ok: &RecvOk) -> Result<()> {
    match ok.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Whether a provider call is overlapped. On a socket made without WSA_FLAG_OVERLAPPED an
/// OVERLAPPED or completion routine is WSAEINVAL at this level (LPWSPRECVFROM page: "the
/// socket is not created with the overlapped flag"; ws2 calls synchronously there). A
/// completion routine needs an OVERLAPPED (WSAEFAULT without one).
fn provider_overlapped(
    overlapped_socket: bool,
    ov: *mut OVERLAPPED,
    routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> Result<bool> {
    if ov.is_null() && routine.is_none() {
        return Ok(false);
    }
    if !overlapped_socket {
        return Err(Errno::Inval);
    }
    if bad(ov) {
        return Err(Errno::Fault);
    }
    Ok(true)
}

/// Receives a datagram and stores its source address (`LPWSPRECVFROM`).
///
/// Errors go to `*lpErrno` (the last-error slot is untouched). On an overlapped socket, with
/// an OVERLAPPED or a completion routine, the receive is overlapped: lpFrom, lpFromlen and
/// the buffers are written at completion, and a completion routine is run through the
/// `WPUQueueApc` upcall with the WSATHREADID captured here. WSAEISCONN on a connected
/// socket ("not permitted with a connected socket"; ws2's WSARecvFrom then receives with
/// WSPRecv, as the API page allows connected sockets).
///
/// # Safety
/// The pointers must be valid as the SPI contract of WSPRecvFrom requires.
#[allow(non_snake_case, clippy::too_many_arguments)]
pub unsafe extern "system" fn WSPRecvFrom(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytesrecvd: *mut u32,
    lpflags: *mut u32,
    lpfrom: *mut SOCKADDR,
    lpfromlen: *mut i32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    lpthreadid: *const WSATHREADID,
    lperrno: *mut i32,
) -> i32 {
    let _span = io_span!(
        "WSPRecvFrom",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount
    );
    call_spi(SOCKET_ERROR, lperrno, |cx| {
        // SAFETY: forwarded caller contract.
        unsafe {
            provider_recv(
                cx,
                s,
                (api_name("WSPRecvFrom"), true),
                (lpbuffers, dwbuffercount),
                lpnumberofbytesrecvd,
                lpflags,
                (lpfrom, lpfromlen),
                (lpoverlapped, lpcompletionroutine, lpthreadid),
            )
        }
        .map_err(|e| e.code())
    })
}

/// Receives into scatter buffers (`LPWSPRECV`): as [`WSPRecvFrom`] without the address, and
/// allowed on a connected socket.
///
/// windows-sys types `lperrno` as `*const i32` here (a win32metadata slip, winsock-facts
/// §6.9); it is the provider's output, written as for every other provider function.
///
/// # Safety
/// The pointers must be valid as the SPI contract of WSPRecv requires.
#[allow(non_snake_case, clippy::too_many_arguments)]
pub unsafe extern "system" fn WSPRecv(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytesrecvd: *mut u32,
    lpflags: *mut u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    lpthreadid: *const WSATHREADID,
    lperrno: *const i32,
) -> i32 {
    let _span = io_span!(
        "WSPRecv",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount
    );
    call_spi(SOCKET_ERROR, lperrno as *mut i32, |cx| {
        // SAFETY: forwarded caller contract.
        unsafe {
            provider_recv(
                cx,
                s,
                (api_name("WSPRecv"), false),
                (lpbuffers, dwbuffercount),
                lpnumberofbytesrecvd,
                lpflags,
                (core::ptr::null_mut(), core::ptr::null_mut()),
                (lpoverlapped, lpcompletionroutine, lpthreadid),
            )
        }
        .map_err(|e| e.code())
    })
}

/// WSPRecvFrom and WSPRecv.
///
/// # Safety
/// As for WSPRecvFrom.
#[allow(clippy::too_many_arguments)]
unsafe fn provider_recv(
    cx: &Cx,
    s: SOCKET,
    (call, recv_from): (&'static str, bool),
    (bufs, count): (*const WSABUF, u32),
    nbytes: *mut u32,
    flags: *mut u32,
    (from, fromlen): (*mut SOCKADDR, *mut i32),
    (ov, routine, thread): (
        *mut OVERLAPPED,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE,
        *const WSATHREADID,
    ),
) -> Result<i32> {
    // Everything the checks below read of the world, in one look (they change nothing);
    // the checks keep their order.
    let (broken, sock, wine8, base_queue_apc) = cx.world_data(|w| {
        let sock = w.sock(s).map(|k| (k.overlapped, k.peer.is_some()));
        (w.broken, sock, w.cfg.wine8(), w.base_queue_apc)
    });
    if broken {
        return Err(Errno::NetDown);
    }
    let (overlapped_socket, connected) = sock?;
    let with_ov = provider_overlapped(overlapped_socket, ov, routine)?;
    if recv_from && connected {
        return Err(Errno::IsConn);
    }
    // No buffers at all is WSAEINVAL (Wine test_empty_recv, Windows rows). W22: Wine
    // receives into no buffers (WSAEMSGSIZE).
    if (bufs.is_null() || count == 0) && !wine8 {
        return Err(Errno::Inval);
    }
    if bad(flags) {
        return Err(Errno::Fault);
    }
    // The byte count may be NULL only for an overlapped call (Wine test_WSASendTo shows the
    // rule for sends; the WSARecv page states it for receives). W8: Wine does without.
    if !with_ov && bad(nbytes) && !wine8 {
        return Err(Errno::Fault);
    }
    // SAFETY: forwarded caller contract.
    let (bufs, cap) = unsafe { wsabufs(bufs, count) }?;
    // SAFETY: forwarded caller contract.
    let name = unsafe { name_request(from, fromlen) }?;
    // SAFETY: `flags` is non-NULL and valid (caller contract).
    let in_flags = unsafe { read(flags) };
    let args = RecvArgs {
        call,
        flags: in_flags,
        cap,
        name,
        control: None,
        msg: false,
    };
    if with_ov {
        let routine = match routine {
            None => None,
            Some(client) => {
                // The provider keeps the WSATHREADID itself, not the pointer (LPWSPRECVFROM
                // page), and the WPUQueueApc its WSPStartup was given.
                if bad(thread) {
                    return Err(Errno::Fault);
                }
                // SAFETY: non-NULL, valid for reads (caller contract).
                let id = unsafe { read(thread) };
                let queue_apc = base_queue_apc.ok_or(Errno::NotInitialised)?;
                Some(Routine::Upcall {
                    queue_apc,
                    thread: (id.ThreadHandle as usize, id.Reserved),
                    client,
                })
            }
        };
        let target = RecvTarget {
            bufs,
            from: (name != NameReq::None).then_some((from, fromlen)),
            msg: None,
            overlapped: ov,
        };
        // SAFETY: forwarded caller contract; on a delayed completion *lpFlags is not updated
        // (LPWSPRECVFROM page), on an immediate one it is.
        let out_flags = unsafe { post(cx, s, args, target, routine, nbytes) }?;
        // SAFETY: checked non-NULL (caller contract).
        unsafe { write(flags, out_flags) };
        return Ok(0);
    }
    // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
    let ok = unsafe { sync_recv(cx, s, &args, &bufs) }?;
    // SAFETY: name buffer checked by `name_request` and the receive, counters by the checks
    // above (caller contract).
    unsafe {
        if let NameReq::Len(cap) = name {
            write_name(from, fromlen, cap, &ok.from);
        }
        if !bad(nbytes) && ok.writes_count() {
            write(nbytes, ok.copied as u32);
        }
        write(flags, ok.flags);
    }
    finish(&ok).map(|()| 0)
}

/// On a socket made without WSA_FLAG_OVERLAPPED, an OVERLAPPED given to a receive is filled
/// in as the call completes synchronously (Wine test_nonblocking_async_recv).
///
/// # Safety
/// `ov` must be NULL or a valid OVERLAPPED.
unsafe fn note_sync_completion(ov: *mut OVERLAPPED, ok: &RecvOk) {
    if !bad(ov) {
        // SAFETY: a valid OVERLAPPED (caller contract).
        unsafe { complete_in_overlapped(ov, status_of(ok), ok.copied) };
    }
}

/// WSARecvMsg, as the pointer WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)
/// returns (`LPFN_WSARECVMSG`). Not exported by ws2_32 on Windows, nor here. As an IFS
/// provider's extension function, its completion routines are queued as the I/O manager
/// queues them (not through WPUQueueApc).
///
/// # Safety
/// The pointers must be valid as the Win32 contract of WSARecvMsg requires.
#[allow(non_snake_case)]
pub(crate) unsafe extern "system" fn WSARecvMsg(
    s: SOCKET,
    lpmsg: *mut WSAMSG,
    lpdwnumberofbytesrecvd: *mut u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    let _span = io_span!("WSARecvMsg", s, lpoverlapped, lpcompletionroutine);
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // A NULL message fails at once, before any wait (Wine test_ip_pktinfo).
        if bad(lpmsg) {
            return Err(Errno::Fault);
        }
        let with_ov = is_overlapped(cx, s, lpoverlapped, lpcompletionroutine)?;
        let wine8 = cx.world_data(|w| w.cfg.wine8());
        // "This parameter can be NULL only if the lpOverlapped parameter is not NULL." (W8:
        // Wine does without.)
        if !with_ov && bad(lpdwnumberofbytesrecvd) && !wine8 {
            return Err(Errno::Fault);
        }
        // SAFETY: `lpmsg` is non-NULL and valid (caller contract).
        let msg = unsafe { read(lpmsg) };
        // The WSARecvMsg page: a NULL name with a non-zero namelen, or a NULL Control.buf with
        // a non-zero Control.len, is WSAEFAULT. W6: Wine takes a NULL name as no name. W7:
        // Wine fails a NULL control buffer only when it has control messages to write.
        if (msg.name.is_null() && msg.namelen != 0 && !wine8)
            || (!msg.name.is_null() && (bad(msg.name) || msg.namelen < 0))
        {
            return Err(Errno::Fault);
        }
        // Like a WSABUF, a control buffer of length 0 is never touched, whatever its pointer.
        if msg.Control.len != 0 && bad(msg.Control.buf) && !(wine8 && msg.Control.buf.is_null()) {
            return Err(Errno::Fault);
        }
        if msg.lpBuffers.is_null() && msg.dwBufferCount != 0 {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let (bufs, cap) = unsafe { wsabufs(msg.lpBuffers, msg.dwBufferCount) }?;
        let name = if msg.name.is_null() {
            NameReq::None
        } else {
            NameReq::Len(msg.namelen as usize)
        };
        let args = RecvArgs {
            call: "WSARecvMsg",
            flags: msg.dwFlags,
            cap,
            name,
            control: Some(msg.Control.len as usize),
            msg: true,
        };
        if with_ov {
            // The WSAMSG must stay valid until completion; its fields are written then.
            let target = RecvTarget {
                bufs,
                from: None,
                msg: Some(lpmsg),
                overlapped: lpoverlapped,
            };
            // SAFETY: forwarded caller contract.
            unsafe {
                post(
                    cx,
                    s,
                    args,
                    target,
                    lpcompletionroutine.map(Routine::Raw),
                    lpdwnumberofbytesrecvd,
                )
            }?;
            return Ok(0);
        }
        // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
        let ok = unsafe { sync_recv(cx, s, &args, &bufs) }?;
        // SAFETY: every pointer written was checked above against NULL and its size against
        // what is written (caller contract for validity).
        unsafe {
            if msg.Control.buf.is_null() && ok.control_len > 0 {
                // W7: Wine has taken the datagram and copied its data, then fails.
                return Err(Errno::Fault);
            }
            if let NameReq::Len(cap) = name {
                write_name(
                    msg.name,
                    core::ptr::addr_of_mut!((*lpmsg).namelen),
                    cap,
                    &ok.from,
                );
            }
            if !msg.Control.buf.is_null() && ok.control_len > 0 {
                let out = core::slice::from_raw_parts_mut(msg.Control.buf, ok.control_len);
                cmsg::encode_with(&ok.control, out, !ok.wine8);
            }
            write(
                core::ptr::addr_of_mut!((*lpmsg).Control.len),
                ok.control_len as u32,
            );
            write(core::ptr::addr_of_mut!((*lpmsg).dwFlags), ok.flags);
            if !bad(lpdwnumberofbytesrecvd) && ok.writes_count() {
                write(lpdwnumberofbytesrecvd, ok.copied as u32);
            }
            note_sync_completion(lpoverlapped, &ok);
        }
        finish(&ok).map(|()| 0)
    })
}
