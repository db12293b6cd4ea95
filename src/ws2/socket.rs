//! Creating, naming, connecting and closing sockets.

use windows_sys::Win32::Networking::WinSock::{
    INVALID_SOCKET, SOCKADDR, SOCKET, SOCKET_ERROR, WINSOCK_SHUTDOWN_HOW, WINSOCK_SOCKET_TYPE,
    WSAPROTOCOL_INFOA, WSAPROTOCOL_INFOW, WSA_FLAG_OVERLAPPED,
};

use super::face::{self, Cx};
use super::mem::{bad, read, read_sockaddr, write_sockaddr};
use crate::error::{Errno, Result};
use crate::socket::SockKind;
use crate::spi::{info_of, provider_table, start_provider};
use crate::stack::lifecycle_resolve;

/// Creates a socket (an overlapped-capable one, as socket() does on Windows).
///
/// # Safety
/// Always safe to call; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn socket(
    af: i32,
    r#type: WINSOCK_SOCKET_TYPE,
    protocol: i32,
) -> SOCKET {
    let _span = tracing::debug_span!("socket", af, ty = r#type, protocol).entered();
    face::call_raw(INVALID_SOCKET, |cx| {
        create(cx, (af, r#type, protocol), None, 0, WSA_FLAG_OVERLAPPED)
    })
}

/// Creates a socket. Arguments left 0 or FROM_PROTOCOL_INFO are taken from `lpprotocolinfo`
/// when one is given, and its catalogue entry is used if it makes such sockets (so a program
/// can pick a base protocol under a layered one). Socket groups are not supported (`g` must
/// be 0).
///
/// # Safety
/// `lpprotocolinfo`, if not NULL, must be valid for reads of a WSAPROTOCOL_INFOW.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSASocketW(
    af: i32,
    r#type: i32,
    protocol: i32,
    lpprotocolinfo: *const WSAPROTOCOL_INFOW,
    g: u32,
    dwflags: u32,
) -> SOCKET {
    let _span =
        tracing::debug_span!("WSASocketW", af, ty = r#type, protocol, flags = dwflags).entered();
    face::call_raw(INVALID_SOCKET, |cx| {
        let info = if lpprotocolinfo.is_null() {
            None
        } else if bad(lpprotocolinfo) {
            return Err(Errno::Fault.code());
        } else {
            // SAFETY: non-NULL, valid for a WSAPROTOCOL_INFOW (caller contract).
            let i = unsafe { read(lpprotocolinfo) };
            Some((
                (i.iAddressFamily, i.iSocketType, i.iProtocol),
                i.dwCatalogEntryId,
            ))
        };
        create(cx, (af, r#type, protocol), info, g, dwflags)
    })
}

/// The ANSI form of [`WSASocketW`].
///
/// # Safety
/// `lpprotocolinfo`, if not NULL, must be valid for reads of a WSAPROTOCOL_INFOA.
#[allow(non_snake_case)]
pub unsafe extern "system" fn WSASocketA(
    af: i32,
    r#type: i32,
    protocol: i32,
    lpprotocolinfo: *const WSAPROTOCOL_INFOA,
    g: u32,
    dwflags: u32,
) -> SOCKET {
    let _span =
        tracing::debug_span!("WSASocketA", af, ty = r#type, protocol, flags = dwflags).entered();
    face::call_raw(INVALID_SOCKET, |cx| {
        let info = if lpprotocolinfo.is_null() {
            None
        } else if bad(lpprotocolinfo) {
            return Err(Errno::Fault.code());
        } else {
            // SAFETY: non-NULL, valid for a WSAPROTOCOL_INFOA (caller contract).
            let i = unsafe { read(lpprotocolinfo) };
            Some((
                (i.iAddressFamily, i.iSocketType, i.iProtocol),
                i.dwCatalogEntryId,
            ))
        };
        create(cx, (af, r#type, protocol), info, g, dwflags)
    })
}

/// ws2's socket creation: the arguments' checks in Windows' order, the catalogue entry
/// (the first that makes such sockets, which is a layered provider's chain when one is
/// installed over the protocol), its provider's WSPSocket, and the entry recorded for the
/// new socket so later calls reach the same provider.
fn create(
    cx: &Cx,
    (af, ty, proto): (i32, i32, i32),
    info: Option<((i32, i32, i32), u32)>,
    g: u32,
    flags: u32,
) -> core::result::Result<SOCKET, i32> {
    cx.init().map_err(|e| e.code())?;
    if g != 0 {
        return Err(Errno::Inval.code());
    }
    let (args, asked) = match info {
        None => ((af, ty, proto), None),
        Some(((iaf, ity, iproto), id)) => {
            let pick = |arg: i32, from: i32| if arg == 0 || arg == -1 { from } else { arg };
            (
                (pick(af, iaf), pick(ty, ity), pick(proto, iproto)),
                Some(id),
            )
        }
    };
    let message = cx.world(|w| w.cfg.message_protocols);
    let (family, kind) =
        lifecycle_resolve(args.0, args.1, args.2, message).map_err(|e| e.code())?;
    // Wine 8 makes raw sockets only of the protocols in its table: ICMP, IGMP, TCP, UDP and
    // RAW (diff/corpus/raw_sockets.json; 0, 58 and 253 are WSAEPROTONOSUPPORT).
    if matches!(kind, SockKind::Raw(p) if !matches!(p, 1 | 2 | 6 | 17 | 255))
        && cx.world(|w| w.cfg.wine8())
    {
        return Err(Errno::ProtoNoSupport.code());
    }
    let entry = cx
        .world(|w| {
            asked
                .and_then(|id| w.catalog.get(id))
                .filter(|e| e.makes(family, kind))
                .or_else(|| w.catalog.for_socket(family, kind))
                .cloned()
        })
        .ok_or(Errno::ProtoNoSupport.code())?;
    let table = start_provider(cx, entry.catalog_id)?;
    let f = table.lpWSPSocket.ok_or(Errno::OpNotSupp.code())?;
    let info = info_of(&entry);
    let mut errno = 0;
    // SAFETY: the provider's WSPSocket, with a valid protocol info and locals.
    let s = unsafe { f(args.0, args.1, args.2, &info, 0, flags, &mut errno) };
    if s == INVALID_SOCKET {
        return Err(errno);
    }
    cx.world(|w| w.sock_mut(s).map(|k| k.catalog_id = entry.catalog_id))
        .map_err(|e| e.code())?;
    Ok(s)
}

/// Closes a socket, through its provider's WSPCloseSocket.
///
/// # Safety
/// Always safe to call; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn closesocket(s: SOCKET) -> i32 {
    let _span = tracing::debug_span!("closesocket", socket = s).entered();
    face::call_raw(SOCKET_ERROR, |cx| {
        // closesocket checks WSAStartup first under Wine 8 too, unlike the calls that take
        // Cx::socket's Wine order (diff/corpus/notinitialised.json).
        cx.init().map_err(|e| e.code())?;
        cx.socket(s).map_err(|e| e.code())?;
        let table = provider_table(cx, s)?;
        let f = table.lpWSPCloseSocket.ok_or(Errno::OpNotSupp.code())?;
        let mut errno = 0;
        // SAFETY: the provider's WSPCloseSocket with a local lpErrno.
        if unsafe { f(s, &mut errno) } == 0 {
            Ok(0)
        } else {
            Err(errno)
        }
    })
}

/// Binds a socket.
///
/// # Safety
/// `name`, if not NULL, must be valid for reads of `namelen` bytes.
pub unsafe extern "system" fn bind(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32 {
    let _span = tracing::debug_span!("bind", socket = s).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        let addr = unsafe { read_sockaddr(name, namelen) }?.ok_or(Errno::AfNoSupport)?;
        cx.world(|w| w.bind(s, addr)).map(|()| 0)
    })
}

/// Connects a datagram socket (sets its default peer and receive filter); AF_UNSPEC
/// disconnects it (Wine test_connect_udp).
///
/// # Safety
/// `name`, if not NULL, must be valid for reads of `namelen` bytes.
pub unsafe extern "system" fn connect(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32 {
    let _span = tracing::debug_span!("connect", socket = s).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // SAFETY: forwarded caller contract.
        let addr = unsafe { read_sockaddr(name, namelen) }?;
        cx.world(|w| w.connect(s, addr)).map(|()| 0)
    })
}

/// Shuts down receiving, sending or both.
///
/// # Safety
/// Always safe to call; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn shutdown(s: SOCKET, how: WINSOCK_SHUTDOWN_HOW) -> i32 {
    let _span = tracing::debug_span!("shutdown", socket = s, how).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        cx.world(|w| w.shutdown(s, how)).map(|()| 0)
    })
}

/// Shared by getsockname and getpeername: the state error first, then the pointers, then the
/// size (which is left unchanged when too small).
///
/// # Safety
/// `name` / `namelen` as for getsockname.
unsafe fn write_name(
    name: *mut SOCKADDR,
    namelen: *mut i32,
    addr: std::net::SocketAddr,
) -> Result<i32> {
    if bad(name) || bad(namelen) {
        return Err(Errno::Fault);
    }
    // SAFETY: `namelen` is non-NULL and valid (caller contract).
    let have = unsafe { read(namelen) };
    let need = crate::wire::sockaddr::encode(&addr).len();
    if have < 0 || (have as usize) < need {
        return Err(Errno::Fault);
    }
    // SAFETY: `name` holds `have >= need` bytes (caller contract, checked above).
    unsafe { write_sockaddr(name, namelen, &addr) };
    Ok(0)
}

/// The socket's local address: WSAEINVAL while unbound.
///
/// # Safety
/// `name` and `namelen`, if not NULL, must be valid; `name` for `*namelen` bytes.
pub unsafe extern "system" fn getsockname(
    s: SOCKET,
    name: *mut SOCKADDR,
    namelen: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("getsockname", socket = s).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        let addr = cx.world(|w| w.local_addr(s))?;
        // SAFETY: forwarded caller contract.
        unsafe { write_name(name, namelen, addr) }
    })
}

/// The connected peer: WSAENOTCONN when not connected.
///
/// # Safety
/// `name` and `namelen`, if not NULL, must be valid; `name` for `*namelen` bytes.
pub unsafe extern "system" fn getpeername(
    s: SOCKET,
    name: *mut SOCKADDR,
    namelen: *mut i32,
) -> i32 {
    let _span = tracing::debug_span!("getpeername", socket = s).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        let addr = cx.world(|w| w.peer_addr(s))?;
        // SAFETY: forwarded caller contract.
        unsafe { write_name(name, namelen, addr) }
    })
}
