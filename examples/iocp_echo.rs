//! An overlapped UDP echo server on a completion port: the socket is associated with a port,
//! an overlapped WSARecvFrom is always posted, GetQueuedCompletionStatus says which request
//! finished (by its OVERLAPPED), a completed receive is echoed with an overlapped WSASendTo
//! and the receive posted again. A client on another host, 3 ms away, sends pings and reads
//! the echoes; the server's waits take virtual time, not real time.
//!
//! Written exactly as against windows-sys; only the `use` lines differ. It checks what it
//! shows and exits non-zero otherwise. Run: `cargo run --example iocp_echo`.

use std::mem::{size_of, zeroed};
use std::net::Ipv4Addr;
use std::time::Duration;

// use windows_sys::Win32::Networking::WinSock::*;
// use windows_sys::Win32::System::IO::*; (and Threading, Foundation)
use winsock_sim::kernel32::{CreateIoCompletionPort, GetQueuedCompletionStatus, OVERLAPPED};
use winsock_sim::ws2::*;
use winsock_sim::Sim;

fn sockaddr(ip: Ipv4Addr, port: u16) -> SOCKADDR_IN {
    SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: port.to_be(),
        sin_addr: IN_ADDR {
            S_un: IN_ADDR_0 {
                S_addr: u32::from_ne_bytes(ip.octets()),
            },
        },
        sin_zero: [0; 8],
    }
}

const LEN: i32 = size_of::<SOCKADDR_IN>() as i32;
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const PINGS: usize = 4;

/// What an overlapped receive needs to stay put until it completes.
struct Receive {
    ov: OVERLAPPED,
    buf: [u8; 512],
    wsabuf: WSABUF,
    from: SOCKADDR_IN,
    fromlen: i32,
    flags: u32,
}

/// What an overlapped send of an echo needs until it completes.
struct Echo {
    ov: OVERLAPPED,
    buf: Vec<u8>,
    wsabuf: WSABUF,
    to: SOCKADDR_IN,
}

/// Posts the receive; WSA_IO_PENDING or an immediate success both end in a port packet.
unsafe fn post(s: SOCKET, r: &mut Receive) {
    r.ov = zeroed();
    r.wsabuf = WSABUF {
        len: r.buf.len() as u32,
        buf: r.buf.as_mut_ptr(),
    };
    r.fromlen = LEN;
    r.flags = 0;
    let ret = WSARecvFrom(
        s,
        &r.wsabuf,
        1,
        std::ptr::null_mut(),
        &mut r.flags,
        &mut r.from as *mut _ as *mut SOCKADDR,
        &mut r.fromlen,
        &mut r.ov,
        None,
    );
    assert!(ret == 0 || WSAGetLastError() == WSA_IO_PENDING);
}

/// The server: `PINGS` echoes, driven by the completion port.
fn server() -> usize {
    // SAFETY: the OVERLAPPEDs, buffers and addresses live in boxes until the end, past every
    // completion; every other pointer is to a live local.
    unsafe {
        let mut wsa: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        let s = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let me = sockaddr(SERVER, 7);
        assert_eq!(bind(s, &me as *const _ as *const SOCKADDR, LEN), 0);
        let port = CreateIoCompletionPort(s as _, std::ptr::null_mut(), 0xEC40, 0);
        assert!(!port.is_null());

        let mut rx: Box<Receive> = Box::new(zeroed());
        let mut tx = Box::new(Echo {
            ov: zeroed(),
            buf: Vec::new(),
            wsabuf: zeroed(),
            to: zeroed(),
        });
        post(s, &mut rx);
        let (mut echoed, mut sends_done) = (0, 0);
        while sends_done < PINGS {
            let (mut bytes, mut key) = (0u32, 0usize);
            let mut ov: *mut OVERLAPPED = std::ptr::null_mut();
            let ok = GetQueuedCompletionStatus(port, &mut bytes, &mut key, &mut ov, 1000);
            assert!(ok != 0, "a completion within a second");
            assert_eq!(key, 0xEC40, "the socket's completion key");
            if std::ptr::eq(ov, &rx.ov) {
                // A datagram: echo it with an overlapped send, then receive again.
                tx.buf = rx.buf[..bytes as usize].to_vec();
                tx.wsabuf = WSABUF {
                    len: bytes,
                    buf: tx.buf.as_mut_ptr(),
                };
                tx.to = rx.from;
                tx.ov = zeroed();
                let r = WSASendTo(
                    s,
                    &tx.wsabuf,
                    1,
                    std::ptr::null_mut(),
                    0,
                    &tx.to as *const _ as *const SOCKADDR,
                    LEN,
                    &mut tx.ov,
                    None,
                );
                assert!(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
                echoed += 1;
                post(s, &mut rx);
            } else {
                assert!(std::ptr::eq(ov, &tx.ov), "the echo's send completed");
                sends_done += 1;
            }
        }
        closesocket(s);
        WSACleanup();
        echoed
    }
}

fn main() {
    let sim = Sim::builder()
        .host("client", &["10.0.0.1/24"])
        .host("server", &["10.0.0.2/24"])
        .latency(Duration::from_millis(3))
        .build();
    let srv = sim.spawn(sim.host("server").unwrap(), server);
    let _client = sim.enter_host(sim.host("client").unwrap());
    // SAFETY: every pointer is to a live local of the length given.
    unsafe {
        let mut wsa: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        let c = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let timeout = 1000u32;
        setsockopt(
            c,
            SOL_SOCKET,
            SO_RCVTIMEO,
            &timeout as *const u32 as *const u8,
            4,
        );
        let to = sockaddr(SERVER, 7);
        for i in 0..PINGS {
            let ping = format!("ping {i}");
            let r = sendto(
                c,
                ping.as_ptr(),
                ping.len() as i32,
                0,
                &to as *const _ as *const SOCKADDR,
                LEN,
            );
            assert_eq!(r, ping.len() as i32);
            let mut buf = [0u8; 64];
            let n = recv(c, buf.as_mut_ptr(), buf.len() as i32, 0);
            assert_eq!(&buf[..n.max(0) as usize], ping.as_bytes(), "the echo");
            println!("{} {ping:?} echoed (round trip 6 ms)", sim.now());
        }
        closesocket(c);
        WSACleanup();
    }
    let echoed = srv.join().expect("the server thread");
    assert_eq!(echoed, PINGS);
    assert_eq!(
        sim.now().as_nanos(),
        PINGS as u64 * 6_000_000,
        "virtual time only"
    );
    println!("{echoed} echoes through the completion port");
}
