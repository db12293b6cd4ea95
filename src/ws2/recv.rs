//! The receive functions, ws2's side: what ws2 checks itself (WSAStartup, the handle, recv's
//! length), then the socket's provider through its procedure table, WSPRecv for recv and
//! WSARecv, WSPRecvFrom for recvfrom and WSARecvFrom, with the provider's lpErrno reported
//! as the last error. WSARecvMsg is the provider's extension function (`spi`).
//!
//! Two adaptations are ws2's, where the API pages allow what the SPI page does not:
//! - a socket made without WSA_FLAG_OVERLAPPED: the provider is called without the
//!   OVERLAPPED (it would refuse it with WSAEINVAL), and ws2 fills the OVERLAPPED in as the
//!   call completes synchronously (Wine test_nonblocking_async_recv, Windows rows);
//! - recvfrom / WSARecvFrom on a connected socket, which the WSARecvFrom page allows
//!   ("possibly connected") and WSPRecvFrom refuses (WSAEISCONN): ws2 receives with WSPRecv
//!   and gives the peer as the sender (a connected socket receives only from it).

use windows_sys::Win32::Networking::WinSock::{
    LPWSAOVERLAPPED_COMPLETION_ROUTINE, SEND_RECV_FLAGS, SOCKADDR, SOCKET, SOCKET_ERROR, WSABUF,
    WSAEMSGSIZE, WSA_IO_PENDING, WSPPROC_TABLE,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::face::{self, api_call, check_socket, io_span, Cx};
use super::mem::{bad, read, write_sockaddr};
use super::overlapped::complete_in_overlapped;
use crate::error::Errno;
use crate::io::status::{NtStatus, MSG_PARTIAL};
use crate::spi::{provider_table_and, thread_id_for_call, wsa_thread_id};
use crate::stack::World;

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
    let _span = tracing::debug_span!("recv", socket = s, len, flags).entered();
    // SAFETY: forwarded caller contract; no address is asked for.
    unsafe { recv_one_buffer("recv", s, buf, len, flags as u32, None) }
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
    let _span = tracing::debug_span!("recvfrom", socket = s, len, flags).entered();
    // SAFETY: forwarded caller contract.
    unsafe { recv_one_buffer("recvfrom", s, buf, len, flags as u32, Some((from, fromlen))) }
}

/// recv and recvfrom: one buffer, through the provider like WSARecv / WSARecvFrom.
///
/// # Safety
/// `buf` valid for writes of `len` bytes; `from`, if given, as for recvfrom.
unsafe fn recv_one_buffer(
    call: &'static str,
    s: SOCKET,
    buf: windows_sys::core::PSTR,
    len: i32,
    flags: u32,
    from: Option<(*mut SOCKADDR, *mut i32)>,
) -> i32 {
    face::call_raw(SOCKET_ERROR, |cx| {
        // After the socket's checks (in `dispatch`'s first look at the world): a negative
        // length or a bad buffer is WSAEFAULT; recv(s, buf, -1, 0) is WSAEFAULT on Windows 7
        // and later (Wine test_read_events).
        let length = || {
            if len < 0 || (len > 0 && bad(buf)) {
                Err(Errno::Fault.code())
            } else {
                Ok(())
            }
        };
        let _api = api_call(call);
        let b = WSABUF {
            len: len as u32,
            buf,
        };
        let (mut n, mut f) = (0u32, flags);
        // SAFETY: `b` describes the caller's buffer; `from` is the caller's.
        unsafe {
            dispatch(
                cx,
                (s, length),
                (&b, 1),
                &mut n,
                &mut f,
                from,
                (core::ptr::null_mut(), None),
            )
        }?;
        Ok(n as i32)
    })
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
    let _span = io_span!(
        "WSARecv",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount
    );
    face::call_raw(SOCKET_ERROR, |cx| {
        let _api = api_call("WSARecv");
        // SAFETY: forwarded caller contract.
        unsafe {
            dispatch(
                cx,
                (s, || Ok(())),
                (lpbuffers, dwbuffercount),
                lpnumberofbytesrecvd,
                lpflags,
                None,
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
    let _span = io_span!(
        "WSARecvFrom",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount
    );
    face::call_raw(SOCKET_ERROR, |cx| {
        let _api = api_call("WSARecvFrom");
        // SAFETY: forwarded caller contract.
        unsafe {
            dispatch(
                cx,
                (s, || Ok(())),
                (lpbuffers, dwbuffercount),
                lpnumberofbytesrecvd,
                lpflags,
                Some((lpfrom, lpfromlen)),
                (lpoverlapped, lpcompletionroutine),
            )
        }
    })
}

/// WSPRecv's lpErrno, which the provider writes though windows-sys types it `*const i32`
/// (winsock-facts §6.9).
fn lperrno(e: &mut i32) -> *const i32 {
    (e as *mut i32).cast_const()
}

/// Calls the socket's provider for a receive, with ws2's two adaptations (module docs).
/// The socket's checks (`Cx::socket`) come first, then `gate`'s (checks of arguments),
/// in the lock of the first look at the world.
///
/// # Safety
/// As for WSARecvFrom.
unsafe fn dispatch(
    cx: &Cx,
    (s, gate): (SOCKET, impl FnOnce() -> Result<(), i32>),
    (bufs, count): (*const WSABUF, u32),
    nbytes: *mut u32,
    flags: *mut u32,
    from: Option<(*mut SOCKADDR, *mut i32)>,
    (ov, routine): (*mut OVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE),
) -> Result<i32, i32> {
    // One lock for the table, the socket, and the WSATHREADID's handle when the thread's id
    // is known without a lookup (which may take the lock itself).
    let known = cx.known_thread();
    let pick = |t: &WSPPROC_TABLE| (t.lpWSPRecv, t.lpWSPRecvFrom);
    let gate = |w: &World| {
        check_socket(w, s).map_err(|e| e.code())?;
        gate()
    };
    let ((wsp_recv, wsp_recv_from), (sock, handle)) = provider_table_and(cx, s, gate, pick, |w| {
        let sock = w.sock(s).map(|k| (k.peer, k.overlapped, k.family));
        (sock, known.map(|t| w.thread_handle(t)))
    })?;
    let (peer, overlapped_socket, family) = sock.map_err(|e| e.code())?;
    // On a socket made without WSA_FLAG_OVERLAPPED both are ignored (the call is synchronous).
    let caller_ov = ov;
    let sync_ov = !overlapped_socket && !bad(caller_ov);
    let (ov, routine) = if overlapped_socket {
        (ov, routine)
    } else {
        (core::ptr::null_mut(), None)
    };
    let id = match (known, handle) {
        (Some(tid), Some(handle)) => wsa_thread_id(tid, handle),
        _ => thread_id_for_call(cx),
    };
    let mut errno = 0;
    let r = match (from, peer) {
        (Some((name, namelen)), Some(peer)) => {
            // Connected: WSPRecv, and the peer as the sender. The name buffer's rules are
            // the receive's (WSAEFAULT, nothing written and the datagram kept, when short).
            // SAFETY: forwarded caller contract.
            let want = unsafe { crate::spi::name_request(name, namelen) }.map_err(|e| e.code())?;
            if let crate::stack::NameReq::Len(n) = want {
                if n < family.sockaddr_len() {
                    return Err(Errno::Fault.code());
                }
            }
            let f = wsp_recv.ok_or(Errno::OpNotSupp.code())?;
            // SAFETY: the provider's WSPRecv with the caller's pointers (caller contract)
            // and locals.
            let r = unsafe {
                f(
                    s,
                    bufs,
                    count,
                    nbytes,
                    flags,
                    ov,
                    routine,
                    &id,
                    lperrno(&mut errno),
                )
            };
            let delivered = r == 0 || errno == WSA_IO_PENDING || errno == WSAEMSGSIZE;
            if delivered && want != crate::stack::NameReq::None {
                // SAFETY: checked above (caller contract for validity).
                unsafe { write_sockaddr(name, namelen, &peer) };
            }
            r
        }
        (Some((name, namelen)), None) => {
            let f = wsp_recv_from.ok_or(Errno::OpNotSupp.code())?;
            // SAFETY: the provider's WSPRecvFrom with the caller's pointers (caller
            // contract) and locals.
            unsafe {
                f(
                    s, bufs, count, nbytes, flags, name, namelen, ov, routine, &id, &mut errno,
                )
            }
        }
        (None, _) => {
            let f = wsp_recv.ok_or(Errno::OpNotSupp.code())?;
            // SAFETY: as above.
            unsafe {
                f(
                    s,
                    bufs,
                    count,
                    nbytes,
                    flags,
                    ov,
                    routine,
                    &id,
                    lperrno(&mut errno),
                )
            }
        }
    };
    if sync_ov && (r == 0 || errno == WSAEMSGSIZE) {
        // SAFETY: `nbytes` was written by the synchronous receive (it must be valid for a
        // call without an OVERLAPPED), `flags` too; `ov` is the caller's valid OVERLAPPED.
        unsafe {
            let status = if r != 0 {
                NtStatus::BUFFER_OVERFLOW
            } else if read(flags) & MSG_PARTIAL != 0 {
                NtStatus::RECEIVE_PARTIAL
            } else {
                NtStatus::SUCCESS
            };
            complete_in_overlapped(caller_ov, status, read(nbytes) as usize);
        }
    }
    if r == 0 {
        Ok(0)
    } else {
        Err(errno)
    }
}
