//! The same pair through the simulator's `ws2` face, called as windows-sys code calls
//! Winsock, and an overlapped receive cycle with a completion routine.

use std::cell::Cell;
use std::mem::{size_of, zeroed};
use std::time::{Duration, Instant};

use windows_sys::Win32::System::IO::OVERLAPPED;
use winsock_sim::kernel32::{SleepEx, WAIT_IO_COMPLETION};
use winsock_sim::ws2::*;
use winsock_sim::{EnterGuard, Sim};

use crate::PAYLOAD;

thread_local! {
    /// Completion routines run on this thread.
    static ROUTINES: Cell<u64> = const { Cell::new(0) };
}

unsafe extern "system" fn routine(error: u32, bytes: u32, _ov: *mut OVERLAPPED, _flags: u32) {
    assert_eq!((error, bytes), (0, PAYLOAD.len() as u32));
    ROUTINES.with(|r| r.set(r.get() + 1));
}

/// Two bound UDP sockets of the `ws2` face, in a simulation entered on this thread.
pub struct Ws2Pair {
    _guard: EnterGuard,
    tx: SOCKET,
    rx: SOCKET,
    to: SOCKADDR_IN,
}

fn loopback_any_port() -> SOCKADDR_IN {
    SOCKADDR_IN {
        sin_family: AF_INET,
        sin_port: 0,
        sin_addr: IN_ADDR {
            S_un: IN_ADDR_0 {
                S_addr: u32::from_ne_bytes([127, 0, 0, 1]),
            },
        },
        sin_zero: [0; 8],
    }
}

fn bound_udp() -> (SOCKET, SOCKADDR_IN) {
    // SAFETY: plain Winsock calls with valid, correctly sized arguments.
    unsafe {
        let s = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        assert_ne!(s, INVALID_SOCKET);
        let mut a = loopback_any_port();
        let len = size_of::<SOCKADDR_IN>() as i32;
        assert_eq!(bind(s, &a as *const _ as *const SOCKADDR, len), 0);
        let mut got = len;
        assert_eq!(
            getsockname(s, &mut a as *mut _ as *mut SOCKADDR, &mut got),
            0
        );
        (s, a)
    }
}

impl Ws2Pair {
    pub fn new() -> Ws2Pair {
        let guard = Sim::builder().trace(false).build().enter();
        // SAFETY: WSAStartup with a valid WSADATA.
        unsafe {
            let mut data: WSADATA = zeroed();
            assert_eq!(WSAStartup(0x0202, &mut data), 0);
        }
        let (tx, _) = bound_udp();
        let (rx, to) = bound_udp();
        Ws2Pair {
            _guard: guard,
            tx,
            rx,
            to,
        }
    }

    fn send(&self) {
        let len = size_of::<SOCKADDR_IN>() as i32;
        // SAFETY: the payload and address are valid for the lengths passed.
        let n = unsafe {
            sendto(
                self.tx,
                PAYLOAD.as_ptr(),
                PAYLOAD.len() as i32,
                0,
                &self.to as *const _ as *const SOCKADDR,
                len,
            )
        };
        assert_eq!(n, PAYLOAD.len() as i32);
    }

    /// `n` pairs of sendto + recvfrom.
    pub fn run(&self, n: u64) {
        for _ in 0..n {
            self.send();
            self.recv();
        }
    }

    /// The time `n` sendto calls take on their own: each queues its datagram, as the send
    /// of an overlapped cycle that completes at once does. They go in batches that fit
    /// the receive buffer, drained (untimed) between batches.
    pub fn sends(&self, n: u64) -> Duration {
        const BATCH: u64 = 128;
        let mut took = Duration::ZERO;
        let mut left = n;
        while left > 0 {
            let k = left.min(BATCH);
            let start = Instant::now();
            for _ in 0..k {
                self.send();
            }
            took += start.elapsed();
            for _ in 0..k {
                self.recv();
            }
            left -= k;
        }
        took
    }

    fn recv(&self) {
        let mut buf = [0u8; 128];
        let mut from: SOCKADDR_IN = loopback_any_port();
        let mut fromlen = size_of::<SOCKADDR_IN>() as i32;
        // SAFETY: the buffer and address are valid for the lengths passed.
        let got = unsafe {
            recvfrom(
                self.rx,
                buf.as_mut_ptr(),
                buf.len() as i32,
                0,
                &mut from as *mut _ as *mut SOCKADDR,
                &mut fromlen,
            )
        };
        assert_eq!(got, PAYLOAD.len() as i32);
    }

    /// `n` overlapped receive cycles: WSARecvFrom with a completion routine goes pending,
    /// a datagram arrives and completes it, and SleepEx(0, TRUE) runs the routine. With
    /// `queued_first`, the datagram is sent before the receive is posted (it completes at
    /// once, and the routine is still queued as an APC).
    pub fn overlapped(&self, n: u64, queued_first: bool) {
        let mut buf = [0u8; 128];
        let before = ROUTINES.with(|r| r.get());
        for _ in 0..n {
            if queued_first {
                self.send();
            }
            let wsabuf = WSABUF {
                len: buf.len() as u32,
                buf: buf.as_mut_ptr(),
            };
            let mut flags = 0u32;
            // SAFETY: an all-zero OVERLAPPED is valid.
            let mut ov: OVERLAPPED = unsafe { zeroed() };
            // SAFETY: the buffer, flags and OVERLAPPED outlive the request, which completes
            // (and runs its routine) before they go out of scope.
            let r = unsafe {
                WSARecvFrom(
                    self.rx,
                    &wsabuf,
                    1,
                    std::ptr::null_mut(),
                    &mut flags,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    &mut ov,
                    Some(routine),
                )
            };
            if queued_first {
                assert_eq!(r, 0);
            } else {
                // SAFETY: no arguments.
                assert_eq!(
                    (r, unsafe { WSAGetLastError() }),
                    (SOCKET_ERROR, WSA_IO_PENDING)
                );
                self.send();
            }
            // SAFETY: no pointers.
            assert_eq!(unsafe { SleepEx(0, 1) }, WAIT_IO_COMPLETION);
        }
        assert_eq!(ROUTINES.with(|r| r.get()) - before, n);
    }
}

impl Default for Ws2Pair {
    fn default() -> Self {
        Ws2Pair::new()
    }
}

impl Drop for Ws2Pair {
    fn drop(&mut self) {
        // SAFETY: sockets this pair opened.
        unsafe {
            closesocket(self.tx);
            closesocket(self.rx);
            WSACleanup();
        }
    }
}
