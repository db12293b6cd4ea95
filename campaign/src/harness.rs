//! The conformance harness: one sequence of operations run on the simulator's Win32 face and
//! on the reference model (`winsock-sim-model`), their observations compared after every
//! step, and the invariants checked at the end: every datagram accounted for, no simulator
//! bug caught, and the same seed giving the same trace bytes.
//!
//! It is self-contained (it needs only the simulator, the model and windows-sys), so that the
//! cargo-fuzz target `ops_vs_model` includes this very file and drives it with fuzzer input.

#![allow(dead_code)]

use std::cell::RefCell;
use std::mem::{size_of, zeroed};
use std::net::{SocketAddr, SocketAddrV4};

use winsock_sim::kernel32;
use winsock_sim::ws2::*;
use winsock_sim::{Diagnostic, Fault, FaultRule, Personality, Sim};
use winsock_sim_model::{code, Api, Call, Notify, Outcome, Socket as Model};

/// Fill byte for buffers (payload bytes are never 0xCC, so what a call wrote is visible).
const FILL: u8 = 0xCC;

/// One step of a campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A datagram of this many bytes from the peer.
    Send(usize),
    /// A datagram from the peer that a one-shot fault loses.
    SendLost(usize),
    /// A datagram from the peer that a one-shot fault duplicates.
    SendTwice(usize),
    /// The receiver sends to a closed port: an ICMP port unreachable comes back.
    IcmpUnreachable,
    /// The receiver sends a datagram that expires in transit: an ICMP time exceeded comes
    /// back.
    IcmpTtl,
    /// IP_PKTINFO on or off.
    Pktinfo(bool),
    /// IP_RECVTTL on or off.
    RecvTtl(bool),
    /// FIONBIO.
    Nonblocking(bool),
    /// SIO_UDP_CONNRESET.
    ConnReset(bool),
    /// SIO_UDP_NETRESET.
    NetReset(bool),
    /// A synchronous receive.
    Receive(Call),
    /// An overlapped receive (WSARecv, WSARecvFrom or WSARecvMsg).
    Post(Call, Notify),
    /// SleepEx(0, TRUE).
    Wait,
    /// CancelIoEx for the posted request with this index (modulo their number), or all.
    Cancel(Option<u8>),
    /// WSAGetOverlappedResult(fWait FALSE) for a posted request (index modulo their number).
    Result(u8),
    /// GetQueuedCompletionStatus with a zero timeout (when the socket has a port).
    Dequeue,
    /// FIONREAD.
    Fionread,
    /// closesocket on the receiver.
    Close,
}

/// A campaign case: the seed, whether the receiver has a completion port, the operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The simulation's seed (it decides the completion-routine orders).
    pub seed: u64,
    /// The receiver is associated with a completion port.
    pub port: bool,
    /// The operations.
    pub ops: Vec<Op>,
}

/// Payload bytes never equal FILL, so what a call wrote is visible.
fn payload(n: usize, salt: usize) -> Vec<u8> {
    (0..n).map(|i| ((i + salt) % 200) as u8).collect()
}

fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => unreachable!("the campaign uses IPv4"),
    }
}

fn last_error() -> i32 {
    unsafe { WSAGetLastError() }
}

fn sockaddr(a: SocketAddrV4) -> SOCKADDR_IN {
    SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: a.port().to_be(),
        sin_addr: IN_ADDR {
            S_un: IN_ADDR_0 {
                S_addr: u32::from_ne_bytes(a.ip().octets()),
            },
        },
        sin_zero: [0; 8],
    }
}

fn from_sockaddr(s: &SOCKADDR_STORAGE) -> SocketAddrV4 {
    // SAFETY: an AF_INET name the simulator wrote; SOCKADDR_STORAGE is large enough.
    let sin = unsafe { *(s as *const _ as *const SOCKADDR_IN) };
    // SAFETY: reading the address union as its integer form.
    let ip = unsafe { sin.sin_addr.S_un.S_addr }.to_ne_bytes();
    SocketAddrV4::new(ip.into(), u16::from_be(sin.sin_port))
}

fn bind_udp(at: SocketAddrV4) -> (SOCKET, SocketAddrV4) {
    unsafe {
        let s = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let a = sockaddr(at);
        assert_eq!(bind(s, &a as *const _ as *const SOCKADDR, 16), 0);
        let mut got: SOCKADDR_STORAGE = zeroed();
        let mut len = size_of::<SOCKADDR_STORAGE>() as i32;
        assert_eq!(
            getsockname(s, &mut got as *mut _ as *mut SOCKADDR, &mut len),
            0
        );
        (s, from_sockaddr(&got))
    }
}

fn send_to(s: SOCKET, data: &[u8], to: SocketAddrV4) -> i32 {
    let a = sockaddr(to);
    unsafe {
        sendto(
            s,
            data.as_ptr(),
            data.len() as i32,
            0,
            &a as *const _ as *const SOCKADDR,
            16,
        )
    }
}

fn set_u32(s: SOCKET, level: i32, name: i32, v: u32) -> i32 {
    let r = unsafe { setsockopt(s, level, name, &v as *const u32 as *const u8, 4) };
    if r == 0 {
        0
    } else {
        last_error()
    }
}

fn ioctl_u32(s: SOCKET, code: u32, v: u32) -> i32 {
    let mut n = 0u32;
    let r = unsafe {
        WSAIoctl(
            s,
            code,
            &v as *const u32 as *const _,
            4,
            std::ptr::null_mut(),
            0,
            &mut n,
            std::ptr::null_mut(),
            None,
        )
    };
    if r == 0 {
        0
    } else {
        last_error()
    }
}

type RecvMsgFn = unsafe extern "system" fn(
    SOCKET,
    *mut WSAMSG,
    *mut u32,
    *mut kernel32::OVERLAPPED,
    LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32;

fn recvmsg_fn(s: SOCKET) -> RecvMsgFn {
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
    assert_eq!(r, 0);
    f.expect("WSARecvMsg")
}

/// The prefix of `b` up to its last byte that is not FILL: what a call wrote.
fn written(b: &[u8]) -> Vec<u8> {
    let n = b.iter().rposition(|&x| x != FILL).map_or(0, |i| i + 1);
    b[..n].to_vec()
}

/// A synchronous receive on the face, described in the model's terms.
fn face_receive(s: SOCKET, recvmsg: RecvMsgFn, c: &Call) -> Outcome {
    let mut bufs: Vec<Vec<u8>> = c.buffers.iter().map(|&n| vec![FILL; n]).collect();
    let mut wsabufs: Vec<WSABUF> = bufs
        .iter_mut()
        .map(|b| WSABUF {
            len: b.len() as u32,
            buf: b.as_mut_ptr(),
        })
        .collect();
    let mut name: SOCKADDR_STORAGE = unsafe { zeroed() };
    let name_ptr = if c.name_len.is_some() {
        &mut name as *mut _ as *mut SOCKADDR
    } else {
        std::ptr::null_mut()
    };
    let mut namelen = c.name_len.unwrap_or(0);
    let namelen_ptr: *mut i32 = if c.name_len.is_some() {
        &mut namelen
    } else {
        std::ptr::null_mut()
    };
    let mut control = vec![FILL; c.control_len.unwrap_or(0) as usize];
    let mut count = 0xDEAD_BEEF_u32;
    let mut flags = c.flags;
    let mut control_len = c.control_len.unwrap_or(0);
    let ret = unsafe {
        match c.api {
            Api::Recv => recv(s, bufs[0].as_mut_ptr(), c.buffers[0] as i32, c.flags as i32),
            Api::RecvFrom => recvfrom(
                s,
                bufs[0].as_mut_ptr(),
                c.buffers[0] as i32,
                c.flags as i32,
                name_ptr,
                namelen_ptr,
            ),
            Api::WsaRecv => WSARecv(
                s,
                wsabufs.as_ptr(),
                wsabufs.len() as u32,
                &mut count,
                &mut flags,
                std::ptr::null_mut(),
                None,
            ),
            Api::WsaRecvFrom => WSARecvFrom(
                s,
                wsabufs.as_ptr(),
                wsabufs.len() as u32,
                &mut count,
                &mut flags,
                name_ptr,
                namelen_ptr,
                std::ptr::null_mut(),
                None,
            ),
            Api::WsaRecvMsg => {
                let mut msg = WSAMSG {
                    name: name_ptr,
                    namelen,
                    lpBuffers: wsabufs.as_mut_ptr(),
                    dwBufferCount: wsabufs.len() as u32,
                    Control: WSABUF {
                        len: c.control_len.unwrap_or(0),
                        buf: if c.control_len.is_some() {
                            control.as_mut_ptr()
                        } else {
                            std::ptr::null_mut()
                        },
                    },
                    dwFlags: c.flags,
                };
                let r = recvmsg(s, &mut msg, &mut count, std::ptr::null_mut(), None);
                namelen = msg.namelen;
                flags = msg.dwFlags;
                control_len = msg.Control.len;
                r
            }
        }
    };
    let err = last_error();
    let delivered = ret != SOCKET_ERROR || err == WSAEMSGSIZE;
    let sync_only = matches!(c.api, Api::Recv | Api::RecvFrom);
    Outcome {
        result: match (c.api, ret) {
            (_, SOCKET_ERROR) => Err(err),
            (Api::Recv | Api::RecvFrom, n) => Ok(n as usize),
            _ => Ok(count as usize),
        },
        written: bufs.iter().map(|b| written(b)).collect(),
        count: (!sync_only && count != 0xDEAD_BEEF).then_some(count),
        name: (name.ss_family != 0).then(|| (from_sockaddr(&name), namelen)),
        control: (c.api == Api::WsaRecvMsg && delivered)
            .then(|| (control[..control_len as usize].to_vec(), control_len)),
        flags: (!sync_only && delivered).then_some(flags),
    }
}

/// The model leaves the buffers of a failed call empty, and reports control bytes only for a
/// delivered datagram; normalise both sides the same way.
fn normalise(mut o: Outcome, c: &Call) -> Outcome {
    o.written.resize(c.buffers.len(), Vec::new());
    if o.result.is_err() && o.result != Err(code::MSGSIZE) {
        o.control = None;
        o.flags = None;
        o.count = None;
    }
    o
}

/// An overlapped receive's memory on the face: everything stays put until completion.
struct Posted {
    call: Call,
    ov: Box<kernel32::OVERLAPPED>,
    bufs: Vec<Box<[u8]>>,
    wsabufs: Box<[WSABUF]>,
    name: Box<SOCKADDR_STORAGE>,
    namelen: Box<i32>,
    control: Box<[u8]>,
    msg: Box<WSAMSG>,
    flags: Box<u32>,
    event: isize,
}

thread_local! {
    /// Completion routine calls: (OVERLAPPED, dwError, cbTransferred, dwFlags).
    static ROUTINES: RefCell<Vec<(usize, u32, u32, u32)>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn routine(
    error: u32,
    bytes: u32,
    ov: *mut kernel32::OVERLAPPED,
    flags: u32,
) {
    ROUTINES.with(|r| r.borrow_mut().push((ov as usize, error, bytes, flags)));
}

impl Posted {
    fn new(call: &Call, notify: Notify) -> Box<Posted> {
        let mut p = Box::new(Posted {
            call: call.clone(),
            ov: Box::new(unsafe { zeroed() }),
            bufs: call
                .buffers
                .iter()
                .map(|&n| vec![FILL; n].into_boxed_slice())
                .collect(),
            wsabufs: Vec::new().into_boxed_slice(),
            name: Box::new(unsafe { zeroed() }),
            namelen: Box::new(call.name_len.unwrap_or(0)),
            control: vec![FILL; call.control_len.unwrap_or(0) as usize].into_boxed_slice(),
            msg: Box::new(unsafe { zeroed() }),
            flags: Box::new(call.flags),
            event: 0,
        });
        p.ov.InternalHigh = 0x5A5A;
        p.wsabufs = p
            .bufs
            .iter_mut()
            .map(|b| WSABUF {
                len: b.len() as u32,
                buf: b.as_mut_ptr(),
            })
            .collect();
        if notify == Notify::Event {
            p.event = unsafe { WSACreateEvent() } as isize;
            p.ov.hEvent = p.event as _;
        }
        *p.msg = WSAMSG {
            name: if call.name_len.is_some() {
                &mut *p.name as *mut _ as *mut SOCKADDR
            } else {
                std::ptr::null_mut()
            },
            namelen: call.name_len.unwrap_or(0),
            lpBuffers: p.wsabufs.as_mut_ptr(),
            dwBufferCount: p.wsabufs.len() as u32,
            Control: WSABUF {
                len: call.control_len.unwrap_or(0),
                buf: if call.control_len.is_some() {
                    p.control.as_mut_ptr()
                } else {
                    std::ptr::null_mut()
                },
            },
            dwFlags: call.flags,
        };
        p
    }

    /// Posts it: (result, last error, byte count if written).
    fn post(&mut self, s: SOCKET, recvmsg: RecvMsgFn, notify: Notify) -> (i32, i32, Option<u32>) {
        let r = if notify == Notify::Routine {
            Some(routine as unsafe extern "system" fn(u32, u32, *mut kernel32::OVERLAPPED, u32))
        } else {
            None
        };
        let mut count = 0xDEAD_BEEF_u32;
        let name_ptr = self.msg.name;
        let namelen_ptr: *mut i32 = if self.call.name_len.is_some() {
            &mut *self.namelen
        } else {
            std::ptr::null_mut()
        };
        let ret = unsafe {
            match self.call.api {
                Api::WsaRecv => WSARecv(
                    s,
                    self.wsabufs.as_ptr(),
                    self.wsabufs.len() as u32,
                    &mut count,
                    &mut *self.flags,
                    &mut *self.ov,
                    r,
                ),
                Api::WsaRecvFrom => WSARecvFrom(
                    s,
                    self.wsabufs.as_ptr(),
                    self.wsabufs.len() as u32,
                    &mut count,
                    &mut *self.flags,
                    name_ptr,
                    namelen_ptr,
                    &mut *self.ov,
                    r,
                ),
                Api::WsaRecvMsg => recvmsg(s, &mut *self.msg, &mut count, &mut *self.ov, r),
                Api::Recv | Api::RecvFrom => unreachable!("no OVERLAPPED"),
            }
        };
        let err = if ret == 0 { 0 } else { last_error() };
        (ret, err, (count != 0xDEAD_BEEF).then_some(count))
    }

    fn ov_addr(&self) -> usize {
        &*self.ov as *const kernel32::OVERLAPPED as usize
    }
}

/// What differs, for the failure message.
fn differ<T: std::fmt::Debug + PartialEq>(
    step: usize,
    what: &str,
    sim: T,
    model: T,
) -> Result<(), String> {
    if sim == model {
        Ok(())
    } else {
        Err(format!(
            "step {step} ({what}): simulator {sim:?}, model {model:?}"
        ))
    }
}

/// Runs `sc` and checks it: the simulator against the model after every step, the ledger,
/// the diagnostics, and a second run's trace. Returns the trace on success.
pub fn run(sc: &Scenario) -> Result<String, String> {
    run_as(sc, Personality::Windows)
}

/// `run` on a simulator with another personality. The model describes Windows, so under
/// `Personality::Wine8` a disagreement shows where Wine would behave differently.
pub fn run_as(sc: &Scenario, personality: Personality) -> Result<String, String> {
    let first = execute(sc, personality)?;
    let again = execute(sc, personality)?;
    if first != again {
        return Err("the same seed gave two different traces".to_string());
    }
    Ok(first)
}

fn execute(sc: &Scenario, personality: Personality) -> Result<String, String> {
    ROUTINES.with(|r| r.borrow_mut().clear());
    let sim = Sim::builder()
        .seed(sc.seed)
        .personality(personality)
        .build();
    let _g = sim.enter();
    let mut wsa: WSADATA = unsafe { zeroed() };
    assert_eq!(unsafe { WSAStartup(0x0202, &mut wsa) }, 0);
    let (rx, rx_addr) = bind_udp("127.0.0.1:0".parse().unwrap());
    let (tx, tx_addr) = bind_udp("127.0.0.1:0".parse().unwrap());
    let recvmsg = recvmsg_fn(rx);
    let port = if sc.port {
        let p = unsafe { kernel32::CreateIoCompletionPort(rx as _, std::ptr::null_mut(), 7, 0) };
        assert!(!p.is_null());
        p
    } else {
        std::ptr::null_mut()
    };
    let mut model = Model::bound(rx_addr);
    model.port = sc.port;
    let mut posted: Vec<Box<Posted>> = Vec::new();
    // Which model request each face request is (only accepted posts are kept).
    for (i, op) in sc.ops.iter().enumerate() {
        match op {
            Op::Send(n) | Op::SendLost(n) | Op::SendTwice(n) => {
                let p = payload(*n, i);
                let fault = match op {
                    Op::SendLost(_) => Some(Fault::Drop),
                    Op::SendTwice(_) => Some(Fault::Duplicate { copies: 1 }),
                    _ => None,
                };
                if let Some(f) = fault {
                    sim.add_fault(FaultRule::global(f).times(1));
                }
                differ(i, "sendto", send_to(tx, &p, rx_addr), p.len() as i32)?;
                sim.clear_faults();
                let copies = match op {
                    Op::SendLost(_) => 0,
                    Op::SendTwice(_) => 2,
                    _ => 1,
                };
                for _ in 0..copies {
                    model.arrive(p.clone(), tx_addr, 128);
                }
            }
            Op::IcmpUnreachable | Op::IcmpTtl => {
                let to = SocketAddrV4::new(*tx_addr.ip(), 9);
                let unreachable = *op == Op::IcmpUnreachable;
                if !unreachable {
                    sim.add_fault(FaultRule::global(Fault::ExpireTtl).times(1));
                }
                let sent = send_to(rx, b"?", if unreachable { to } else { tx_addr });
                sim.clear_faults();
                if model.closed {
                    differ(i, "sendto after close", sent, SOCKET_ERROR)?;
                } else {
                    differ(i, "sendto", sent, 1)?;
                    model.icmp(unreachable);
                }
            }
            Op::Pktinfo(on) | Op::RecvTtl(on) => {
                let name = if matches!(op, Op::Pktinfo(_)) {
                    IP_PKTINFO
                } else {
                    IP_RECVTTL
                };
                let r = set_u32(rx, IPPROTO_IP, name, u32::from(*on));
                differ(
                    i,
                    "setsockopt",
                    r,
                    if model.closed { code::NOTSOCK } else { 0 },
                )?;
                if !model.closed {
                    if matches!(op, Op::Pktinfo(_)) {
                        model.opts.pktinfo = *on;
                    } else {
                        model.opts.recvttl = *on;
                    }
                }
            }
            Op::Nonblocking(on) => {
                let mut v = u32::from(*on);
                let r = unsafe { ioctlsocket(rx, FIONBIO, &mut v) };
                let r = if r == 0 { 0 } else { last_error() };
                differ(
                    i,
                    "FIONBIO",
                    r,
                    if model.closed { code::NOTSOCK } else { 0 },
                )?;
                model.nonblocking = *on;
            }
            Op::ConnReset(on) | Op::NetReset(on) => {
                let ioctl = if matches!(op, Op::ConnReset(_)) {
                    SIO_UDP_CONNRESET
                } else {
                    SIO_UDP_NETRESET
                };
                let r = ioctl_u32(rx, ioctl, u32::from(*on));
                differ(
                    i,
                    "SIO_UDP_*RESET",
                    r,
                    if model.closed { code::NOTSOCK } else { 0 },
                )?;
                if matches!(op, Op::ConnReset(_)) {
                    model.connreset = *on;
                } else {
                    model.netreset = *on;
                }
            }
            Op::Receive(c) => {
                let want = normalise(model.receive(c), c);
                let got = normalise(face_receive(rx, recvmsg, c), c);
                differ(i, &format!("{c:?}"), got, want)?;
                let ran = model.ran_in_call();
                let seen = routines_seen(&posted);
                if !ran.admits(&seen) {
                    return Err(format!(
                        "step {i} (routines in the wait): simulator {seen:?}, model {ran:?}"
                    ));
                }
            }
            Op::Post(c, notify) => {
                let mut p = Posted::new(c, *notify);
                let (ret, err, count) = p.post(rx, recvmsg, *notify);
                let want = model.post(c.clone(), *notify);
                let got_result = if ret == 0 { Ok(()) } else { Err(err) };
                differ(
                    i,
                    &format!("post {c:?} {notify:?}"),
                    got_result,
                    want.result,
                )?;
                differ(i, "byte count at post", count, want.count)?;
                if want.request.is_some() {
                    posted.push(p);
                } else if p.event != 0 {
                    unsafe { WSACloseEvent(p.event as _) };
                }
            }
            Op::Wait => {
                let want = model.alertable_wait();
                let r = unsafe { kernel32::SleepEx(0, 1) };
                let seen = routines_seen(&posted);
                if !want.admits(&seen) {
                    return Err(format!(
                        "step {i} (routines): simulator {seen:?}, model {want:?}"
                    ));
                }
                differ(
                    i,
                    "SleepEx",
                    r == kernel32::WAIT_IO_COMPLETION,
                    !seen.is_empty(),
                )?;
            }
            Op::Cancel(which) => {
                let target = which
                    .filter(|_| !posted.is_empty())
                    .map(|k| k as usize % posted.len());
                let ov = target.map_or(std::ptr::null(), |t| {
                    &*posted[t].ov as *const kernel32::OVERLAPPED
                });
                let r = unsafe { kernel32::CancelIoEx(rx as _, ov) };
                let n = if model.closed {
                    0
                } else {
                    model.cancel(target)
                };
                differ(i, "CancelIoEx", r != 0, n > 0)?;
            }
            Op::Result(k) => {
                if posted.is_empty() {
                    continue;
                }
                let t = *k as usize % posted.len();
                let (mut bytes, mut flags) = (0xDEAD_u32, 0xBEEF_u32);
                let r = unsafe {
                    WSAGetOverlappedResult(rx, &*posted[t].ov, &mut bytes, 0, &mut flags)
                };
                let got = if r != 0 {
                    Ok((bytes, flags))
                } else {
                    Err((last_error(), (bytes != 0xDEAD).then_some(bytes)))
                };
                let want = if model.closed {
                    Err((code::NOTSOCK, None))
                } else {
                    model.result(t)
                };
                differ(i, "WSAGetOverlappedResult", got, want)?;
            }
            Op::Dequeue => {
                if !sc.port {
                    continue;
                }
                let (mut bytes, mut key) = (0u32, 0usize);
                let mut ov: *mut kernel32::OVERLAPPED = std::ptr::null_mut();
                let r = unsafe {
                    kernel32::GetQueuedCompletionStatus(port, &mut bytes, &mut key, &mut ov, 0)
                };
                let got = (!ov.is_null()).then(|| {
                    let request = posted
                        .iter()
                        .position(|p| p.ov_addr() == ov as usize)
                        .unwrap_or(usize::MAX);
                    (request, r != 0, bytes, key)
                });
                let want = model
                    .dequeue()
                    .map(|p| (p.request, p.status == code::STATUS_SUCCESS, p.bytes, 7));
                differ(i, "GetQueuedCompletionStatus", got, want)?;
            }
            Op::Fionread => {
                let mut v = 0u32;
                let r = unsafe { ioctlsocket(rx, FIONREAD, &mut v) };
                let got = if r == 0 {
                    Ok(v as usize)
                } else {
                    Err(last_error())
                };
                let want = if model.closed {
                    Err(code::NOTSOCK)
                } else {
                    Ok(model.bytes_queued())
                };
                differ(i, "FIONREAD", got, want)?;
            }
            Op::Close => {
                let r = unsafe { closesocket(rx) };
                let r = if r == 0 { 0 } else { last_error() };
                differ(
                    i,
                    "closesocket",
                    r,
                    if model.closed { code::NOTSOCK } else { 0 },
                )?;
                model.close();
            }
        }
        compare_requests(i, &posted, &model)?;
    }
    let ledger = sim.ledger();
    ledger.check().map_err(|e| format!("ledger: {e}"))?;
    if let Some(d) = sim
        .diagnostics()
        .into_iter()
        .find(|d| matches!(d.diagnostic, Diagnostic::InternalError { .. }))
    {
        return Err(format!("simulator bug caught: {}", d.diagnostic));
    }
    for p in &posted {
        if p.event != 0 {
            unsafe { WSACloseEvent(p.event as _) };
        }
    }
    unsafe { WSACleanup() };
    Ok(sim.trace_text())
}

/// The completion routines that ran since the last look, as the model describes them.
fn routines_seen(posted: &[Box<Posted>]) -> Vec<winsock_sim_model::RoutineCall> {
    ROUTINES
        .with(|x| x.borrow_mut().drain(..).collect::<Vec<_>>())
        .into_iter()
        .map(|(ov, error, bytes, flags)| winsock_sim_model::RoutineCall {
            request: posted
                .iter()
                .position(|p| p.ov_addr() == ov)
                .unwrap_or(usize::MAX),
            error: error as i32,
            bytes,
            flags,
        })
        .collect()
}

/// Every posted request's OVERLAPPED, event and written memory, against the model.
fn compare_requests(step: usize, posted: &[Box<Posted>], model: &Model) -> Result<(), String> {
    for (k, (p, m)) in posted.iter().zip(&model.requests).enumerate() {
        let what = format!("request {k}");
        match &m.done {
            None => {
                differ(
                    step,
                    &what,
                    (p.ov.Internal, p.ov.InternalHigh),
                    (code::STATUS_PENDING as usize, 0x5A5A),
                )?;
            }
            Some(d) => {
                differ(
                    step,
                    &what,
                    (p.ov.Internal, p.ov.InternalHigh),
                    (d.status as usize, d.bytes),
                )?;
                if let Some(dl) = &d.delivery {
                    let got: Vec<Vec<u8>> = p.bufs.iter().map(|b| written(b)).collect();
                    differ(step, &format!("{what} buffers"), got, dl.written.clone())?;
                    match p.call.api {
                        Api::WsaRecvFrom => {
                            let name = (p.name.ss_family != 0)
                                .then(|| (from_sockaddr(&p.name), *p.namelen));
                            differ(step, &format!("{what} name"), name, dl.name)?;
                        }
                        Api::WsaRecvMsg => {
                            let name = (p.name.ss_family != 0)
                                .then(|| (from_sockaddr(&p.name), p.msg.namelen));
                            differ(step, &format!("{what} name"), name, dl.name)?;
                            let len = p.msg.Control.len;
                            let control = Some((p.control[..len as usize].to_vec(), len));
                            differ(
                                step,
                                &format!("{what} control"),
                                control,
                                dl.control.clone(),
                            )?;
                            differ(step, &format!("{what} dwFlags"), p.msg.dwFlags, dl.flags)?;
                        }
                        _ => {}
                    }
                }
            }
        }
        if p.event != 0 {
            let h = p.event as windows_sys::Win32::Foundation::HANDLE;
            let set = unsafe { WSAWaitForMultipleEvents(1, &h, 0, 0, 0) } == 0;
            differ(step, &format!("{what} event"), set, m.done.is_some())?;
        }
    }
    Ok(())
}
