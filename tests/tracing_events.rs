//! `tracing` spans and events: every socket operation of the face, the provider and the safe
//! API opens a span named after the function with the handle and its key arguments, and
//! reports its result or its Winsock error by name; the simulator's own trace events follow
//! at TRACE level. This is what a user's test log shows with a subscriber installed (README,
//! "Seeing what the simulator did").

use std::io::Write;
use std::mem::{size_of, zeroed};
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use windows_sys::Win32::System::IO::OVERLAPPED;
use winsock_sim::api::Socket;
use winsock_sim::ws2::*;
use winsock_sim::{HostId, Sim};

/// A log that collects what the subscriber writes.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

/// Runs `f` with a TRACE-level subscriber on this thread; returns the log's lines.
fn logged(f: impl FnOnce()) -> Vec<String> {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(log.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    text.lines().map(str::to_string).collect()
}

fn has(lines: &[String], parts: &[&str]) -> bool {
    lines.iter().any(|l| parts.iter().all(|p| l.contains(p)))
}

fn sockaddr(port: u16) -> SOCKADDR_IN {
    SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: port.to_be(),
        sin_addr: IN_ADDR {
            S_un: IN_ADDR_0 {
                S_addr: u32::from_ne_bytes([127, 0, 0, 1]),
            },
        },
        sin_zero: [0; 8],
    }
}

/// WSAStartup, then a UDP socket bound to 127.0.0.1:`port`: the socket, its address and
/// the address's length.
///
/// # Safety
/// Plain Winsock calls with valid arguments; `unsafe` only as they are.
unsafe fn started_and_bound(port: u16) -> (SOCKET, SOCKADDR_IN, i32) {
    unsafe {
        let mut wsa: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        let rx = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let a = sockaddr(port);
        let len = size_of::<SOCKADDR_IN>() as i32;
        assert_eq!(bind(rx, &a as *const _ as *const SOCKADDR, len), 0);
        (rx, a, len)
    }
}

#[test]
fn face_calls_log_their_arguments_results_and_errors() {
    let sim = Sim::new();
    let _in = sim.enter();
    let lines = logged(|| unsafe {
        let (rx, a, len) = started_and_bound(7000);
        let tx = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let data = *b"hello";
        let sent = sendto(
            tx,
            data.as_ptr(),
            5,
            0,
            &a as *const _ as *const SOCKADDR,
            len,
        );
        assert_eq!(sent, 5);
        let mut buf = [0u8; 2];
        assert_eq!(recv(rx, buf.as_mut_ptr(), 2, 0), SOCKET_ERROR);
        let mut on = 1u32;
        assert_eq!(ioctlsocket(rx, FIONBIO, &mut on), 0);
        assert_eq!(recv(rx, buf.as_mut_ptr(), 2, 0), SOCKET_ERROR);
        assert_eq!(WSAGetLastError(), WSAEWOULDBLOCK);
        closesocket(rx);
        closesocket(tx);
    });
    let all = lines.join("\n");
    // Each call: a span with the handle and key arguments; its result or error by name.
    assert!(
        has(
            &lines,
            &["socket{af=2 ty=2 protocol=17}", "returned ret=256"]
        ),
        "{all}"
    );
    assert!(
        has(&lines, &["bind{socket=256}", "returned ret=0"]),
        "{all}"
    );
    assert!(
        has(
            &lines,
            &["sendto{socket=260 len=5 flags=0}", "returned ret=5"]
        ),
        "{all}"
    );
    // recv goes through the provider: WSPRecv's span nests in recv's.
    assert!(
        has(&lines, &["recv{socket=256 len=2 flags=0}:WSPRecv{socket=256 buffers=1 overlapped=false routine=false}", "failed error=\"WSAEMSGSIZE\" code=10040"]),
        "{all}"
    );
    assert!(
        has(
            &lines,
            &[
                "recv{socket=256 len=2 flags=0}",
                "failed error=\"WSAEWOULDBLOCK\" code=10035"
            ]
        ),
        "{all}"
    );
    assert!(
        has(
            &lines,
            &["ioctlsocket{socket=256 cmd=-2147195266}", "returned"]
        ),
        "{all}"
    );
    // The simulator's own events, with virtual time.
    assert!(
        has(
            &lines,
            &[
                "TRACE",
                "winsock_sim::trace",
                "send 0x104 d1 127.0.0.1:49152 -> 127.0.0.1:7000 len 5",
                "time=0.000000000"
            ]
        ),
        "{all}"
    );
    assert!(has(&lines, &["TRACE", "queue d1 on 0x100"]), "{all}");
}

#[test]
fn safe_api_calls_log_too() {
    let sim = Sim::new();
    let lines = logged(|| {
        let h = HostId::default();
        let a = Socket::bind_udp(&sim, h, "127.0.0.1:5000".parse().unwrap()).unwrap();
        let b = Socket::bind_udp(&sim, h, "127.0.0.1:0".parse().unwrap()).unwrap();
        b.send_to(b"ping", a.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 16];
        a.recv_from(&mut buf).unwrap();
        a.set_nonblocking(true).unwrap();
        assert!(a.recv_from(&mut buf).is_err());
    });
    let all = lines.join("\n");
    assert!(
        has(
            &lines,
            &[
                "Socket::bind{socket=256 addr=127.0.0.1:5000}",
                "returned ret=()"
            ]
        ),
        "{all}"
    );
    assert!(
        has(
            &lines,
            &[
                "Socket::send_to{socket=260 len=4 addr=127.0.0.1:5000}",
                "returned ret=4"
            ]
        ),
        "{all}"
    );
    assert!(
        has(
            &lines,
            &[
                "Socket::recv{socket=256 call=\"recvfrom\" len=16 flags=0}",
                "returned ret=(4, 127.0.0.1:49152)"
            ]
        ),
        "{all}"
    );
    assert!(
        has(
            &lines,
            &["Socket::recv{", "failed error=\"WSAEWOULDBLOCK\""]
        ),
        "{all}"
    );
    assert!(has(&lines, &["Socket::close{socket=256}"]), "{all}");
}

unsafe extern "system" fn routine(_: u32, _: u32, _: *mut OVERLAPPED, _: u32) {}

/// The overlapped data path's calls skip their spans when nothing listens (`data_span!`);
/// with a subscriber, they are there, nested as the calls are.
#[test]
fn overlapped_data_path_calls_log_their_spans() {
    let sim = Sim::new();
    let _in = sim.enter();
    let lines = logged(|| unsafe {
        let (rx, a, len) = started_and_bound(7000);
        let mut buf = [0u8; 8];
        let wsabuf = WSABUF {
            len: 8,
            buf: buf.as_mut_ptr(),
        };
        let mut flags = 0u32;
        let mut ov: OVERLAPPED = zeroed();
        let r = WSARecvFrom(
            rx,
            &wsabuf,
            1,
            std::ptr::null_mut(),
            &mut flags,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut ov,
            Some(routine),
        );
        assert_eq!((r, WSAGetLastError()), (SOCKET_ERROR, WSA_IO_PENDING));
        let tx = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let sent = sendto(
            tx,
            b"hi".as_ptr(),
            2,
            0,
            &a as *const _ as *const SOCKADDR,
            len,
        );
        assert_eq!(sent, 2);
        assert_eq!(
            winsock_sim::kernel32::SleepEx(0, 1),
            winsock_sim::kernel32::WAIT_IO_COMPLETION
        );
    });
    let all = lines.join("\n");
    assert!(
        has(
            &lines,
            &[
                "WSARecvFrom{socket=256 buffers=1 overlapped=true routine=true}:WSPRecvFrom{socket=256 buffers=1 overlapped=true routine=true}",
                "failed error=\"WSA_IO_PENDING\""
            ]
        ),
        "{all}"
    );
    // The completion queues the provider's APC through ws2's WPUQueueApc, inside sendto.
    assert!(
        has(
            &lines,
            &[
                "sendto{socket=",
                "len=2 flags=0}:WPUQueueApc",
                "returned ret=0"
            ]
        ),
        "{all}"
    );
    // WAIT_IO_COMPLETION (192): the routine ran.
    assert!(
        has(
            &lines,
            &["SleepEx{timeout_ms=0 alertable=1}", "returned ret=192"]
        ),
        "{all}"
    );
}
