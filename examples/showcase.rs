//! The showcase: a client and a server on two simulated hosts, written against the Win32 face
//! exactly as Windows code is written against windows-sys. It exercises scatter buffers,
//! IP_PKTINFO, truncation, an ICMP port unreachable, a lossy path and a receive timeout, then
//! prints the trace, the datagram ledger and the diagnostics. A second part posts overlapped
//! receives with completion routines, shows the routine order the seed chose, and enumerates
//! every order Windows allows.
//!
//! Run: `cargo run --example showcase` (add a seed: `cargo run --example showcase -- 7`).

use std::mem::{size_of, zeroed};
use std::time::Duration;

use std::cell::RefCell;

use winsock_sim::kernel32::{SleepEx, OVERLAPPED, WAIT_IO_COMPLETION};
use winsock_sim::ws2::*;
use winsock_sim::{explore, Endpoint, Fault, FaultRule, Sim, SimBuilder};

fn sockaddr(ip: [u8; 4], port: u16) -> SOCKADDR_IN {
    SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: port.to_be(),
        sin_addr: IN_ADDR {
            S_un: IN_ADDR_0 {
                S_addr: u32::from_ne_bytes(ip),
            },
        },
        sin_zero: [0; 8],
    }
}

fn check(what: &str, r: i32) -> i32 {
    if r == SOCKET_ERROR {
        println!("  {what}: SOCKET_ERROR, WSAGetLastError() = {}", unsafe {
            WSAGetLastError()
        });
    }
    r
}

/// The server: one WSARecvMsg per datagram into two scatter buffers, with pktinfo.
fn server() {
    unsafe {
        let mut wsa: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        let s = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let me = sockaddr([0, 0, 0, 0], 5000);
        check(
            "bind",
            bind(
                s,
                &me as *const _ as *const SOCKADDR,
                size_of::<SOCKADDR_IN>() as i32,
            ),
        );
        let on: u32 = 1;
        check(
            "IP_PKTINFO",
            setsockopt(s, IPPROTO_IP, IP_PKTINFO, &on as *const u32 as *const u8, 4),
        );
        let timeout: u32 = 500;
        check(
            "SO_RCVTIMEO",
            setsockopt(
                s,
                SOL_SOCKET,
                SO_RCVTIMEO,
                &timeout as *const u32 as *const u8,
                4,
            ),
        );

        let guid = WSAID_WSARECVMSG;
        let mut recvmsg: LPFN_WSARECVMSG = None;
        let mut n = 0u32;
        check(
            "WSAIoctl",
            WSAIoctl(
                s,
                SIO_GET_EXTENSION_FUNCTION_POINTER,
                &guid as *const _ as *const core::ffi::c_void,
                size_of::<windows_sys::core::GUID>() as u32,
                &mut recvmsg as *mut _ as *mut core::ffi::c_void,
                size_of::<LPFN_WSARECVMSG>() as u32,
                &mut n,
                std::ptr::null_mut(),
                None,
            ),
        );
        let recvmsg = recvmsg.expect("WSARecvMsg");
        loop {
            let mut head = [0u8; 4];
            let mut body = [0u8; 12];
            let mut bufs = [
                WSABUF {
                    len: 4,
                    buf: head.as_mut_ptr(),
                },
                WSABUF {
                    len: 12,
                    buf: body.as_mut_ptr(),
                },
            ];
            let mut from: SOCKADDR_IN = zeroed();
            let mut control = [0u8; 64];
            let mut msg = WSAMSG {
                name: &mut from as *mut _ as *mut SOCKADDR,
                namelen: size_of::<SOCKADDR_IN>() as i32,
                lpBuffers: bufs.as_mut_ptr(),
                dwBufferCount: 2,
                Control: WSABUF {
                    len: 64,
                    buf: control.as_mut_ptr(),
                },
                dwFlags: 0,
            };
            let mut got = 0u32;
            let r = recvmsg(s, &mut msg, &mut got, std::ptr::null_mut(), None);
            let err = WSAGetLastError();
            if r == SOCKET_ERROR && err == WSAETIMEDOUT {
                println!("  server: WSAETIMEDOUT after 500 ms of quiet; done");
                break;
            }
            let dst = &control[16..20];
            println!(
                "  server: {} -> {got} bytes {:?}|{:?} from port {} to {}.{}.{}.{} flags {:#x}{}",
                if r == 0 { "ok" } else { "SOCKET_ERROR" },
                String::from_utf8_lossy(&head[..got.min(4) as usize]),
                String::from_utf8_lossy(&body[..got.saturating_sub(4) as usize]),
                u16::from_be(from.sin_port),
                dst[0],
                dst[1],
                dst[2],
                dst[3],
                msg.dwFlags,
                if r == SOCKET_ERROR {
                    format!(" (WSAGetLastError {err}: truncated, rest discarded)")
                } else {
                    String::new()
                },
            );
        }
        closesocket(s);
        WSACleanup();
    }
}

/// The client: a few datagrams, one too large for the server's buffers, one to a closed port.
fn client() {
    unsafe {
        let mut wsa: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        let s = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let server = sockaddr([10, 0, 0, 2], 5000);
        for text in [
            "PING hello",
            "PING world",
            "PING this one is far too long",
            "PING last",
        ] {
            let r = sendto(
                s,
                text.as_ptr(),
                text.len() as i32,
                0,
                &server as *const _ as *const SOCKADDR,
                16,
            );
            println!("  client: sendto {text:?} -> {}", check("sendto", r));
        }
        let closed = sockaddr([10, 0, 0, 2], 9);
        sendto(
            s,
            b"anyone?".as_ptr(),
            7,
            0,
            &closed as *const _ as *const SOCKADDR,
            16,
        );
        let mut buf = [0u8; 16];
        let r = recv(s, buf.as_mut_ptr(), 16, 0);
        println!("  client: recv after sending to a closed port -> {r}, WSAGetLastError() = {} (WSAECONNRESET)", WSAGetLastError());
        closesocket(s);
        WSACleanup();
    }
}

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let sim = Sim::builder()
        .seed(seed)
        .host("client", &["10.0.0.1/24"])
        .host("server", &["10.0.0.2/24"])
        .latency(Duration::from_millis(2))
        .fault(
            FaultRule::path(
                Endpoint::Any,
                Endpoint::Addr("10.0.0.2:5000".parse().unwrap()),
                Fault::Drop,
            )
            .with_probability(0.3),
        )
        .build();
    println!("winsock-sim showcase (seed {seed})\n");
    let server_thread = sim.spawn(sim.host("server").unwrap(), server);
    {
        let _in = sim.enter_host(sim.host("client").unwrap());
        // The server needs to be receiving before the client sends: a virtual sleep lets
        // time move only once the server is blocked in WSARecvMsg.
        unsafe { winsock_sim::kernel32::Sleep(1) };
        client();
    }
    server_thread.join().expect("server thread");

    println!("\ntrace (virtual seconds, event):");
    for line in sim.trace_text().lines() {
        println!("  {line}");
    }
    let ledger = sim.ledger();
    println!(
        "\nledger: sent {} + copies {} = delivered {} + dropped {} + queued {} + in flight {}",
        ledger.sent,
        ledger.copies,
        ledger.delivered,
        ledger.drops.len(),
        ledger.queued,
        ledger.in_flight
    );
    for d in &ledger.drops {
        println!(
            "  dropped {} at {} on {}: {}",
            d.datagram,
            d.time,
            d.host,
            d.reason.name()
        );
    }
    ledger.check().expect("every datagram accounted for");
    for d in sim.diagnostics() {
        println!("diagnostic at {}: {}", d.time, d.diagnostic);
    }
    println!("\nvirtual time elapsed: {}", sim.now());

    println!("\npart 2: three overlapped WSARecv calls with completion routines (seed {seed})");
    let sim = Sim::builder().seed(seed).build();
    let order = three_routines(&sim);
    println!("  routines ran for receives {order:?} (buffers filled in posting order)");
    for line in sim.trace_text().lines().filter(|l| l.contains("choice")) {
        println!("  trace: {line}");
    }
    let runs = explore(&SimBuilder::new(), 100, three_routines);
    println!(
        "  explore: {} runs, one per order Windows allows:",
        runs.len()
    );
    for r in runs {
        println!(
            "    choices {:?} -> routines ran for {:?}",
            r.choices, r.result
        );
    }
}

thread_local! {
    /// Which receive each completion routine ran for, in order.
    static RAN: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A completion routine: hEvent is free for the caller's use with a routine, so it carries
/// the receive's index.
unsafe extern "system" fn on_receive(error: u32, bytes: u32, ov: *mut OVERLAPPED, _flags: u32) {
    // SAFETY: `ov` is one of the OVERLAPPEDs `three_routines` keeps alive until SleepEx ran
    // the routines.
    let index = unsafe { (*ov).hEvent } as usize;
    assert_eq!((error, bytes), (0, 1));
    RAN.with(|r| r.borrow_mut().push(index));
}

/// Three overlapped receives with routines on one socket, three datagrams, one alertable
/// SleepEx: returns the order the routines ran in.
fn three_routines(sim: &Sim) -> Vec<usize> {
    let _in = sim.enter();
    RAN.with(|r| r.borrow_mut().clear());
    unsafe {
        let mut wsa: WSADATA = zeroed();
        WSAStartup(0x0202, &mut wsa);
        let rx = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let me = sockaddr([127, 0, 0, 1], 6000);
        bind(rx, &me as *const _ as *const SOCKADDR, 16);
        let mut bufs = [[0u8; 8]; 3];
        let mut ovs: Vec<OVERLAPPED> = (0..3).map(|_| zeroed()).collect();
        for (i, (buf, ov)) in bufs.iter_mut().zip(ovs.iter_mut()).enumerate() {
            ov.hEvent = i as _;
            let b = WSABUF {
                len: 8,
                buf: buf.as_mut_ptr(),
            };
            let mut flags = 0u32;
            let r = WSARecv(
                rx,
                &b,
                1,
                std::ptr::null_mut(),
                &mut flags,
                ov,
                Some(on_receive),
            );
            assert_eq!((r, WSAGetLastError()), (SOCKET_ERROR, WSA_IO_PENDING));
        }
        let tx = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        for d in [b"a", b"b", b"c"] {
            sendto(tx, d.as_ptr(), 1, 0, &me as *const _ as *const SOCKADDR, 16);
        }
        assert_eq!(SleepEx(0, 1), WAIT_IO_COMPLETION);
        assert_eq!([bufs[0][0], bufs[1][0], bufs[2][0]], *b"abc");
        WSACleanup();
    }
    RAN.with(|r| r.borrow().clone())
}
