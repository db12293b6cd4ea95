//! The send functions.

use std::net::IpAddr;

use bytes::Bytes;
use windows_sys::Win32::Networking::WinSock::{
    LPWSAOVERLAPPED_COMPLETION_ROUTINE, SEND_RECV_FLAGS, SOCKADDR, SOCKET, SOCKET_ERROR, WSABUF,
    WSAMSG,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::face::{self, Cx};
use super::mem::{bad, bytes, gather, read, read_sockaddr, write, wsabufs};
use crate::error::{Errno, Result};
use crate::stack::{Dest, SendArgs};
use crate::wire::cmsg;

/// Overlapped sends on overlapped sockets arrive with the overlapped issue; until then they
/// fail with WSAEOPNOTSUPP (README). A non-overlapped socket ignores the OVERLAPPED.
fn check_overlapped(
    cx: &Cx,
    s: SOCKET,
    ov: *mut OVERLAPPED,
    routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> Result<bool> {
    if ov.is_null() && routine.is_none() {
        return Ok(false);
    }
    if cx.world(|w| w.sock(s).map(|s| s.overlapped))? {
        return Err(Errno::OpNotSupp);
    }
    Ok(!ov.is_null())
}

/// # Safety
/// `buf` must be valid for reads of `len` bytes.
unsafe fn payload(buf: *const u8, len: i32) -> Result<Bytes> {
    if len < 0 || (len > 0 && bad(buf)) {
        return Err(Errno::Fault);
    }
    // SAFETY: `buf` is valid for `len` bytes (caller contract).
    Ok(Bytes::copy_from_slice(unsafe { bytes(buf, len as usize) }))
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
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        let data = unsafe { payload(buf, len) }?;
        let n = cx.world(|w| w.send(s, SendArgs::new(Dest::Connected, data, flags as u32)))?;
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
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        let data = unsafe { payload(buf, len) }?;
        // SAFETY: forwarded caller contract.
        let dest = unsafe { destination(to, tolen) }?;
        let n = cx.world(|w| w.send(s, SendArgs::new(Dest::To(dest), data, flags as u32)))?;
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
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        let with_ov = check_overlapped(cx, s, lpoverlapped, lpcompletionroutine)?;
        if !with_ov && bad(lpnumberofbytessent) {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let (bufs, total) = unsafe { wsabufs(lpbuffers, dwbuffercount) }?;
        // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
        let data = Bytes::from(unsafe { gather(&bufs, total) });
        let n = cx.world(|w| w.send(s, SendArgs::new(Dest::Connected, data, dwflags)))?;
        if !bad(lpnumberofbytessent) {
            // SAFETY: non-NULL, valid (caller contract).
            unsafe { write(lpnumberofbytessent, n as u32) };
        }
        Ok(0)
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
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        let with_ov = check_overlapped(cx, s, lpoverlapped, lpcompletionroutine)?;
        // A NULL byte count without an OVERLAPPED is WSAEFAULT (Wine test_WSASendTo).
        if !with_ov && bad(lpnumberofbytessent) {
            return Err(Errno::Fault);
        }
        // SAFETY: forwarded caller contract.
        let (bufs, total) = unsafe { wsabufs(lpbuffers, dwbuffercount) }?;
        // SAFETY: forwarded caller contract.
        let dest = unsafe { destination(lpto, itolen) }?;
        // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
        let data = Bytes::from(unsafe { gather(&bufs, total) });
        let n = cx.world(|w| w.send(s, SendArgs::new(Dest::To(dest), data, dwflags)))?;
        if !bad(lpnumberofbytessent) {
            // SAFETY: non-NULL, valid (caller contract).
            unsafe { write(lpnumberofbytessent, n as u32) };
        }
        Ok(0)
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
    let s = handle;
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // A NULL message fails before anything else, and does not bind (Wine test_WSASendMsg).
        if bad(lpmsg) {
            return Err(Errno::Fault);
        }
        let with_ov = check_overlapped(cx, s, lpoverlapped, lpcompletionroutine)?;
        if !with_ov && bad(lpnumberofbytessent) {
            // Windows binds the socket even though the call fails (Wine test_WSASendMsg,
            // a Windows row marked todo_wine).
            cx.world(|w| w.implicit_bind(s))?;
            return Err(Errno::Fault);
        }
        // SAFETY: non-NULL, valid WSAMSG (caller contract).
        let msg = unsafe { read(lpmsg) };
        // SAFETY: forwarded caller contract.
        let dest = unsafe { destination(msg.name, msg.namelen) }?;
        // SAFETY: forwarded caller contract.
        let (bufs, total) = unsafe { wsabufs(msg.lpBuffers, msg.dwBufferCount) }?;
        // SAFETY: buffers checked by `wsabufs` (caller contract for validity).
        let data = Bytes::from(unsafe { gather(&bufs, total) });
        let mut args = SendArgs::new(Dest::To(dest), data, dwflags & !MSG_PARTIAL);
        if msg.Control.len > 0 {
            if bad(msg.Control.buf) {
                return Err(Errno::Fault);
            }
            // SAFETY: `Control.buf` is valid for `Control.len` bytes (caller contract).
            let control = unsafe { bytes(msg.Control.buf, msg.Control.len as usize) };
            apply_control(&mut args, control)?;
        }
        let n = cx.world(|w| w.send(s, args))?;
        if !bad(lpnumberofbytessent) {
            // SAFETY: non-NULL, valid (caller contract).
            unsafe { write(lpnumberofbytessent, n as u32) };
        }
        Ok(0)
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
