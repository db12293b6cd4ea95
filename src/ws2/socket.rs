//! Creating, naming, connecting and closing sockets.

use windows_sys::Win32::Networking::WinSock::{
    INVALID_SOCKET, SOCKADDR, SOCKET, SOCKET_ERROR, WINSOCK_SHUTDOWN_HOW, WINSOCK_SOCKET_TYPE,
    WSAPROTOCOL_INFOA, WSAPROTOCOL_INFOW, WSA_FLAG_OVERLAPPED,
};

use super::face::{self, Cx};
use super::mem::{bad, read, read_sockaddr, write_sockaddr};
use crate::error::{Errno, Result};
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
    face::call(INVALID_SOCKET, |cx| {
        create(cx, af, r#type, protocol, WSA_FLAG_OVERLAPPED)
    })
}

/// Creates a socket. Arguments left 0 or FROM_PROTOCOL_INFO are taken from `lpprotocolinfo`
/// when one is given. Socket groups are not supported (`g` must be 0).
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
    face::call(INVALID_SOCKET, |cx| {
        let info = if lpprotocolinfo.is_null() {
            None
        } else if bad(lpprotocolinfo) {
            return Err(Errno::Fault);
        } else {
            // SAFETY: non-NULL, valid for a WSAPROTOCOL_INFOW (caller contract).
            let i = unsafe { read(lpprotocolinfo) };
            Some((i.iAddressFamily, i.iSocketType, i.iProtocol))
        };
        create_with_info(cx, (af, r#type, protocol), info, g, dwflags)
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
    face::call(INVALID_SOCKET, |cx| {
        let info = if lpprotocolinfo.is_null() {
            None
        } else if bad(lpprotocolinfo) {
            return Err(Errno::Fault);
        } else {
            // SAFETY: non-NULL, valid for a WSAPROTOCOL_INFOA (caller contract).
            let i = unsafe { read(lpprotocolinfo) };
            Some((i.iAddressFamily, i.iSocketType, i.iProtocol))
        };
        create_with_info(cx, (af, r#type, protocol), info, g, dwflags)
    })
}

fn create_with_info(
    cx: &Cx,
    (af, ty, proto): (i32, i32, i32),
    info: Option<(i32, i32, i32)>,
    g: u32,
    flags: u32,
) -> Result<SOCKET> {
    cx.init()?;
    if g != 0 {
        return Err(Errno::Inval);
    }
    let (af, ty, proto) = match info {
        None => (af, ty, proto),
        Some((iaf, ity, iproto)) => {
            let pick = |arg: i32, from: i32| if arg == 0 || arg == -1 { from } else { arg };
            (pick(af, iaf), pick(ty, ity), pick(proto, iproto))
        }
    };
    create(cx, af, ty, proto, flags)
}

fn create(cx: &Cx, af: i32, ty: i32, proto: i32, flags: u32) -> Result<SOCKET> {
    cx.init()?;
    let (family, kind) = lifecycle_resolve(af, ty, proto)?;
    cx.world(|w| w.create_socket(cx.host, family, kind, flags & WSA_FLAG_OVERLAPPED != 0))
}

/// Closes a socket.
///
/// # Safety
/// Always safe to call; `unsafe` only to match windows-sys.
pub unsafe extern "system" fn closesocket(s: SOCKET) -> i32 {
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        cx.world(|w| w.close(s)).map(|()| 0)
    })
}

/// Binds a socket.
///
/// # Safety
/// `name`, if not NULL, must be valid for reads of `namelen` bytes.
pub unsafe extern "system" fn bind(s: SOCKET, name: *const SOCKADDR, namelen: i32) -> i32 {
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
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        let addr = cx.world(|w| w.peer_addr(s))?;
        // SAFETY: forwarded caller contract.
        unsafe { write_name(name, namelen, addr) }
    })
}
