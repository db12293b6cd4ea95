//! Message-oriented protocols beyond UDP, so that the LPWSPRECVFROM page's three rules for a
//! message larger than the buffers are all real:
//! - with MSG_PARTIAL support (XP1_PARTIAL_MESSAGE): "the MSG_PARTIAL flag is set in lpFlags
//!   ... and subsequent receive operation(s) will retrieve the rest of the message";
//! - reliable without it: "WSAEMSGSIZE and a subsequent receive operation with a larger
//!   buffer can be used to retrieve the entire message";
//! - unreliable without it (UDP): "the excess data is lost".
//!
//! The simulator's reliable message protocols (SOCK_RDM, IP protocols 253 and 254, installed
//! with `SimBuilder::message_protocols`) provide the first two.

mod common;

use std::mem::zeroed;

use common::*;
use winsock_sim::{Fault, FaultRule, Sim};

const IPPROTO_SIM_RM: i32 = 253;
const IPPROTO_SIM_RDM: i32 = 254;
const MSG_PARTIAL_FLAG: u32 = 0x8000;

fn sim() -> Sim {
    Sim::builder().message_protocols(true).build()
}

/// A bound socket of the given reliable protocol.
fn rdm(protocol: i32, at: &str) -> (SOCKET, Addr) {
    let mut a = addr(at);
    let s = unsafe { socket(a.storage.ss_family as i32, SOCK_RDM, protocol) };
    assert_ne!(s, INVALID_SOCKET, "socket: {}", last_error());
    assert_eq!(unsafe { bind(s, a.ptr(), a.len) }, 0);
    let mut len = size_of::<SOCKADDR_STORAGE>() as i32;
    assert_eq!(unsafe { getsockname(s, a.mut_ptr(), &mut len) }, 0);
    a.len = len;
    (s, a)
}

/// WSARecv with one `len`-byte buffer and input `flags`: (result, last error, bytes, flags
/// out, data).
fn wsarecv(s: SOCKET, len: usize, flags: u32) -> (i32, i32, u32, u32, Vec<u8>) {
    let mut data = vec![FILL; len];
    let b = wsabuf(&mut data);
    let (mut n, mut f) = (0xDEAD_u32, flags);
    let r = unsafe { WSARecv(s, &b, 1, &mut n, &mut f, std::ptr::null_mut(), None) };
    let err = if r == 0 { 0 } else { last_error() };
    (r, err, n, f, data)
}

/// The catalogue: without `message_protocols`, SOCK_RDM is WSAESOCKTNOSUPPORT (a Windows
/// machine's default catalogue; Wine test_WSASocket); with them, the two protocols exist,
/// and any other SOCK_RDM protocol is WSAEPROTONOSUPPORT.
#[test]
fn sim_message_protocols_are_opt_in() {
    startup();
    let s = unsafe { socket(AF_INET as i32, SOCK_RDM, IPPROTO_SIM_RM) };
    assert_eq!((s, last_error()), (INVALID_SOCKET, WSAESOCKTNOSUPPORT));
    let sim = sim();
    let _g = sim.enter();
    startup();
    for p in [IPPROTO_SIM_RM, IPPROTO_SIM_RDM] {
        let s = unsafe { socket(AF_INET6 as i32, SOCK_RDM, p) };
        assert_ne!(s, INVALID_SOCKET);
        assert_eq!(get_u32(s, SOL_SOCKET, SO_TYPE), SOCK_RDM as u32);
    }
    let s = unsafe { socket(AF_INET as i32, SOCK_RDM, 17) };
    assert_eq!((s, last_error()), (INVALID_SOCKET, WSAEPROTONOSUPPORT));
}

/// XP1_PARTIAL_MESSAGE: a message larger than the buffers comes in parts, MSG_PARTIAL set in
/// lpFlags until the last part; a complete message clears it. recvfrom gives the parts too.
#[test]
fn spi_partial_message_delivered_in_parts() {
    let sim = sim();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    let (tx, _) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    must_send(tx, b"0123456789", &rx_addr);
    must_send(tx, b"xy", &rx_addr);
    let (r, _, n, f, d) = wsarecv(rx, 4, 0);
    assert_eq!((r, n, f, &d[..]), (0, 4, MSG_PARTIAL_FLAG, &b"0123"[..]));
    let (r, _, n, f, d) = wsarecv(rx, 4, 0);
    assert_eq!((r, n, f, &d[..]), (0, 4, MSG_PARTIAL_FLAG, &b"4567"[..]));
    let (r, _, n, f, d) = wsarecv(rx, 4, 0);
    assert_eq!(
        (r, n, f, &d[..2]),
        (0, 2, 0, &b"89"[..]),
        "the last part clears it"
    );
    let (r, err, buf, _, _) = recv_from(rx, 1, None);
    assert_eq!((r, err, buf[0]), (1, 0, b'x'));
    assert_eq!(recv_from(rx, 8, None).0, 1);
    assert!(sim.ledger().check().is_ok());
}

/// MSG_PARTIAL as an input flag ("the receive operation should complete even if only part of
/// a message has been received") is accepted by a provider with XP1_PARTIAL_MESSAGE; the
/// others refuse it with WSAEOPNOTSUPP (UDP advertises no XP1_PARTIAL_MESSAGE, facts §6.4).
#[test]
fn spi_msg_partial_as_input_flag() {
    let sim = sim();
    let _g = sim.enter();
    startup();
    let (rm, rm_addr) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    let (rd, _) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    let (u, _) = bound("127.0.0.1:0");
    let (tx, _) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    must_send(tx, b"hello", &rm_addr);
    let (r, _, n, f, _) = wsarecv(rm, 8, MSG_PARTIAL_FLAG);
    assert_eq!((r, n, f), (0, 5, 0));
    assert_eq!(wsarecv(rd, 8, MSG_PARTIAL_FLAG).1, WSAEOPNOTSUPP);
    assert_eq!(wsarecv(u, 8, MSG_PARTIAL_FLAG).1, WSAEOPNOTSUPP);
}

/// Reliable without MSG_PARTIAL: WSAEMSGSIZE, and the message stays for a receive with a
/// larger buffer.
#[test]
fn spi_reliable_msgsize_keeps_message() {
    let sim = sim();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    let (tx, tx_addr) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    must_send(tx, b"0123456789", &rx_addr);
    let (r, err, _, _, _) = wsarecv(rx, 4, 0);
    assert_eq!((r, err), (SOCKET_ERROR, WSAEMSGSIZE));
    let (r, err, buf, from, _) = recv_from(rx, 16, Some(128));
    assert_eq!((r, err, &buf[..10]), (10, 0, &b"0123456789"[..]));
    assert_eq!(from, Some(tx_addr.to_std()));
}

/// Overlapped: a part completes with STATUS_RECEIVE_PARTIAL (informational, so a success),
/// WSAGetOverlappedResult reports MSG_PARTIAL in lpdwFlags and a completion routine gets it
/// in dwFlags (the LPWSPRECVFROM page: "dwFlags contains information that would have
/// appeared in lpFlags"); the rest goes to the next posted receive. A whole-message protocol
/// completes a too-small request with STATUS_BUFFER_OVERFLOW and passes the message on.
#[test]
fn spi_overlapped_partial_and_whole() {
    let sim = sim();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    let (tx, _) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    let mut a = OvRecv::new(4);
    let mut b = OvRecv::new(8);
    assert_eq!(a.post(rx), (SOCKET_ERROR, WSA_IO_PENDING));
    assert_eq!(b.post(rx), (SOCKET_ERROR, WSA_IO_PENDING));
    must_send(tx, b"0123456789", &rx_addr);
    assert_eq!((a.ov.Internal, a.ov.InternalHigh), (0x4000_000F, 4));
    assert_eq!((b.ov.Internal, b.ov.InternalHigh), (0, 6));
    assert_eq!(&b.data[..6], b"456789");
    assert_eq!(
        overlapped_result(rx, &*a.ov, false),
        (1, 0, 4, MSG_PARTIAL_FLAG)
    );
    assert_eq!(overlapped_result(rx, &*b.ov, false), (1, 0, 6, 0));

    let (wx, wx_addr) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    let (wt, _) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    let mut small = OvRecv::new(4);
    let mut large = OvRecv::new(16);
    assert_eq!(small.post(wx).1, WSA_IO_PENDING);
    assert_eq!(large.post(wx).1, WSA_IO_PENDING);
    must_send(wt, b"0123456789", &wx_addr);
    assert_eq!(small.ov.Internal, 0x8000_0005);
    assert_eq!(overlapped_result(wx, &*small.ov, false).1, WSAEMSGSIZE);
    assert_eq!((large.ov.Internal, large.ov.InternalHigh), (0, 10));
}

/// A WSARecv with its own OVERLAPPED and buffer.
struct OvRecv {
    ov: Box<OVERLAPPED>,
    data: Box<[u8]>,
    wsabuf: Box<WSABUF>,
    flags: Box<u32>,
}

impl OvRecv {
    fn new(len: usize) -> OvRecv {
        let mut r = OvRecv {
            ov: Box::new(unsafe { zeroed() }),
            data: vec![FILL; len].into_boxed_slice(),
            wsabuf: Box::new(WSABUF {
                len: 0,
                buf: std::ptr::null_mut(),
            }),
            flags: Box::new(0),
        };
        *r.wsabuf = wsabuf(&mut r.data);
        r
    }

    fn post(&mut self, s: SOCKET) -> (i32, i32) {
        let r = unsafe {
            WSARecv(
                s,
                &*self.wsabuf,
                1,
                std::ptr::null_mut(),
                &mut *self.flags,
                &mut *self.ov,
                None,
            )
        };
        (r, if r == 0 { 0 } else { last_error() })
    }
}

/// LPWSPRECVFROM page, WSAEDISCON: "Socket s is message oriented and the virtual circuit was
/// gracefully closed by the remote side." Two reliable message sockets connected to each
/// other form a circuit; when one closes (or shuts down sending), the other takes the
/// messages sent before, then its receives fail with WSAEDISCON, pending ones included, and
/// it is no longer connected.
#[test]
fn spi_discon_after_graceful_close() {
    let sim = sim();
    let _g = sim.enter();
    startup();
    let (a, a_addr) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    let (b, b_addr) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    assert_eq!(unsafe { connect(a, b_addr.ptr(), b_addr.len) }, 0);
    assert_eq!(unsafe { connect(b, a_addr.ptr(), a_addr.len) }, 0);
    let mut pending = OvRecv::new(8);
    must_send(b, b"last", &a_addr);
    close(b);
    assert_eq!(wsarecv(a, 8, 0).4[..4], *b"last");
    let (r, err, _, _, _) = wsarecv(a, 8, 0);
    assert_eq!((r, err), (SOCKET_ERROR, WSAEDISCON));
    assert_eq!(wsarecv(a, 8, 0).1, WSAEDISCON, "and again");
    assert_eq!(pending.post(a).1, WSAEDISCON);
    let mut name: SOCKADDR_STORAGE = unsafe { zeroed() };
    let mut len = size_of::<SOCKADDR_STORAGE>() as i32;
    assert_eq!(
        unsafe { getpeername(a, &mut name as *mut _ as _, &mut len) },
        SOCKET_ERROR
    );
    assert_eq!(last_error(), WSAENOTCONN);

    // A receive pending when the close arrives fails with it (STATUS_GRACEFUL_DISCONNECT).
    let (c, c_addr) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    let (d, d_addr) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    assert_eq!(unsafe { connect(c, d_addr.ptr(), d_addr.len) }, 0);
    assert_eq!(unsafe { connect(d, c_addr.ptr(), c_addr.len) }, 0);
    let mut p = OvRecv::new(8);
    assert_eq!(p.post(c).1, WSA_IO_PENDING);
    assert_eq!(unsafe { shutdown(d, SD_SEND) }, 0);
    assert_eq!(p.ov.Internal, 0xC000_0237);
    assert_eq!(overlapped_result(c, &*p.ov, false).1, WSAEDISCON);
}

/// Guaranteed delivery: fault rules and SO_RCVBUF do not drop a reliable protocol's
/// messages (a real one would retransmit and apply flow control); UDP's are dropped.
#[test]
fn sim_reliable_protocols_lose_nothing() {
    let sim = Sim::builder()
        .message_protocols(true)
        .fault(FaultRule::global(Fault::Drop))
        .build();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    let (tx, _) = rdm(IPPROTO_SIM_RDM, "127.0.0.1:0");
    set_u32(rx, SOL_SOCKET, SO_RCVBUF, 0);
    must_send(tx, b"kept", &rx_addr);
    assert_eq!(recv_from(rx, 8, None).0, 4);
    let (u, u_addr) = bound("127.0.0.1:0");
    must_send(u, b"lost", &u_addr);
    set_nonblocking(u, true);
    assert_eq!(recv_from(u, 8, None).1, WSAEWOULDBLOCK);
    assert_eq!(sim.ledger().drops.len(), 1);
}

/// WSARecvMsg page: it "can only be used with datagrams and raw sockets": WSAEOPNOTSUPP on
/// SOCK_RDM.
#[test]
fn doc_wsarecvmsg_refuses_rdm() {
    let sim = sim();
    let _g = sim.enter();
    startup();
    let (rx, _) = rdm(IPPROTO_SIM_RM, "127.0.0.1:0");
    let out = recv_msg(rx, &MsgIn::default());
    assert_eq!((out.ret, out.err), (SOCKET_ERROR, WSAEOPNOTSUPP));
}
