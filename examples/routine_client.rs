//! A client driven by completion routines: it sends a request, posts an overlapped
//! WSARecvFrom with a completion routine, and waits in SleepEx(.., TRUE). The routine runs
//! inside that alertable wait, which then returns WAIT_IO_COMPLETION; the client posts the
//! next receive until every reply is in. The server, on another host 5 ms away, answers with
//! three datagrams (it uses the safe API, `winsock_sim::api`, from the same thread).
//!
//! Written exactly as against windows-sys; only the `use` lines differ. It checks what it
//! shows and exits non-zero otherwise. Run: `cargo run --example routine_client`.

use std::cell::RefCell;
use std::mem::{size_of, zeroed};
use std::net::Ipv4Addr;
use std::time::Duration;

// use windows_sys::Win32::Networking::WinSock::*;
// use windows_sys::Win32::System::{IO::OVERLAPPED, Threading::{SleepEx, WAIT_IO_COMPLETION}};
use winsock_sim::api::Socket;
use winsock_sim::kernel32::{SleepEx, OVERLAPPED, WAIT_IO_COMPLETION};
use winsock_sim::ws2::*;
use winsock_sim::Sim;

thread_local! {
    /// What each completion routine call reported: (dwError, cbTransferred).
    static DONE: RefCell<Vec<(u32, u32)>> = const { RefCell::new(Vec::new()) };
}

/// The completion routine: runs in the issuing thread's alertable wait.
unsafe extern "system" fn on_receive(error: u32, bytes: u32, _ov: *mut OVERLAPPED, _flags: u32) {
    DONE.with(|d| d.borrow_mut().push((error, bytes)));
}

fn main() {
    let sim = Sim::builder()
        .host("client", &["10.0.0.1/24"])
        .host("server", &["10.0.0.2/24"])
        .latency(Duration::from_millis(5))
        .build();
    let server_host = sim.host("server").unwrap();
    let server = Socket::bind_udp(&sim, server_host, "10.0.0.2:9000".parse().unwrap()).unwrap();
    let _client = sim.enter_host(sim.host("client").unwrap());
    // SAFETY: the OVERLAPPED, buffer and name stay put until the routine has run (the client
    // waits for it before touching them); other pointers are to live locals.
    unsafe {
        let mut wsa: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        let c = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let to = SOCKADDR_IN {
            sin_family: AF_INET,
            sin_port: 9000u16.to_be(),
            sin_addr: IN_ADDR {
                S_un: IN_ADDR_0 {
                    S_addr: u32::from_ne_bytes(Ipv4Addr::new(10, 0, 0, 2).octets()),
                },
            },
            sin_zero: [0; 8],
        };
        let len = size_of::<SOCKADDR_IN>() as i32;
        let request = b"three please";
        let r = sendto(
            c,
            request.as_ptr(),
            12,
            0,
            &to as *const _ as *const SOCKADDR,
            len,
        );
        assert_eq!(r, 12);

        // The server (host "server") takes the request 5 ms later and answers three times.
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], request);
        for reply in ["one", "two!", "three"] {
            server.send_to(reply.as_bytes(), from).unwrap();
        }

        let mut ov: Box<OVERLAPPED> = Box::new(zeroed());
        let mut data = Box::new([0u8; 64]);
        let mut replies = Vec::new();
        while replies.len() < 3 {
            *ov = zeroed();
            let wsabuf = WSABUF {
                len: 64,
                buf: data.as_mut_ptr(),
            };
            let mut flags = 0u32;
            let r = WSARecvFrom(
                c,
                &wsabuf,
                1,
                std::ptr::null_mut(),
                &mut flags,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut *ov,
                Some(on_receive),
            );
            // Pending, or done at once: either way the routine runs in an alertable wait.
            assert!(r == 0 || WSAGetLastError() == WSA_IO_PENDING);
            let woke = SleepEx(1000, 1);
            assert_eq!(woke, WAIT_IO_COMPLETION, "the routine ran in the wait");
            let (error, bytes) = DONE.with(|d| d.borrow_mut().pop()).expect("a routine call");
            assert_eq!(error, 0);
            let reply = String::from_utf8_lossy(&data[..bytes as usize]).into_owned();
            println!("{} routine: {bytes} bytes {reply:?}", sim.now());
            replies.push(reply);
        }
        assert_eq!(replies, ["one", "two!", "three"]);
        // The replies left the server at 5 ms and took 5 ms: the first wait ended at 10 ms.
        assert_eq!(sim.now().as_nanos(), 10_000_000);
        closesocket(c);
        WSACleanup();
    }
    println!("3 replies, each through a completion routine in SleepEx");
}
