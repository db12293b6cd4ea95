//! The raw face fed arbitrary argument values: WSABUF arrays, WSAMSG fields, control buffers,
//! name lengths, flags and OVERLAPPEDs that are NULL, below 64 KiB (never valid on Windows),
//! or real memory of the size the arguments claim (the Win32 contract every caller keeps).
//! Every call must return what its page allows, report a documented error, write only inside
//! the memory it was given (AddressSanitizer checks), and leave the simulation consistent.
#![no_main]

use std::mem::{size_of, zeroed};

use libfuzzer_sys::fuzz_target;
use winsock_sim::kernel32::OVERLAPPED;
use winsock_sim::ws2::*;
use winsock_sim::{Diagnostic, Sim};

/// Reads the fuzzer's bytes; 0 once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
}

/// A pointer argument: NULL, an address Windows never maps, or memory of `len` bytes.
enum Ptr {
    Null,
    Low,
    Real,
}

fn ptr_kind(b: &mut Bytes) -> Ptr {
    match b.u8() % 4 {
        0 => Ptr::Null,
        1 => Ptr::Low,
        _ => Ptr::Real,
    }
}

/// Memory the arguments point to; it outlives every request that may write it.
#[derive(Default)]
struct Arena {
    blocks: Vec<Box<[u8]>>,
}

impl Arena {
    /// A pointer of `kind` to `len` bytes (`len` is what the argument claims).
    fn get(&mut self, kind: &Ptr, len: usize) -> *mut u8 {
        match kind {
            Ptr::Null => std::ptr::null_mut(),
            Ptr::Low => 0x1000 as *mut u8,
            Ptr::Real => {
                let mut b = vec![0xCC_u8; len.max(1)].into_boxed_slice();
                let p = b.as_mut_ptr();
                self.blocks.push(b);
                p
            }
        }
    }
}

/// Errors the receive pages document (with WSA_IO_PENDING for an overlapped call).
const DOCUMENTED: &[i32] = &[
    WSAEFAULT,
    WSAEINVAL,
    WSAEMSGSIZE,
    WSAEOPNOTSUPP,
    WSAEWOULDBLOCK,
    WSAECONNRESET,
    WSAENETRESET,
    WSAEINTR,
    WSA_IO_PENDING,
];

/// A length argument: for real memory, at most what was allocated for it; otherwise
/// anything.
fn length(b: &mut Bytes, kind: &Ptr) -> u32 {
    match kind {
        Ptr::Real => u32::from(b.u8()) % 200,
        _ => b.u32(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let sim = Sim::new();
    let _g = sim.enter();
    let mut wsa: WSADATA = unsafe { zeroed() };
    assert_eq!(unsafe { WSAStartup(0x0202, &mut wsa) }, 0);
    let mut arena = Arena::default();
    let rx = unsafe { socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP) };
    let tx = unsafe { socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP) };
    let mut me: SOCKADDR_IN = unsafe { zeroed() };
    me.sin_family = AF_INET;
    me.sin_addr.S_un.S_addr = u32::from_ne_bytes([127, 0, 0, 1]);
    let setup = b.u8();
    if setup & 1 == 0 {
        assert_eq!(unsafe { bind(rx, &me as *const _ as *const SOCKADDR, 16) }, 0);
        let mut len = 16;
        unsafe { getsockname(rx, &mut me as *mut _ as *mut SOCKADDR, &mut len) };
    }
    if setup & 2 != 0 {
        let on = 1u32;
        unsafe { setsockopt(rx, IPPROTO_IP, IP_PKTINFO, &on as *const u32 as *const u8, 4) };
    }
    // Non-blocking unless asked: a blocking call with nothing to come fails with WSAEINTR
    // (and a diagnostic) anyway.
    let mut nb = u32::from(setup & 4 == 0);
    unsafe { ioctlsocket(rx, FIONBIO, &mut nb) };
    for _ in 0..(setup >> 4) % 3 {
        let n = usize::from(b.u8() % 100);
        let payload = vec![7u8; n];
        unsafe {
            sendto(tx, payload.as_ptr(), n as i32, 0, &me as *const _ as *const SOCKADDR, 16);
        }
    }
    let calls = 1 + b.u8() % 4;
    for _ in 0..calls {
        // The WSABUF array.
        let count = u32::from(b.u8() % 5);
        let array_kind = ptr_kind(&mut b);
        let array = arena.get(&array_kind, count as usize * size_of::<WSABUF>()) as *mut WSABUF;
        if let Ptr::Real = array_kind {
            for i in 0..count as usize {
                let k = ptr_kind(&mut b);
                let len = length(&mut b, &k);
                let buf = arena.get(&k, len as usize);
                unsafe { array.add(i).write_unaligned(WSABUF { len, buf }) };
            }
        }
        let name_kind = ptr_kind(&mut b);
        let namelen = (b.u32() as i32) % 300;
        let name = arena.get(&name_kind, namelen.max(0) as usize) as *mut SOCKADDR;
        let control_kind = ptr_kind(&mut b);
        let control_len = length(&mut b, &control_kind);
        let control = arena.get(&control_kind, control_len as usize);
        let flags = match b.u8() % 4 {
            0 => 0,
            1 => MSG_PEEK as u32,
            _ => b.u32(),
        };
        let ov_kind = ptr_kind(&mut b);
        let ov = arena.get(&ov_kind, size_of::<OVERLAPPED>()) as *mut OVERLAPPED;
        if let Ptr::Real = ov_kind {
            unsafe { ov.write_unaligned(zeroed()) };
        }
        // Cells an overlapped call may write at completion live in the arena.
        let count_ptr = if b.u8() & 1 == 0 {
            arena.get(&Ptr::Real, 4) as *mut u32
        } else {
            std::ptr::null_mut()
        };
        let namelen_ptr = if b.u8() & 1 == 0 {
            let p = arena.get(&Ptr::Real, 4) as *mut i32;
            unsafe { p.write_unaligned(namelen) };
            p
        } else {
            std::ptr::null_mut()
        };
        // Keep the WSAMSG and the flags in the arena: an overlapped WSARecvMsg writes them at
        // completion.
        let msg = arena.get(&Ptr::Real, size_of::<WSAMSG>()) as *mut WSAMSG;
        unsafe {
            msg.write_unaligned(WSAMSG {
                name,
                namelen,
                lpBuffers: array,
                dwBufferCount: count,
                Control: WSABUF {
                    len: control_len,
                    buf: control,
                },
                dwFlags: flags,
            })
        };
        let msg_arg = match b.u8() % 4 {
            0 => std::ptr::null_mut(),
            1 => 0x1000 as *mut WSAMSG,
            _ => msg,
        };
        let flags_cell = arena.get(&Ptr::Real, 4) as *mut u32;
        unsafe { flags_cell.write_unaligned(flags) };
        let ret = unsafe {
            match b.u8() % 5 {
                0 => recv(rx, control, control_len as i32, flags as i32),
                1 => recvfrom(rx, control, control_len as i32, flags as i32, name, namelen_ptr),
                2 => WSARecv(rx, array, count, count_ptr, flags_cell, ov, None),
                3 => WSARecvFrom(rx, array, count, count_ptr, flags_cell, name, namelen_ptr, ov, None),
                _ => {
                    let guid = WSAID_WSARECVMSG;
                    let mut f: LPFN_WSARECVMSG = None;
                    let mut n = 0u32;
                    WSAIoctl(
                        rx,
                        SIO_GET_EXTENSION_FUNCTION_POINTER,
                        &guid as *const _ as *const _,
                        size_of::<windows_sys::core::GUID>() as u32,
                        &mut f as *mut _ as *mut _,
                        size_of::<LPFN_WSARECVMSG>() as u32,
                        &mut n,
                        std::ptr::null_mut(),
                        None,
                    );
                    f.unwrap()(rx, msg_arg, count_ptr, ov, None)
                }
            }
        };
        if ret == SOCKET_ERROR {
            let e = unsafe { WSAGetLastError() };
            assert!(DOCUMENTED.contains(&e), "undocumented error {e}");
        } else {
            assert!(ret >= 0);
        }
    }
    // Closing completes whatever is still pending, into memory that is still alive.
    unsafe {
        closesocket(rx);
        closesocket(tx);
        WSACleanup();
    }
    assert!(!sim
        .diagnostics()
        .iter()
        .any(|d| matches!(d.diagnostic, Diagnostic::InternalError { .. })));
    sim.ledger().check().expect("every datagram accounted for");
    drop(arena);
});
