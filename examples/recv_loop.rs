//! A quinn-udp-style receive loop: a non-blocking UDP socket with IP_PKTINFO, WSARecvMsg
//! fetched through WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER), called until WSAEWOULDBLOCK;
//! each datagram's destination address read from its IN_PKTINFO control message by walking
//! the WSACMSGHDRs, as a QUIC endpoint does to answer from the address it was reached at.
//!
//! Written exactly as against windows-sys; only the `use` lines differ. It checks what it
//! shows and exits non-zero otherwise. Run: `cargo run --example recv_loop`.

use std::mem::{size_of, zeroed};
use std::net::Ipv4Addr;

// use windows_sys::Win32::Networking::WinSock::*;
use winsock_sim::ws2::*;

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

/// WSA_CMSGHDR_ALIGN / WSA_CMSGDATA_ALIGN: pointer alignment.
const fn align(n: usize) -> usize {
    (n + size_of::<usize>() - 1) & !(size_of::<usize>() - 1)
}

/// The destination address in the IN_PKTINFO of a control buffer, walking it as the
/// WSA_CMSG_FIRSTHDR / WSA_CMSG_NXTHDR / WSA_CMSG_DATA macros do.
fn pktinfo_destination(control: &[u8]) -> Option<Ipv4Addr> {
    let mut at = 0;
    while at + size_of::<CMSGHDR>() <= control.len() {
        // SAFETY: in bounds (checked above); read_unaligned makes no alignment assumption.
        let h: CMSGHDR = unsafe { control.as_ptr().add(at).cast::<CMSGHDR>().read_unaligned() };
        if h.cmsg_len < size_of::<CMSGHDR>() {
            return None;
        }
        let data = at + align(size_of::<CMSGHDR>());
        if h.cmsg_level == IPPROTO_IP && h.cmsg_type == IP_PKTINFO {
            let end = data + size_of::<IN_PKTINFO>();
            let bytes = control.get(data..end)?;
            // SAFETY: the slice holds a whole IN_PKTINFO.
            let info: IN_PKTINFO = unsafe { bytes.as_ptr().cast::<IN_PKTINFO>().read_unaligned() };
            // SAFETY: reading the address union as its integer form.
            let ip = unsafe { info.ipi_addr.S_un.S_addr };
            return Some(Ipv4Addr::from(ip.to_ne_bytes()));
        }
        at += align(h.cmsg_len);
    }
    None
}

fn main() {
    // SAFETY: every pointer passed below is to a live local of the length given.
    unsafe {
        let mut wsa: WSADATA = zeroed();
        assert_eq!(WSAStartup(0x0202, &mut wsa), 0);
        let len = size_of::<SOCKADDR_IN>() as i32;

        // The endpoint: non-blocking, IP_PKTINFO on.
        let s = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let here = sockaddr(Ipv4Addr::LOCALHOST, 4433);
        assert_eq!(bind(s, &here as *const _ as *const SOCKADDR, len), 0);
        let on = 1u32;
        let r = setsockopt(s, IPPROTO_IP, IP_PKTINFO, &on as *const u32 as *const u8, 4);
        assert_eq!(r, 0);
        let mut nonblocking = 1u32;
        assert_eq!(ioctlsocket(s, FIONBIO, &mut nonblocking), 0);

        // WSARecvMsg is an extension function: its address comes from WSAIoctl.
        let guid = WSAID_WSARECVMSG;
        let mut recvmsg: LPFN_WSARECVMSG = None;
        let mut n = 0u32;
        let r = WSAIoctl(
            s,
            SIO_GET_EXTENSION_FUNCTION_POINTER,
            &guid as *const _ as *const core::ffi::c_void,
            size_of::<windows_sys::core::GUID>() as u32,
            &mut recvmsg as *mut _ as *mut core::ffi::c_void,
            size_of::<LPFN_WSARECVMSG>() as u32,
            &mut n,
            std::ptr::null_mut(),
            None,
        );
        assert_eq!(r, 0);
        let recvmsg = recvmsg.expect("WSARecvMsg");

        // A peer sends a burst of datagrams.
        let peer = socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP);
        let sent: Vec<Vec<u8>> = (1..=5u8).map(|i| vec![i; 100 * usize::from(i)]).collect();
        for d in &sent {
            let r = sendto(
                peer,
                d.as_ptr(),
                d.len() as i32,
                0,
                &here as *const _ as *const SOCKADDR,
                len,
            );
            assert_eq!(r, d.len() as i32);
        }

        // The loop: receive until the socket would block.
        let mut got = Vec::new();
        let error = loop {
            let mut buf = vec![0u8; 1500];
            let mut wsabuf = WSABUF {
                len: buf.len() as u32,
                buf: buf.as_mut_ptr(),
            };
            let mut from: SOCKADDR_IN = zeroed();
            let mut control = [0u8; 64];
            let mut msg = WSAMSG {
                name: &mut from as *mut _ as *mut SOCKADDR,
                namelen: len,
                lpBuffers: &mut wsabuf,
                dwBufferCount: 1,
                Control: WSABUF {
                    len: control.len() as u32,
                    buf: control.as_mut_ptr(),
                },
                dwFlags: 0,
            };
            let mut bytes = 0u32;
            if recvmsg(s, &mut msg, &mut bytes, std::ptr::null_mut(), None) == SOCKET_ERROR {
                break WSAGetLastError();
            }
            let dst = pktinfo_destination(&control[..msg.Control.len as usize]);
            println!(
                "{bytes:>4} bytes from port {} to {} (flags {:#x})",
                u16::from_be(from.sin_port),
                dst.map_or("?".to_string(), |ip| ip.to_string()),
                msg.dwFlags
            );
            assert_eq!(
                dst,
                Some(Ipv4Addr::LOCALHOST),
                "IN_PKTINFO names the destination"
            );
            buf.truncate(bytes as usize);
            got.push(buf);
        };
        assert_eq!(
            error, WSAEWOULDBLOCK,
            "the loop ends when the queue is empty"
        );
        assert_eq!(got, sent, "every datagram, whole and in order");
        println!(
            "{} datagrams, then WSAEWOULDBLOCK: the queue is drained",
            got.len()
        );
        closesocket(peer);
        closesocket(s);
        WSACleanup();
    }
}
