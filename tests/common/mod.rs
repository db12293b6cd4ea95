//! Helpers for tests that drive the `ws2` face as Windows code would.
#![allow(dead_code, clippy::missing_safety_doc)]

use std::mem::{size_of, zeroed};
use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6};

pub use winsock_sim::ws2::*;

/// WSAStartup(2.2), asserting success.
pub fn startup() {
    let mut data: WSADATA = unsafe { zeroed() };
    assert_eq!(unsafe { WSAStartup(0x0202, &mut data) }, 0);
}

pub fn last_error() -> i32 {
    unsafe { WSAGetLastError() }
}

/// A socket address in its Win32 form, as bytes plus length.
#[derive(Clone, Copy)]
pub struct Addr {
    pub storage: SOCKADDR_STORAGE,
    pub len: i32,
}

impl Addr {
    pub fn ptr(&self) -> *const SOCKADDR {
        &self.storage as *const _ as *const SOCKADDR
    }
    pub fn mut_ptr(&mut self) -> *mut SOCKADDR {
        &mut self.storage as *mut _ as *mut SOCKADDR
    }
    pub fn to_std(self) -> SocketAddr {
        from_raw(&self.storage, self.len)
    }
    pub fn with_port(&self, port: u16) -> Addr {
        let a = self.to_std();
        addr(&SocketAddr::new(a.ip(), port).to_string())
    }
}

/// Parses "127.0.0.1:5000" or "[::1]:5000" into a Win32 address.
pub fn addr(s: &str) -> Addr {
    let a: SocketAddr = s.parse().unwrap();
    let mut storage: SOCKADDR_STORAGE = unsafe { zeroed() };
    let len = match a {
        SocketAddr::V4(v4) => {
            let sin = SOCKADDR_IN {
                sin_family: AF_INET,
                sin_port: v4.port().to_be(),
                sin_addr: IN_ADDR {
                    S_un: IN_ADDR_0 {
                        S_addr: u32::from_ne_bytes(v4.ip().octets()),
                    },
                },
                sin_zero: [0; 8],
            };
            unsafe { (&mut storage as *mut _ as *mut SOCKADDR_IN).write(sin) };
            size_of::<SOCKADDR_IN>() as i32
        }
        SocketAddr::V6(v6) => {
            let mut sin6: SOCKADDR_IN6 = unsafe { zeroed() };
            sin6.sin6_family = AF_INET6;
            sin6.sin6_port = v6.port().to_be();
            sin6.sin6_addr.u.Byte = v6.ip().octets();
            unsafe { (&mut storage as *mut _ as *mut SOCKADDR_IN6).write(sin6) };
            size_of::<SOCKADDR_IN6>() as i32
        }
    };
    Addr { storage, len }
}

pub fn from_raw(storage: &SOCKADDR_STORAGE, len: i32) -> SocketAddr {
    match storage.ss_family {
        AF_INET => {
            assert!(len >= 16);
            let sin = unsafe { *(storage as *const _ as *const SOCKADDR_IN) };
            let ip = unsafe { sin.sin_addr.S_un.S_addr }.to_ne_bytes();
            SocketAddr::V4(SocketAddrV4::new(ip.into(), u16::from_be(sin.sin_port)))
        }
        AF_INET6 => {
            assert!(len >= 28);
            let sin6 = unsafe { *(storage as *const _ as *const SOCKADDR_IN6) };
            let ip = unsafe { sin6.sin6_addr.u.Byte };
            SocketAddr::V6(SocketAddrV6::new(
                ip.into(),
                u16::from_be(sin6.sin6_port),
                0,
                0,
            ))
        }
        f => panic!("unexpected family {f}"),
    }
}

/// socket(af, SOCK_DGRAM, IPPROTO_UDP), asserting success.
pub fn udp(af: u16) -> SOCKET {
    let s = unsafe { socket(af as i32, SOCK_DGRAM, IPPROTO_UDP) };
    assert_ne!(s, INVALID_SOCKET, "socket failed: {}", last_error());
    s
}

/// A UDP socket bound to `at` ("127.0.0.1:0" picks a port); returns it with its address.
pub fn bound(at: &str) -> (SOCKET, Addr) {
    let mut a = addr(at);
    let s = udp(a.storage.ss_family);
    assert_eq!(
        unsafe { bind(s, a.ptr(), a.len) },
        0,
        "bind {at}: {}",
        last_error()
    );
    let mut len = size_of::<SOCKADDR_STORAGE>() as i32;
    assert_eq!(unsafe { getsockname(s, a.mut_ptr(), &mut len) }, 0);
    a.len = len;
    (s, a)
}

pub fn send_to(s: SOCKET, data: &[u8], to: &Addr) -> i32 {
    unsafe { sendto(s, data.as_ptr(), data.len() as i32, 0, to.ptr(), to.len) }
}

/// sendto that must succeed.
pub fn must_send(s: SOCKET, data: &[u8], to: &Addr) {
    assert_eq!(
        send_to(s, data, to),
        data.len() as i32,
        "sendto: {}",
        last_error()
    );
}

pub fn set_u32(s: SOCKET, level: i32, name: i32, v: u32) {
    let r = unsafe { setsockopt(s, level, name, &v as *const u32 as *const u8, 4) };
    assert_eq!(r, 0, "setsockopt({level}, {name}): {}", last_error());
}

pub fn get_u32(s: SOCKET, level: i32, name: i32) -> u32 {
    let mut v = 0u32;
    let mut len = 4;
    let r = unsafe { getsockopt(s, level, name, &mut v as *mut u32 as *mut u8, &mut len) };
    assert_eq!(r, 0, "getsockopt({level}, {name}): {}", last_error());
    v
}

pub fn set_nonblocking(s: SOCKET, on: bool) {
    let mut v = u32::from(on);
    assert_eq!(unsafe { ioctlsocket(s, FIONBIO, &mut v) }, 0);
}

/// WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG).
pub fn recvmsg_fn(
    s: SOCKET,
) -> unsafe extern "system" fn(
    SOCKET,
    *mut WSAMSG,
    *mut u32,
    *mut windows_sys::Win32::System::IO::OVERLAPPED,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    let guid = WSAID_WSARECVMSG;
    let mut f: LPFN_WSARECVMSG = None;
    let mut n = 0u32;
    let r = unsafe {
        WSAIoctl(
            s,
            SIO_GET_EXTENSION_FUNCTION_POINTER,
            &guid as *const _ as *const core::ffi::c_void,
            size_of::<windows_sys::core::GUID>() as u32,
            &mut f as *mut _ as *mut core::ffi::c_void,
            size_of::<LPFN_WSARECVMSG>() as u32,
            &mut n,
            std::ptr::null_mut(),
            None,
        )
    };
    assert_eq!(r, 0, "WSAIoctl: {}", last_error());
    assert_eq!(n, 8);
    f.expect("a function pointer")
}

/// Fill byte for buffers, to see what a call did not touch.
pub const FILL: u8 = 0xCC;

/// Everything a WSARecvMsg call returned or wrote.
#[derive(Debug, Clone)]
pub struct MsgOut {
    pub ret: i32,
    pub err: i32,
    pub bytes: u32,
    pub bufs: Vec<Vec<u8>>,
    pub name: Option<SocketAddr>,
    pub namelen: i32,
    pub control: Vec<u8>,
    pub control_len: u32,
    pub flags: u32,
}

impl MsgOut {
    pub fn data(&self) -> Vec<u8> {
        self.bufs.concat()
    }
}

/// How to call WSARecvMsg.
#[derive(Clone, Debug)]
pub struct MsgIn {
    pub bufs: Vec<u32>,
    pub namelen: Option<i32>,
    pub control: Option<u32>,
    pub flags: u32,
}

impl Default for MsgIn {
    fn default() -> Self {
        MsgIn {
            bufs: vec![64],
            namelen: Some(size_of::<SOCKADDR_STORAGE>() as i32),
            control: Some(64),
            flags: 0,
        }
    }
}

/// Calls WSARecvMsg (synchronously) with freshly filled buffers and reports everything.
pub fn recv_msg(s: SOCKET, input: &MsgIn) -> MsgOut {
    let f = recvmsg_fn(s);
    let mut data: Vec<Vec<u8>> = input.bufs.iter().map(|&n| vec![FILL; n as usize]).collect();
    let mut wsabufs: Vec<WSABUF> = data
        .iter_mut()
        .map(|b| WSABUF {
            len: b.len() as u32,
            buf: b.as_mut_ptr(),
        })
        .collect();
    let mut name: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut control = vec![FILL; input.control.unwrap_or(0) as usize];
    let mut msg = WSAMSG {
        name: if input.namelen.is_some() {
            &mut name as *mut _ as *mut SOCKADDR
        } else {
            std::ptr::null_mut()
        },
        namelen: input.namelen.unwrap_or(0),
        lpBuffers: wsabufs.as_mut_ptr(),
        dwBufferCount: wsabufs.len() as u32,
        Control: WSABUF {
            len: input.control.unwrap_or(0),
            buf: if input.control.is_some() {
                control.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            },
        },
        dwFlags: input.flags,
    };
    let mut bytes = 0xDEAD_BEEF_u32;
    unsafe { WSASetLastError(0x1234) };
    let ret = unsafe { f(s, &mut msg, &mut bytes, std::ptr::null_mut(), None) };
    let err = last_error();
    let name_out =
        (input.namelen.is_some() && name.ss_family != 0).then(|| from_raw(&name, msg.namelen));
    MsgOut {
        ret,
        err,
        bytes,
        bufs: data,
        name: name_out,
        namelen: msg.namelen,
        control,
        control_len: msg.Control.len,
        flags: msg.dwFlags,
    }
}

/// One parsed control message: (cmsg_len, level, type, data).
pub fn cmsgs(control: &[u8], len: u32) -> Vec<(u64, i32, i32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut off = 0usize;
    let len = len as usize;
    while off + 16 <= len {
        let clen = u64::from_le_bytes(control[off..off + 8].try_into().unwrap());
        let level = i32::from_le_bytes(control[off + 8..off + 12].try_into().unwrap());
        let ty = i32::from_le_bytes(control[off + 12..off + 16].try_into().unwrap());
        out.push((
            clen,
            level,
            ty,
            control[off + 16..off + clen as usize].to_vec(),
        ));
        off += (clen as usize).div_ceil(8) * 8;
    }
    out
}

/// recvfrom with a `len`-byte buffer and a name buffer of `fromlen` bytes (None: NULL).
pub fn recv_from(
    s: SOCKET,
    len: usize,
    fromlen: Option<i32>,
) -> (i32, i32, Vec<u8>, Option<SocketAddr>, i32) {
    let mut buf = vec![FILL; len];
    let mut from: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut flen = fromlen.unwrap_or(0);
    let (fp, lp) = if fromlen.is_some() {
        (&mut from as *mut _ as *mut SOCKADDR, &mut flen as *mut i32)
    } else {
        (std::ptr::null_mut(), std::ptr::null_mut())
    };
    unsafe { WSASetLastError(0x1234) };
    let r = unsafe { recvfrom(s, buf.as_mut_ptr(), len as i32, 0, fp, lp) };
    let err = last_error();
    let name = (from.ss_family != 0).then(|| from_raw(&from, flen));
    (r, err, buf, name, flen)
}

/// The simulation this thread is using, through the face's view of it.
pub fn close(s: SOCKET) {
    assert_eq!(unsafe { closesocket(s) }, 0);
}

/// A WSABUF over `buf`.
pub fn wsabuf(buf: &mut [u8]) -> WSABUF {
    WSABUF {
        len: buf.len() as u32,
        buf: buf.as_mut_ptr(),
    }
}

/// A WSAMSG with the one buffer `b`, no name and no control buffer; a test changes the
/// fields it is about before the call.
pub fn msg_with(b: &mut WSABUF) -> WSAMSG {
    WSAMSG {
        name: std::ptr::null_mut(),
        namelen: 0,
        lpBuffers: b,
        dwBufferCount: 1,
        Control: WSABUF {
            len: 0,
            buf: std::ptr::null_mut(),
        },
        dwFlags: 0,
    }
}

/// A synchronous WSAIoctl: `input` / `output` None for NULL; returns (result, last error).
pub fn ioctl(
    s: SOCKET,
    code: u32,
    input: Option<&[u8]>,
    output: Option<&mut [u8]>,
    returned: *mut u32,
) -> (i32, i32) {
    let (ip, il) = input.map_or((std::ptr::null(), 0), |i| (i.as_ptr(), i.len() as u32));
    let (op, ol) = output.map_or((std::ptr::null_mut(), 0), |o| {
        (o.as_mut_ptr(), o.len() as u32)
    });
    unsafe { WSASetLastError(0x1234) };
    let r = unsafe {
        WSAIoctl(
            s,
            code,
            ip as _,
            il,
            op as _,
            ol,
            returned,
            std::ptr::null_mut(),
            None,
        )
    };
    (r, if r == 0 { 0 } else { last_error() })
}

pub use windows_sys::Win32::System::IO::OVERLAPPED;
pub use winsock_sim::kernel32;

/// Everything an overlapped WSARecvMsg needs, each part boxed so that its address stays put
/// while the request is pending, even if the `OvMsg` itself moves (the caller must keep it
/// alive until completion).
pub struct OvMsg {
    pub ov: Box<OVERLAPPED>,
    pub data: Box<[u8]>,
    pub wsabuf: Box<WSABUF>,
    pub name: Box<SOCKADDR_STORAGE>,
    pub control: Box<[u8]>,
    pub msg: Box<WSAMSG>,
}

impl OvMsg {
    /// A request with a `len`-byte buffer, a name buffer, a `control`-byte control buffer and
    /// `event` as hEvent.
    pub fn new(len: usize, control: usize, event: isize) -> OvMsg {
        let mut m = OvMsg {
            ov: Box::new(unsafe { zeroed() }),
            data: vec![FILL; len].into_boxed_slice(),
            wsabuf: Box::new(WSABUF {
                len: 0,
                buf: std::ptr::null_mut(),
            }),
            name: Box::new(unsafe { zeroed() }),
            control: vec![FILL; control].into_boxed_slice(),
            msg: Box::new(unsafe { zeroed() }),
        };
        m.ov.hEvent = event as _;
        m.wsabuf.len = len as u32;
        m.wsabuf.buf = m.data.as_mut_ptr();
        m.msg.name = &mut *m.name as *mut _ as *mut SOCKADDR;
        m.msg.namelen = size_of::<SOCKADDR_STORAGE>() as i32;
        m.msg.lpBuffers = &mut *m.wsabuf;
        m.msg.dwBufferCount = 1;
        m.msg.Control = WSABUF {
            len: control as u32,
            buf: if control > 0 {
                m.control.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            },
        };
        m
    }

    /// Posts it with WSARecvMsg: (return value, last error).
    pub fn post(&mut self, s: SOCKET, routine: LPWSAOVERLAPPED_COMPLETION_ROUTINE) -> (i32, i32) {
        let f = recvmsg_fn(s);
        unsafe { WSASetLastError(0x1234) };
        let r = unsafe {
            f(
                s,
                &mut *self.msg,
                std::ptr::null_mut(),
                &mut *self.ov,
                routine,
            )
        };
        (r, last_error())
    }

    pub fn ov_ptr(&mut self) -> *mut OVERLAPPED {
        &mut *self.ov
    }

    /// (Internal, InternalHigh).
    pub fn status(&self) -> (usize, usize) {
        (self.ov.Internal, self.ov.InternalHigh)
    }
}

/// STATUS_PENDING.
pub const PENDING: usize = 0x103;

/// WSAGetOverlappedResult: (result, last error, bytes, flags).
pub fn overlapped_result(s: SOCKET, ov: *const OVERLAPPED, wait: bool) -> (i32, i32, u32, u32) {
    let (mut bytes, mut flags) = (0xDEAD_BEEF_u32, 0xDEAD_BEEF_u32);
    unsafe { WSASetLastError(0x1234) };
    let r = unsafe { WSAGetOverlappedResult(s, ov, &mut bytes, i32::from(wait), &mut flags) };
    (r, last_error(), bytes, flags)
}

/// A new manual-reset event (WSACreateEvent).
pub fn event() -> isize {
    let e = unsafe { WSACreateEvent() };
    assert_ne!(e, 0);
    e
}

/// Whether an event is signalled (a zero-timeout wait).
pub fn signalled(e: isize) -> bool {
    let h = e as windows_sys::Win32::Foundation::HANDLE;
    unsafe { WSAWaitForMultipleEvents(1, &h, 0, 0, 0) == 0 }
}

/// After WSAStartup: an overlapped receiver on 127.0.0.1 (with its address) and a sender.
pub fn ov_pair() -> (SOCKET, Addr, SOCKET) {
    startup();
    let (rx, rx_addr) = overlapped_socket("127.0.0.1:0");
    let (tx, _) = bound("127.0.0.1:0");
    (rx, rx_addr, tx)
}

/// A socket made with WSA_FLAG_OVERLAPPED (as socket() makes them) bound to `at`.
pub fn overlapped_socket(at: &str) -> (SOCKET, Addr) {
    bound(at)
}

/// A new completion port with `s` associated under `key`.
pub fn port_for(s: SOCKET, key: usize) -> kernel32::HANDLE {
    let port = unsafe { kernel32::CreateIoCompletionPort(s as _, std::ptr::null_mut(), key, 0) };
    assert!(!port.is_null(), "CreateIoCompletionPort: {}", last_error());
    port
}

/// What GetQueuedCompletionStatus returned: (result, last error when FALSE, bytes, key,
/// OVERLAPPED). The outputs start as 0xDEAD_BEEF so a test sees what was left untouched.
#[derive(Debug, PartialEq, Eq)]
pub struct Dequeued {
    pub ok: i32,
    pub err: u32,
    pub bytes: u32,
    pub key: usize,
    pub ov: usize,
}

pub fn gqcs(port: kernel32::HANDLE, ms: u32) -> Dequeued {
    let (mut bytes, mut key) = (0xDEAD_BEEF_u32, 0xDEAD_BEEF_usize);
    let mut ov = 0xDEAD_BEEF_usize as *mut OVERLAPPED;
    unsafe { kernel32::SetLastError(0x1234) };
    let ok =
        unsafe { kernel32::GetQueuedCompletionStatus(port, &mut bytes, &mut key, &mut ov, ms) };
    let err = if ok == 0 {
        unsafe { kernel32::GetLastError() }
    } else {
        0
    };
    Dequeued {
        ok,
        err,
        bytes,
        key,
        ov: ov as usize,
    }
}
