//! The send functions.

use std::net::IpAddr;

use windows_sys::Win32::Networking::WinSock::{
    LPWSAOVERLAPPED_COMPLETION_ROUTINE, SEND_RECV_FLAGS, SOCKADDR, SOCKET, SOCKET_ERROR, WSABUF,
    WSAMSG,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::face::{self, check_socket, io_span, Cx};
use super::mem::{bad, bytes, gather, read, read_sockaddr, write, wsabufs};
use super::overlapped::{complete_in_overlapped, is_overlapped, notify_for, warn_byte_count};
use crate::error::{Errno, Result};
use crate::io::request::Notify;
use crate::io::status::NtStatus;
use crate::sched::thread::Routine;
use crate::stack::{Dest, SendArgs};
use crate::wire::cmsg;

/// An overlapped send on a socket made with WSA_FLAG_OVERLAPPED: checks the announcement it
/// asks for. A send of a datagram never waits, so it completes at once.
///
/// # Safety
/// `ov` must be NULL or a valid OVERLAPPED.
unsafe fn overlapped_send(
    cx: &Cx,
    s: SOCKET,
    call: &'static str,
    ov: *mut OVERLAPPED,
    routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    count: *mut u32,
) -> Result<Option<Notify>> {
    if !is_overlapped(cx, s, ov, routine)? {
        return Ok(None);
    }
    warn_byte_count(cx, call, count);
    // SAFETY: checked non-NULL by is_overlapped (caller contract).
    let notify = unsafe { notify_for(cx, ov, routine.map(Routine::Raw)) };
    cx.world(|w| w.check_routine_allowed(s, &notify))?;
    Ok(Some(notify))
}

/// The end of every send: the byte count, and for an overlapped send its OVERLAPPED and the
/// announcement (event, routine, port packet) of an I/O that completed at once.
///
/// # Safety
/// `count` must be NULL or valid for writes; `notify.overlapped` a valid OVERLAPPED.
unsafe fn finish_send(
    cx: &Cx,
    s: SOCKET,
    notify: Option<&Notify>,
    count: *mut u32,
    n: usize,
) -> Result<i32> {
    if !bad(count) {
        // SAFETY: non-NULL, valid (caller contract).
        unsafe { write(count, n as u32) };
    }
    if let Some(notify) = notify {
        // SAFETY: a valid OVERLAPPED (caller contract).
        unsafe {
            complete_in_overlapped(notify.overlapped as *mut OVERLAPPED, NtStatus::SUCCESS, n)
        };
        cx.world(|w| w.announce_now(s, notify, NtStatus::SUCCESS, n as u32, true))?;
    }
    Ok(0)
}

/// # Safety
/// `buf` must be valid for reads of `len` bytes.
/// The slice lives as long as the call that passed `buf`; the stack copies it before the
/// call returns.
unsafe fn payload<'a>(buf: *const u8, len: i32) -> Result<&'a [u8]> {
    if len < 0 || (len > 0 && bad(buf)) {
        return Err(Errno::Fault);
    }
    // SAFETY: `buf` is valid for `len` bytes for the duration of the call (caller contract).
    Ok(unsafe { bytes(buf, len as usize) })
}

/// Sends on a connected socket (WSAENOTCONN otherwise, Wine test_connect_udp).
///
/// # Safety
/// `buf` must be valid for reads of `len` bytes.
pub unsafe extern "system" fn send(
    s: SOCKET,
    buf: windows_sys::core::PCSTR,
    len: i32,
    flags: SEND_RECV_FLAGS,
) -> i32 {
    let _span = tracing::debug_span!("send", socket = s, len, flags).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        let data = unsafe { payload(buf, len) }?;
        let n =
            cx.world_data(|w| w.send(s, &SendArgs::new(Dest::Connected, data, flags as u32)))?;
        Ok(n as i32)
    })
}

/// Sends a datagram to `to` (or, with a NULL `to`, to the connected peer).
///
/// # Safety
/// `buf` must be valid for reads of `len` bytes; `to`, if not NULL, for `tolen` bytes.
pub unsafe extern "system" fn sendto(
    s: SOCKET,
    buf: windows_sys::core::PCSTR,
    len: i32,
    flags: i32,
    to: *const SOCKADDR,
    tolen: i32,
) -> i32 {
    let _span = face::data_span!("sendto", socket = s, len, flags);
    face::call(SOCKET_ERROR, |cx| {
        // One lock for the socket's checks, the arguments' (which read only the caller's
        // memory) and the send.
        let n = cx.world_data(|w| {
            check_socket(w, s)?;
            // SAFETY: forwarded caller contract.
            let data = unsafe { payload(buf, len) }?;
            // SAFETY: forwarded caller contract.
            let dest = unsafe { destination(to, tolen) }?;
            w.send(s, &SendArgs::new(Dest::To(dest), data, flags as u32))
        })?;
        Ok(n as i32)
    })
}

/// # Safety
/// `to`, if not NULL, must be valid for reads of `tolen` bytes.
unsafe fn destination(to: *const SOCKADDR, tolen: i32) -> Result<Option<std::net::SocketAddr>> {
    if to.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded caller contract.
    match unsafe { read_sockaddr(to, tolen) }? {
        Some(a) => Ok(Some(a)),
        None => Err(Errno::AfNoSupport),
    }
}

/// Sends the concatenation of the buffers on a connected socket.
///
/// # Safety
/// The pointers must be valid as the Win32 contract of WSASend requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSASend(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytessent: *mut u32,
    dwflags: u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    let _span = io_span!(
        "WSASend",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount,
        flags = dwflags
    );
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        let ov = unsafe {
            overlapped_send(
                cx,
                s,
                "WSASend",
                lpoverlapped,
                lpcompletionroutine,
                lpnumberofbytessent,
            )
        }?;
        if ov.is_none() && bad(lpnumberofbytessent) {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let (bufs, total) = unsafe { wsabufs(lpbuffers, dwbuffercount) }?;
        // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
        let data = unsafe { gather(&bufs, total) };
        let n = cx.world_data(|w| w.send(s, &SendArgs::new(Dest::Connected, &data, dwflags)))?;
        // SAFETY: forwarded caller contract.
        unsafe { finish_send(cx, s, ov.as_ref(), lpnumberofbytessent, n) }
    })
}

/// Sends the concatenation of the buffers as one datagram.
///
/// # Safety
/// The pointers must be valid as the Win32 contract of WSASendTo requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSASendTo(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytessent: *mut u32,
    dwflags: u32,
    lpto: *const SOCKADDR,
    itolen: i32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    let _span = io_span!(
        "WSASendTo",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount,
        flags = dwflags
    );
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        let ov = unsafe {
            overlapped_send(
                cx,
                s,
                "WSASendTo",
                lpoverlapped,
                lpcompletionroutine,
                lpnumberofbytessent,
            )
        }?;
        // A NULL byte count without an OVERLAPPED is WSAEFAULT (Wine test_WSASendTo).
        if ov.is_none() && bad(lpnumberofbytessent) {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let (bufs, total) = unsafe { wsabufs(lpbuffers, dwbuffercount) }?;
        // SAFETY: forwarded caller contract.
        let dest = unsafe { destination(lpto, itolen) }?;
        // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
        let data = unsafe { gather(&bufs, total) };
        let n = cx.world_data(|w| w.send(s, &SendArgs::new(Dest::To(dest), &data, dwflags)))?;
        // SAFETY: forwarded caller contract.
        unsafe { finish_send(cx, s, ov.as_ref(), lpnumberofbytessent, n) }
    })
}

/// MSG_PARTIAL: the only flag besides MSG_DONTROUTE WSASendMsg documents; it means nothing to
/// a datagram socket without XP1_PARTIAL_MESSAGE.
const MSG_PARTIAL: u32 = 0x8000;

/// Sends a datagram described by a WSAMSG, with optional control messages: IP_PKTINFO /
/// IPV6_PKTINFO choose the source address; IP_TOS, IPV6_TCLASS and IP_ECN / IPV6_ECN set
/// the TOS byte. Other control messages are WSAEINVAL (README, "Not supported").
///
/// # Safety
/// The pointers must be valid as the Win32 contract of WSASendMsg requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSASendMsg(
    handle: SOCKET,
    lpmsg: *const WSAMSG,
    dwflags: u32,
    lpnumberofbytessent: *mut u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    let _span = io_span!(
        "WSASendMsg",
        handle,
        lpoverlapped,
        lpcompletionroutine,
        flags = dwflags
    );
    let s = handle;
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // A NULL message fails before anything else, and does not bind (Wine test_WSASendMsg).
        if bad(lpmsg) {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let ov = unsafe {
            overlapped_send(
                cx,
                s,
                "WSASendMsg",
                lpoverlapped,
                lpcompletionroutine,
                lpnumberofbytessent,
            )
        }?;
        if ov.is_none() && bad(lpnumberofbytessent) {
            // Windows binds the socket even though the call fails (Wine test_WSASendMsg,
            // a Windows row marked todo_wine); Wine 8 does not (diff/corpus/sendmsg.json).
            if !cx.world(|w| w.cfg.wine8()) {
                cx.world(|w| w.implicit_bind(s))?;
            }
            return Err(Errno::Fault);
        }
        // SAFETY: non-NULL, valid WSAMSG (caller contract).
        let msg = unsafe { read(lpmsg) };
        // SAFETY: forwarded caller contract.
        let dest = unsafe { destination(msg.name, msg.namelen) }?;
        // SAFETY: forwarded caller contract.
        let (bufs, total) = unsafe { wsabufs(msg.lpBuffers, msg.dwBufferCount) }?;
        // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
        let data = unsafe { gather(&bufs, total) };
        let mut args = SendArgs::new(Dest::To(dest), &data, dwflags & !MSG_PARTIAL);
        if msg.Control.len > 0 {
            if bad(msg.Control.buf) {
                return Err(Errno::Fault);
            }
            // SAFETY: `Control.buf` is valid for `Control.len` bytes (caller contract).
            let control = unsafe { bytes(msg.Control.buf, msg.Control.len as usize) };
            apply_control(&mut args, control)?;
            // Wine 8 sends from the address the route chooses whatever IP_PKTINFO asks
            // (diff/corpus/sendmsg_control.json).
            if cx.world(|w| w.cfg.wine8()) {
                args.src_ip = None;
            }
        }
        let n = cx.world_data(|w| w.send(s, &args))?;
        // SAFETY: forwarded caller contract.
        unsafe { finish_send(cx, s, ov.as_ref(), lpnumberofbytessent, n) }
    })
}

fn apply_control(args: &mut SendArgs, control: &[u8]) -> Result<()> {
    for cmsg::Parsed { level, ty, data } in cmsg::parse(control)? {
        let int = || -> Result<u8> {
            let b: [u8; 4] = data
                .get(..4)
                .and_then(|d| d.try_into().ok())
                .ok_or(Errno::Inval)?;
            u8::try_from(i32::from_le_bytes(b)).map_err(|_| Errno::Inval)
        };
        match (level, ty) {
            (cmsg::IPPROTO_IP, cmsg::IP_PKTINFO) => {
                let d: [u8; 4] = data
                    .get(..4)
                    .and_then(|d| d.try_into().ok())
                    .ok_or(Errno::Inval)?;
                args.src_ip = Some(IpAddr::from(d));
            }
            (cmsg::IPPROTO_IPV6, cmsg::IPV6_PKTINFO) => {
                let d: [u8; 16] = data
                    .get(..16)
                    .and_then(|d| d.try_into().ok())
                    .ok_or(Errno::Inval)?;
                args.src_ip = Some(IpAddr::from(d));
            }
            (cmsg::IPPROTO_IP, cmsg::IP_TOS) | (cmsg::IPPROTO_IPV6, cmsg::IPV6_TCLASS) => {
                args.tos = Some(int()?);
            }
            (cmsg::IPPROTO_IP, cmsg::IP_ECN) | (cmsg::IPPROTO_IPV6, cmsg::IP_ECN) => {
                let ecn = int()?;
                if ecn > 3 {
                    return Err(Errno::Inval);
                }
                args.tos = Some((args.tos.unwrap_or(0) & !3) | ecn);
            }
            _ => return Err(Errno::Inval),
        }
    }
    Ok(())
}
