//! The simulator's base provider: WSPStartup and the procedure table it fills.
//!
//! WSPRecv and WSPRecvFrom are in `recv.rs`. WSPSocket and WSPCloseSocket work on the core
//! directly; the other entries that the simulator supports run the `ws2` function of the
//! same job (whose rules are the base provider's) and move its error from the last-error slot
//! to `lpErrno`; the rest fail with WSAEOPNOTSUPP and a diagnostic, as their ws2 functions do.

use windows_sys::core::{BOOL, PCSTR, PCWSTR, PSTR, PWSTR};
use windows_sys::Win32::Foundation::{HANDLE, HWND};
use windows_sys::Win32::Networking::WinSock::{
    FD_SET, INVALID_SOCKET, LPCONDITIONPROC, LPWSAOVERLAPPED_COMPLETION_ROUTINE, QOS, SOCKADDR,
    SOCKET, SOCKET_ERROR, TIMEVAL, WSABUF, WSAEVENT, WSANETWORKEVENTS, WSAPROTOCOL_INFOW,
    WSATHREADID, WSPDATA, WSPPROC_TABLE, WSPUPCALLTABLE,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use crate::diag::Diagnostic;
use crate::error::Errno;
use crate::stack::lifecycle_resolve;
use crate::ws2;
use crate::ws2::face::{call_spi, io_span, last_error, Cx};
use crate::ws2::mem::{bad, read, write};

/// The SPI version the base provider implements (2.2).
const SPI_VERSION: u16 = 0x0202;

/// Starts the base provider (`LPWSPSTARTUP`): fills `lpwspdata` and the procedure table, and
/// keeps the upcall table's WPUQueueApc for completion routines. Returns 0, or the error
/// code itself: WSAEFAULT for a NULL WSPDATA, protocol info or table, WSAVERNOTSUPPORTED for
/// a version below 2.0 (the WSPStartup page).
///
/// windows-sys types `lpwspdata` as `*const WSPDATA` (win32metadata); it is the provider's
/// output (LPWSPDATA), written here.
///
/// # Safety
/// The pointers must be valid as the SPI contract of WSPStartup requires.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSPStartup(
    wversionrequested: u16,
    lpwspdata: *const WSPDATA,
    lpprotocolinfo: *const WSAPROTOCOL_INFOW,
    upcalltable: WSPUPCALLTABLE,
    lpproctable: *mut WSPPROC_TABLE,
) -> i32 {
    let _span = tracing::debug_span!("WSPStartup", version = wversionrequested).entered();
    let mut errno = 0;
    let r = call_spi(SOCKET_ERROR, &mut errno, |cx| {
        if bad(lpwspdata) || bad(lpprotocolinfo) || bad(lpproctable) {
            return Err(Errno::Fault.code());
        }
        if wversionrequested & 0xFF < 2 {
            return Err(Errno::VerNotSupported.code());
        }
        let mut data = WSPDATA {
            wVersion: SPI_VERSION,
            wHighVersion: SPI_VERSION,
            szDescription: [0; 256],
        };
        for (i, c) in "winsock-sim base provider".encode_utf16().enumerate() {
            data.szDescription[i] = c;
        }
        // SAFETY: non-NULL; the caller's WSPDATA and WSPPROC_TABLE, valid for writes (SPI
        // contract; see the note on the pointer's constness above).
        unsafe {
            write(lpwspdata as *mut WSPDATA, data);
            write(lpproctable, proc_table());
        }
        cx.world(|w| w.base_queue_apc = upcalltable.lpWPUQueueApc);
        Ok(0)
    });
    if r == 0 {
        0
    } else {
        errno
    }
}

/// The base provider's procedure table.
pub(crate) fn proc_table() -> WSPPROC_TABLE {
    WSPPROC_TABLE {
        lpWSPAccept: Some(WSPAccept),
        lpWSPAddressToString: Some(WSPAddressToString),
        lpWSPAsyncSelect: Some(WSPAsyncSelect),
        lpWSPBind: Some(WSPBind),
        lpWSPCancelBlockingCall: Some(WSPCancelBlockingCall),
        lpWSPCleanup: Some(WSPCleanup),
        lpWSPCloseSocket: Some(WSPCloseSocket),
        lpWSPConnect: Some(WSPConnect),
        lpWSPDuplicateSocket: Some(WSPDuplicateSocket),
        lpWSPEnumNetworkEvents: Some(WSPEnumNetworkEvents),
        lpWSPEventSelect: Some(WSPEventSelect),
        lpWSPGetOverlappedResult: Some(WSPGetOverlappedResult),
        lpWSPGetPeerName: Some(WSPGetPeerName),
        lpWSPGetSockName: Some(WSPGetSockName),
        lpWSPGetSockOpt: Some(WSPGetSockOpt),
        lpWSPGetQOSByName: Some(WSPGetQOSByName),
        lpWSPIoctl: Some(WSPIoctl),
        lpWSPJoinLeaf: Some(WSPJoinLeaf),
        lpWSPListen: Some(WSPListen),
        lpWSPRecv: Some(super::WSPRecv),
        lpWSPRecvDisconnect: Some(WSPRecvDisconnect),
        lpWSPRecvFrom: Some(super::WSPRecvFrom),
        lpWSPSelect: Some(WSPSelect),
        lpWSPSend: Some(WSPSend),
        lpWSPSendDisconnect: Some(WSPSendDisconnect),
        lpWSPSendTo: Some(WSPSendTo),
        lpWSPSetSockOpt: Some(WSPSetSockOpt),
        lpWSPShutdown: Some(WSPShutdown),
        lpWSPSocket: Some(WSPSocket),
        lpWSPStringToAddress: Some(WSPStringToAddress),
    }
}

/// Creates a socket of the protocol `lpprotocolinfo` describes; arguments left 0 or
/// FROM_PROTOCOL_INFO are taken from it.
///
/// # Safety
/// `lpprotocolinfo` must be valid for reads; `lperrno` for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPSocket(
    af: i32,
    r#type: i32,
    protocol: i32,
    lpprotocolinfo: *const WSAPROTOCOL_INFOW,
    g: u32,
    dwflags: u32,
    lperrno: *mut i32,
) -> SOCKET {
    let _span =
        tracing::debug_span!("WSPSocket", af, ty = r#type, protocol, flags = dwflags).entered();
    call_spi(INVALID_SOCKET, lperrno, |cx| {
        if bad(lpprotocolinfo) {
            return Err(Errno::Fault.code());
        }
        if g != 0 {
            return Err(Errno::Inval.code());
        }
        // SAFETY: non-NULL, valid for reads (SPI contract).
        let info = unsafe { read(lpprotocolinfo) };
        let pick = |arg: i32, from: i32| if arg == 0 || arg == -1 { from } else { arg };
        let (af, ty, proto) = (
            pick(af, info.iAddressFamily),
            pick(r#type, info.iSocketType),
            pick(protocol, info.iProtocol),
        );
        create(cx, (af, ty, proto), info.dwCatalogEntryId, dwflags).map_err(|e| e.code())
    })
}

fn create(
    cx: &Cx,
    (af, ty, proto): (i32, i32, i32),
    entry: u32,
    flags: u32,
) -> crate::Result<SOCKET> {
    let message = cx.world(|w| w.cfg.message_protocols);
    let (family, kind) = lifecycle_resolve(af, ty, proto, message)?;
    let overlapped = flags & windows_sys::Win32::Networking::WinSock::WSA_FLAG_OVERLAPPED != 0;
    cx.world(|w| {
        let s = w.create_socket(cx.host, family, kind, overlapped)?;
        // The entry it was asked for, if that entry makes such sockets.
        if w.catalog.get(entry).is_some_and(|e| e.makes(family, kind)) {
            w.sock_mut(s)?.catalog_id = entry;
        }
        Ok(s)
    })
}

/// Closes a socket: its pending requests complete (closesocket's status), its address is
/// released.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPCloseSocket(s: SOCKET, lperrno: *mut i32) -> i32 {
    let _span = tracing::debug_span!("WSPCloseSocket", socket = s).entered();
    call_spi(SOCKET_ERROR, lperrno, |cx| {
        cx.world(|w| w.close(s)).map(|()| 0).map_err(|e| e.code())
    })
}

/// Runs a ws2 function for the provider: its failure's error (from the last-error slot) goes
/// to `*lperrno`. The slot itself is restored by `call_spi`.
fn through_ws2<T: PartialEq + Copy + std::fmt::Debug>(
    fail: T,
    lperrno: *mut i32,
    f: impl FnOnce() -> T,
) -> T {
    call_spi(fail, lperrno, |_| {
        let r = f();
        if r == fail {
            Err(last_error())
        } else {
            Ok(r)
        }
    })
}

/// bind.
///
/// # Safety
/// As for ws2's bind.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPBind(
    s: SOCKET,
    name: *const SOCKADDR,
    namelen: i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPBind", socket = s).entered();
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::bind(s, name, namelen)
    })
}

/// connect; connect data and QOS are not supported (WSAEOPNOTSUPP).
///
/// # Safety
/// As for ws2's connect.
#[allow(non_snake_case, clippy::too_many_arguments)]
unsafe extern "system" fn WSPConnect(
    s: SOCKET,
    name: *const SOCKADDR,
    namelen: i32,
    lpcallerdata: *const WSABUF,
    lpcalleedata: *mut WSABUF,
    lpsqos: *const QOS,
    lpgqos: *const QOS,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPConnect", socket = s).entered();
    if !lpcallerdata.is_null() || !lpcalleedata.is_null() || !lpsqos.is_null() || !lpgqos.is_null()
    {
        return unsupported("WSPConnect with connect data or QOS", SOCKET_ERROR, lperrno);
    }
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::connect(s, name, namelen)
    })
}

/// The result of an overlapped request (WSAGetOverlappedResult's rules).
///
/// # Safety
/// As for ws2's WSAGetOverlappedResult.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPGetOverlappedResult(
    s: SOCKET,
    lpoverlapped: *const OVERLAPPED,
    lpcbtransfer: *mut u32,
    fwait: BOOL,
    lpdwflags: *mut u32,
    lperrno: *mut i32,
) -> BOOL {
    let _span = tracing::debug_span!(
        "WSPGetOverlappedResult",
        socket = s,
        overlapped = !lpoverlapped.is_null(),
        wait = fwait
    )
    .entered();
    // SAFETY: forwarded caller contract.
    through_ws2(0, lperrno, || unsafe {
        ws2::WSAGetOverlappedResult(s, lpoverlapped, lpcbtransfer, fwait, lpdwflags)
    })
}

/// getpeername.
///
/// # Safety
/// As for ws2's getpeername.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPGetPeerName(
    s: SOCKET,
    name: *mut SOCKADDR,
    namelen: *mut i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPGetPeerName", socket = s).entered();
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::getpeername(s, name, namelen)
    })
}

/// getsockname.
///
/// # Safety
/// As for ws2's getsockname.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPGetSockName(
    s: SOCKET,
    name: *mut SOCKADDR,
    namelen: *mut i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPGetSockName", socket = s).entered();
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::getsockname(s, name, namelen)
    })
}

/// getsockopt.
///
/// # Safety
/// As for ws2's getsockopt.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPGetSockOpt(
    s: SOCKET,
    level: i32,
    optname: i32,
    optval: PSTR,
    optlen: *mut i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPGetSockOpt", socket = s, level, optname).entered();
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::getsockopt(s, level, optname, optval, optlen)
    })
}

/// setsockopt.
///
/// # Safety
/// As for ws2's setsockopt.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPSetSockOpt(
    s: SOCKET,
    level: i32,
    optname: i32,
    optval: PCSTR,
    optlen: i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPSetSockOpt", socket = s, level, optname).entered();
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::setsockopt(s, level, optname, optval, optlen)
    })
}

/// WSAIoctl. A completion routine is delivered as the ws2 function delivers it
/// (`lpthreadid` is not needed).
///
/// # Safety
/// As for ws2's WSAIoctl.
#[allow(non_snake_case, clippy::too_many_arguments)]
unsafe extern "system" fn WSPIoctl(
    s: SOCKET,
    dwiocontrolcode: u32,
    lpvinbuffer: *const core::ffi::c_void,
    cbinbuffer: u32,
    lpvoutbuffer: *mut core::ffi::c_void,
    cboutbuffer: u32,
    lpcbbytesreturned: *mut u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    lpthreadid: *const WSATHREADID,
    lperrno: *mut i32,
) -> i32 {
    let _span = io_span!(
        "WSPIoctl",
        s,
        lpoverlapped,
        lpcompletionroutine,
        code = dwiocontrolcode
    );
    let _ = lpthreadid;
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::WSAIoctl(
            s,
            dwiocontrolcode,
            lpvinbuffer,
            cbinbuffer,
            lpvoutbuffer,
            cboutbuffer,
            lpcbbytesreturned,
            lpoverlapped,
            lpcompletionroutine,
        )
    })
}

/// WSASend (see [`WSPIoctl`] for the completion routine).
///
/// # Safety
/// As for ws2's WSASend.
#[allow(non_snake_case, clippy::too_many_arguments)]
unsafe extern "system" fn WSPSend(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytessent: *mut u32,
    dwflags: u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    lpthreadid: *const WSATHREADID,
    lperrno: *mut i32,
) -> i32 {
    let _span = io_span!(
        "WSPSend",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount,
        flags = dwflags
    );
    let _ = lpthreadid;
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::WSASend(
            s,
            lpbuffers,
            dwbuffercount,
            lpnumberofbytessent,
            dwflags,
            lpoverlapped,
            lpcompletionroutine,
        )
    })
}

/// WSASendTo (see [`WSPIoctl`] for the completion routine).
///
/// # Safety
/// As for ws2's WSASendTo.
#[allow(non_snake_case, clippy::too_many_arguments)]
unsafe extern "system" fn WSPSendTo(
    s: SOCKET,
    lpbuffers: *const WSABUF,
    dwbuffercount: u32,
    lpnumberofbytessent: *mut u32,
    dwflags: u32,
    lpto: *const SOCKADDR,
    itolen: i32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    lpthreadid: *const WSATHREADID,
    lperrno: *mut i32,
) -> i32 {
    let _span = io_span!(
        "WSPSendTo",
        s,
        lpoverlapped,
        lpcompletionroutine,
        buffers = dwbuffercount,
        flags = dwflags
    );
    let _ = lpthreadid;
    // SAFETY: forwarded caller contract.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe {
        ws2::WSASendTo(
            s,
            lpbuffers,
            dwbuffercount,
            lpnumberofbytessent,
            dwflags,
            lpto,
            itolen,
            lpoverlapped,
            lpcompletionroutine,
        )
    })
}

/// shutdown.
///
/// # Safety
/// Always safe; `unsafe` only to match LPWSPSHUTDOWN.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPShutdown(s: SOCKET, how: i32, lperrno: *mut i32) -> i32 {
    let _span = tracing::debug_span!("WSPShutdown", socket = s, how).entered();
    // SAFETY: ws2's shutdown is always safe to call.
    through_ws2(SOCKET_ERROR, lperrno, || unsafe { ws2::shutdown(s, how) })
}

/// Nothing to release: 0.
///
/// # Safety
/// Always safe; `unsafe` only to match LPWSPCLEANUP.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPCleanup(lperrno: *mut i32) -> i32 {
    let _span = tracing::debug_span!("WSPCleanup").entered();
    call_spi(SOCKET_ERROR, lperrno, |_| Ok(0))
}

/// A provider function the simulator does not implement: WSAEOPNOTSUPP through `lperrno`,
/// and a diagnostic.
fn unsupported<T: std::fmt::Debug>(function: &'static str, fail: T, lperrno: *mut i32) -> T {
    call_spi(fail, lperrno, |cx| {
        cx.world(|w| w.diagnose(Diagnostic::Unsupported { function }));
        Err(Errno::OpNotSupp.code())
    })
}

/// Not simulated (no TCP).
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPAccept(
    s: SOCKET,
    addr: *mut SOCKADDR,
    addrlen: *mut i32,
    lpfncondition: LPCONDITIONPROC,
    dwcallbackdata: usize,
    lperrno: *mut i32,
) -> SOCKET {
    let _span = tracing::debug_span!("WSPAccept", socket = s).entered();
    let _ = (s, addr, addrlen, lpfncondition, dwcallbackdata);
    unsupported("WSPAccept", INVALID_SOCKET, lperrno)
}

/// Not simulated.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPAddressToString(
    lpsaaddress: *const SOCKADDR,
    dwaddresslength: u32,
    lpprotocolinfo: *const WSAPROTOCOL_INFOW,
    lpszaddressstring: PWSTR,
    lpdwaddressstringlength: *mut u32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPAddressToString").entered();
    let _ = (
        lpsaaddress,
        dwaddresslength,
        lpprotocolinfo,
        lpszaddressstring,
        lpdwaddressstringlength,
    );
    unsupported("WSPAddressToString", SOCKET_ERROR, lperrno)
}

/// Not simulated.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPStringToAddress(
    addressstring: PCWSTR,
    addressfamily: i32,
    lpprotocolinfo: *const WSAPROTOCOL_INFOW,
    lpaddress: *mut SOCKADDR,
    lpaddresslength: *mut i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPStringToAddress").entered();
    let _ = (
        addressstring,
        addressfamily,
        lpprotocolinfo,
        lpaddress,
        lpaddresslength,
    );
    unsupported("WSPStringToAddress", SOCKET_ERROR, lperrno)
}

/// Not simulated (no windows).
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPAsyncSelect(
    s: SOCKET,
    hwnd: HWND,
    wmsg: u32,
    levent: i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPAsyncSelect", socket = s).entered();
    let _ = (s, hwnd, wmsg, levent);
    unsupported("WSPAsyncSelect", SOCKET_ERROR, lperrno)
}

/// Winsock 2 has no blocking hooks to cancel (WSACancelBlockingCall was removed in 2.2).
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPCancelBlockingCall(lperrno: *mut i32) -> i32 {
    let _span = tracing::debug_span!("WSPCancelBlockingCall").entered();
    unsupported("WSPCancelBlockingCall", SOCKET_ERROR, lperrno)
}

/// Not simulated.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPDuplicateSocket(
    s: SOCKET,
    dwprocessid: u32,
    lpprotocolinfo: *mut WSAPROTOCOL_INFOW,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPDuplicateSocket", socket = s).entered();
    let _ = (s, dwprocessid, lpprotocolinfo);
    unsupported("WSPDuplicateSocket", SOCKET_ERROR, lperrno)
}

/// Not simulated.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPEnumNetworkEvents(
    s: SOCKET,
    heventobject: HANDLE,
    lpnetworkevents: *mut WSANETWORKEVENTS,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPEnumNetworkEvents", socket = s).entered();
    let _ = (s, heventobject, lpnetworkevents);
    unsupported("WSPEnumNetworkEvents", SOCKET_ERROR, lperrno)
}

/// Not simulated.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPEventSelect(
    s: SOCKET,
    heventobject: WSAEVENT,
    lnetworkevents: i32,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPEventSelect", socket = s).entered();
    let _ = (s, heventobject, lnetworkevents);
    unsupported("WSPEventSelect", SOCKET_ERROR, lperrno)
}

/// Not simulated.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPGetQOSByName(
    s: SOCKET,
    lpqosname: *const WSABUF,
    lpqos: *mut QOS,
    lperrno: *mut i32,
) -> BOOL {
    let _span = tracing::debug_span!("WSPGetQOSByName", socket = s).entered();
    let _ = (s, lpqosname, lpqos);
    unsupported("WSPGetQOSByName", 0, lperrno)
}

/// Not simulated.
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case, clippy::too_many_arguments)]
unsafe extern "system" fn WSPJoinLeaf(
    s: SOCKET,
    name: *const SOCKADDR,
    namelen: i32,
    lpcallerdata: *const WSABUF,
    lpcalleedata: *mut WSABUF,
    lpsqos: *const QOS,
    lpgqos: *const QOS,
    dwflags: u32,
    lperrno: *mut i32,
) -> SOCKET {
    let _span = tracing::debug_span!("WSPJoinLeaf", socket = s, flags = dwflags).entered();
    let _ = (
        s,
        name,
        namelen,
        lpcallerdata,
        lpcalleedata,
        lpsqos,
        lpgqos,
        dwflags,
    );
    unsupported("WSPJoinLeaf", INVALID_SOCKET, lperrno)
}

/// Not simulated (no TCP).
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPListen(s: SOCKET, backlog: i32, lperrno: *mut i32) -> i32 {
    let _span = tracing::debug_span!("WSPListen", socket = s).entered();
    let _ = (s, backlog);
    unsupported("WSPListen", SOCKET_ERROR, lperrno)
}

/// Not simulated (no disconnect data).
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPRecvDisconnect(
    s: SOCKET,
    lpinbounddisconnectdata: *const WSABUF,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPRecvDisconnect", socket = s).entered();
    let _ = (s, lpinbounddisconnectdata);
    unsupported("WSPRecvDisconnect", SOCKET_ERROR, lperrno)
}

/// Not simulated (no disconnect data).
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPSendDisconnect(
    s: SOCKET,
    lpoutbounddisconnectdata: *const WSABUF,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPSendDisconnect", socket = s).entered();
    let _ = (s, lpoutbounddisconnectdata);
    unsupported("WSPSendDisconnect", SOCKET_ERROR, lperrno)
}

/// Not simulated (select is not).
///
/// # Safety
/// `lperrno` must be valid for writes.
#[allow(non_snake_case)]
unsafe extern "system" fn WSPSelect(
    nfds: i32,
    readfds: *mut FD_SET,
    writefds: *mut FD_SET,
    exceptfds: *mut FD_SET,
    timeout: *const TIMEVAL,
    lperrno: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("WSPSelect").entered();
    let _ = (nfds, readfds, writefds, exceptfds, timeout);
    unsupported("WSPSelect", SOCKET_ERROR, lperrno)
}
