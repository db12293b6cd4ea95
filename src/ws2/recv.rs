//! The receive functions. Each reduces its pointers to sizes, runs the shared receive contract
//! (`stack::recv`), and writes the results back where Windows writes them.

use windows_sys::Win32::Networking::WinSock::{
    LPWSAOVERLAPPED_COMPLETION_ROUTINE, SEND_RECV_FLAGS, SOCKADDR, SOCKET, SOCKET_ERROR, WSABUF,
    WSAMSG,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::face::{self, Cx};
use super::mem::{bad, read, scatter, write, write_bytes, write_sockaddr, wsabufs};
use crate::error::{Errno, Result};
use crate::stack::{NameReq, RecvArgs, RecvOk};
use crate::wire::cmsg;

/// Overlapped receives arrive with their own issue: until then an overlapped call on an
/// overlapped socket fails with WSAEOPNOTSUPP (README, "Not supported"). On a socket created
/// without WSA_FLAG_OVERLAPPED, Windows ignores the OVERLAPPED and blocks (Wine
/// test_nonblocking_async_recv), and so does the simulator.
fn overlapped_call(
    cx: &Cx,
    s: SOCKET,
    ov: *mut OVERLAPPED,
    routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> Result<bool> {
    if ov.is_null() && routine.is_none() {
        return Ok(false);
    }
    let overlapped_socket = cx.world(|w| w.sock(s).map(|s| s.overlapped))?;
    if overlapped_socket {
        return Err(Errno::OpNotSupp);
    }
    Ok(!ov.is_null())
}

/// Records a synchronous completion in an OVERLAPPED the caller passed on a non-overlapped
/// socket: Internal = the NTSTATUS, InternalHigh = the bytes.
///
/// # Safety
/// `ov` must be NULL or valid for writes of an OVERLAPPED.
unsafe fn note_in_overlapped(ov: *mut OVERLAPPED, status: u32, bytes: usize) {
    if ov.is_null() || bad(ov) {
        return;
    }
    // SAFETY: valid OVERLAPPED (caller contract); fields written one by one, unaligned.
    unsafe {
        write(core::ptr::addr_of_mut!((*ov).Internal), status as usize);
        write(core::ptr::addr_of_mut!((*ov).InternalHigh), bytes);
    }
}

const STATUS_SUCCESS: u32 = 0;
const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;

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
        let ok = cx.sim.recv(s, &args)?;
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
        let ok = cx.sim.recv(s, &args)?;
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
    let with_ov = overlapped_call(cx, s, ov, routine)?;
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
    let ok = cx.sim.recv(s, &args)?;
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
        let status = if ok.error.is_some() {
            STATUS_BUFFER_OVERFLOW
        } else {
            STATUS_SUCCESS
        };
        note_in_overlapped(ov, status, ok.copied);
    }
    finish(&ok).map(|()| 0)
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
        let with_ov = overlapped_call(cx, s, lpoverlapped, lpcompletionroutine)?;
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
        let ok = cx.sim.recv(s, &args)?;
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
            let status = if ok.error.is_some() {
                STATUS_BUFFER_OVERFLOW
            } else {
                STATUS_SUCCESS
            };
            note_in_overlapped(lpoverlapped, status, ok.copied);
        }
        finish(&ok).map(|()| 0)
    })
}
