//! The receive functions. Each reduces its pointers to sizes, runs the shared receive contract
//! (`stack::recv`), and writes the results back where Windows writes them.

use windows_sys::Win32::Networking::WinSock::{
    LPWSAOVERLAPPED_COMPLETION_ROUTINE, SEND_RECV_FLAGS, SOCKADDR, SOCKET, SOCKET_ERROR, WSABUF,
    WSAMSG,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::face::{self, Cx};
use super::mem::{bad, read, scatter, write, write_bytes, write_sockaddr, wsabufs};
use super::overlapped::{
    complete_in_overlapped, is_overlapped, notify_for, warn_byte_count, RecvTarget,
};
use crate::diag::Diagnostic;
use crate::error::{Errno, Result};
use crate::io::request::{status_of, Posted};
use crate::io::status::NtStatus;
use crate::kernel32::run_apcs;
use crate::sim::block::Wait;
use crate::stack::{NameReq, RecvArgs, RecvOk};
use crate::wire::cmsg;

/// A synchronous receive: an alertable wait, as Winsock's blocking calls are (Wine
/// test_WSARecv: an APC queued to a thread blocked in WSARecv runs, and the receive goes on
/// waiting). APCs are not run when the call completes at once.
fn sync_recv(cx: &Cx, s: SOCKET, args: &RecvArgs) -> Result<RecvOk> {
    let begun = cx.sim.recv_begin(s, args)?;
    let (key, _, nonblocking) = begun;
    let tid = cx.thread();
    if !nonblocking
        && cx.world(|w| {
            w.threads
                .get(&tid)
                .is_some_and(|t| t.apc_in_blocking_call > 0)
        })
    {
        cx.world(|w| w.diagnose(Diagnostic::BlockingCallInApc { call: args.call }));
        return Err(Errno::InProgress);
    }
    cx.world(|w| w.check_concurrent_receive(s, key, Some(tid)));
    loop {
        match cx.sim.recv_round(s, args, begun, Some(tid)) {
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

/// Posts an overlapped receive and turns the outcome into the call's return: 0 for a receive
/// that completed at once; WSA_IO_PENDING for one that waits; WSAEMSGSIZE for a truncated
/// datagram taken at once, or WSA_IO_PENDING when a completion routine will report it (Wine
/// test_ip_pktinfo, Windows rows: the routine then gets WSAEMSGSIZE).
///
/// # Safety
/// `count` must be NULL or valid for writes; `target` holds the caller's valid pointers.
unsafe fn post(
    cx: &Cx,
    s: SOCKET,
    args: RecvArgs,
    target: RecvTarget,
    routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    count: *mut u32,
) -> Result<u32> {
    warn_byte_count(cx, args.call, count);
    // SAFETY: the OVERLAPPED was checked non-NULL by is_overlapped (caller contract).
    let notify = unsafe { notify_for(cx, target.overlapped, routine) };
    match cx.world(|w| w.post_recv(s, args, notify, Box::new(target)))? {
        Posted::Pending => Err(Errno::IoPending),
        Posted::Done { status, ok } => {
            if !bad(count) {
                // SAFETY: non-NULL, valid (caller contract).
                unsafe { write(count, ok.copied as u32) };
            }
            if status == NtStatus::SUCCESS {
                Ok(ok.flags)
            } else if routine.is_some() {
                Err(Errno::IoPending)
            } else {
                Err(Errno::MsgSize)
            }
        }
    }
}

/// Receives from a socket.
///
/// # Safety
/// `buf` must be valid for writes of `len` bytes.
pub unsafe extern "system" fn recv(
    s: SOCKET,
    buf: windows_sys::core::PSTR,
    len: i32,
    flags: SEND_RECV_FLAGS,
) -> i32 {
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // recv(s, buf, -1, 0) is WSAEFAULT (Wine test_read_events, Windows 7 and later).
        if len < 0 || (len > 0 && bad(buf)) {
            return Err(Errno::Fault);
        }
        let args = RecvArgs {
            call: "recv",
            flags: flags as u32,
            cap: len as usize,
            name: NameReq::None,
            control: None,
            msg: false,
        };
        let ok = sync_recv(cx, s, &args)?;
        // SAFETY: `buf` is valid for `len >= copied` bytes (caller contract).
        unsafe { write_bytes(buf, &ok.data[..ok.copied]) };
        finish(&ok).map(|()| ok.copied as i32)
    })
}

/// Receives a datagram and its source address.
///
/// # Safety
/// `buf` must be valid for writes of `len` bytes; `from` and `fromlen`, if not NULL, valid,
/// `from` for `*fromlen` bytes.
pub unsafe extern "system" fn recvfrom(
    s: SOCKET,
    buf: windows_sys::core::PSTR,
    len: i32,
    flags: i32,
    from: *mut SOCKADDR,
    fromlen: *mut i32,
) -> i32 {
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        if len < 0 || (len > 0 && bad(buf)) {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let name = unsafe { name_request(from, fromlen) }?;
        let args = RecvArgs {
            call: "recvfrom",
            flags: flags as u32,
            cap: len as usize,
            name,
            control: None,
            msg: false,
        };
        let ok = sync_recv(cx, s, &args)?;
        // SAFETY: `buf` holds `len >= copied` bytes; `from` was checked by `name_request`
        // and its size by the receive (WSAEFAULT, datagram kept, when too small).
        unsafe {
            write_bytes(buf, &ok.data[..ok.copied]);
            if name != NameReq::None {
                write_sockaddr(from, fromlen, &ok.from);
            }
        }
        finish(&ok).map(|()| ok.copied as i32)
    })
}

/// A name buffer: none when `from` is NULL; WSAEFAULT when `from` is given without a valid
/// length pointer or with a negative length.
///
/// # Safety
/// `fromlen`, if not NULL, must be valid for reads.
unsafe fn name_request(from: *mut SOCKADDR, fromlen: *mut i32) -> Result<NameReq> {
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

/// Receives into scatter buffers.
///
/// # Safety
/// The pointers must be valid as the Win32 contract of WSARecv requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSARecv(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytesrecvd: *mut u32,
    lpflags: *mut u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        unsafe {
            wsarecv_common(
                cx,
                s,
                "WSARecv",
                (lpbuffers, dwbuffercount),
                lpnumberofbytesrecvd,
                lpflags,
                (core::ptr::null_mut(), core::ptr::null_mut()),
                (lpoverlapped, lpcompletionroutine),
            )
        }
    })
}

/// Receives into scatter buffers, with the source address.
///
/// # Safety
/// The pointers must be valid as the Win32 contract of WSARecvFrom requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSARecvFrom(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytesrecvd: *mut u32,
    lpflags: *mut u32,
    lpfrom: *mut SOCKADDR,
    lpfromlen: *mut i32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        unsafe {
            wsarecv_common(
                cx,
                s,
                "WSARecvFrom",
                (lpbuffers, dwbuffercount),
                lpnumberofbytesrecvd,
                lpflags,
                (lpfrom, lpfromlen),
                (lpoverlapped, lpcompletionroutine),
            )
        }
    })
}

/// WSARecv and WSARecvFrom.
///
/// # Safety
/// As for WSARecvFrom.
#[allow(clippy::too_many_arguments)]
unsafe fn wsarecv_common(
    cx: &Cx,
    s: SOCKET,
    call: &'static str,
    (bufs, count): (*const WSABUF, u32),
    nbytes: *mut u32,
    flags: *mut u32,
    (from, fromlen): (*mut SOCKADDR, *mut i32),
    (ov, routine): (*mut OVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE),
) -> Result<i32> {
    let with_ov = is_overlapped(cx, s, ov, routine)?;
    // No buffers at all is WSAEINVAL (Wine test_empty_recv, Windows rows).
    if bufs.is_null() || count == 0 {
        return Err(Errno::Inval);
    }
    if bad(flags) {
        return Err(Errno::Fault);
    }
    // The byte count may be NULL only for an overlapped call (Wine test_WSASendTo shows the
    // rule for sends; the WSARecv page states it for receives).
    if !with_ov && bad(nbytes) {
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
        let target = RecvTarget {
            bufs,
            from: (name != NameReq::None).then_some((from, fromlen)),
            msg: None,
            overlapped: ov,
        };
        // SAFETY: forwarded caller contract; on a delayed completion *lpFlags is not updated
        // (WSARecv page), on an immediate one it is.
        let out_flags = unsafe { post(cx, s, args, target, routine, nbytes) }?;
        // SAFETY: checked non-NULL (caller contract).
        unsafe { write(flags, out_flags) };
        return Ok(0);
    }
    let ok = sync_recv(cx, s, &args)?;
    // SAFETY: buffers checked by `wsabufs`, name buffer by `name_request` and the receive,
    // counters by the checks above (caller contract).
    unsafe {
        scatter(&bufs, &ok.data[..ok.copied]);
        if name != NameReq::None {
            write_sockaddr(from, fromlen, &ok.from);
        }
        if !bad(nbytes) {
            write(nbytes, ok.copied as u32);
        }
        write(flags, ok.flags);
        note_sync_completion(ov, &ok);
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
/// returns (`LPFN_WSARECVMSG`). Not exported by ws2_32 on Windows, nor here.
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
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // A NULL message fails at once, before any wait (Wine test_ip_pktinfo).
        if bad(lpmsg) {
            return Err(Errno::Fault);
        }
        let with_ov = is_overlapped(cx, s, lpoverlapped, lpcompletionroutine)?;
        // "This parameter can be NULL only if the lpOverlapped parameter is not NULL."
        if !with_ov && bad(lpdwnumberofbytesrecvd) {
            return Err(Errno::Fault);
        }
        // SAFETY: `lpmsg` is non-NULL and valid (caller contract).
        let msg = unsafe { read(lpmsg) };
        // The WSARecvMsg page: a NULL name with a non-zero namelen, or a NULL Control.buf with
        // a non-zero Control.len, is WSAEFAULT.
        if (msg.name.is_null() && msg.namelen != 0)
            || (!msg.name.is_null() && (bad(msg.name) || msg.namelen < 0))
        {
            return Err(Errno::Fault);
        }
        // Like a WSABUF, a control buffer of length 0 is never touched, whatever its pointer.
        if msg.Control.len != 0 && bad(msg.Control.buf) {
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
                    lpcompletionroutine,
                    lpdwnumberofbytesrecvd,
                )
            }?;
            return Ok(0);
        }
        let ok = sync_recv(cx, s, &args)?;
        // SAFETY: every pointer written was checked above against NULL and its size against
        // what is written (caller contract for validity).
        unsafe {
            scatter(&bufs, &ok.data[..ok.copied]);
            if name != NameReq::None {
                write_sockaddr(
                    msg.name,
                    core::ptr::addr_of_mut!((*lpmsg).namelen),
                    &ok.from,
                );
            }
            if !msg.Control.buf.is_null() && ok.control_len > 0 {
                let out = core::slice::from_raw_parts_mut(msg.Control.buf, ok.control_len);
                cmsg::encode(&ok.control, out);
            }
            write(
                core::ptr::addr_of_mut!((*lpmsg).Control.len),
                ok.control_len as u32,
            );
            write(core::ptr::addr_of_mut!((*lpmsg).dwFlags), ok.flags);
            if !bad(lpdwnumberofbytesrecvd) {
                write(lpdwnumberofbytesrecvd, ok.copied as u32);
            }
            note_sync_completion(lpoverlapped, &ok);
        }
        finish(&ok).map(|()| 0)
    })
}
