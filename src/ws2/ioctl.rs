//! ioctlsocket and WSAIoctl, including the extension-function table.

use core::ffi::c_void;

use windows_sys::core::GUID;
use windows_sys::Win32::Networking::WinSock::{
    self as ws, LPFN_WSARECVMSG, LPFN_WSASENDMSG, LPWSAOVERLAPPED_COMPLETION_ROUTINE, SOCKET,
    SOCKET_ERROR,
};
use windows_sys::Win32::System::IO::OVERLAPPED;

use super::face::{self, io_span, Cx};
use super::mem::{bad, read, write};
use super::overlapped::{complete_in_overlapped, is_overlapped, notify_for};
use crate::error::{Errno, Result};
use crate::io::status::NtStatus;
use crate::sched::thread::Routine;

/// Controls a socket's I/O mode (FIONBIO) or reads its state (FIONREAD, SIOCATMARK).
///
/// # Safety
/// `argp` must be valid for reads and writes of a u32.
pub unsafe extern "system" fn ioctlsocket(s: SOCKET, cmd: i32, argp: *mut u32) -> i32 {
    let _span = tracing::debug_span!("ioctlsocket", socket = s, cmd).entered();
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // ioctlsocket(s, FIONREAD, (u_long*)1) is WSAEFAULT (Wine test_fionread_siocatmark).
        if bad(argp) {
            return Err(Errno::Fault);
        }
        match cmd {
            ws::FIONBIO => {
                // SAFETY: valid u32 (caller contract).
                let on = unsafe { read(argp) } != 0;
                cx.world(|w| w.set_nonblocking(s, on))?;
            }
            ws::FIONREAD => {
                let n = fionread(cx, s)?;
                // SAFETY: valid u32 (caller contract).
                unsafe { write(argp, n) };
            }
            ws::SIOCATMARK if wine8(cx) => return Err(Errno::Inval),
            ws::SIOCATMARK => {
                // No urgent data on a datagram socket: "at the mark" is TRUE.
                // SAFETY: valid u32 (caller contract).
                unsafe { write(argp, 1) };
            }
            // "cmd is not a valid command" (ioctlsocket page).
            _ => return Err(Errno::Inval),
        }
        Ok(0)
    })
}

fn fionread(cx: &Cx, s: SOCKET) -> Result<u32> {
    cx.world(|w| w.bytes_queued(s))
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// Extension functions Windows provides that the simulator does not implement: asking for
/// them is WSAEOPNOTSUPP rather than the WSAEINVAL of an unknown GUID (README).
const UNIMPLEMENTED_EXTENSIONS: [GUID; 6] = [
    ws::WSAID_ACCEPTEX,
    ws::WSAID_CONNECTEX,
    ws::WSAID_DISCONNECTEX,
    ws::WSAID_GETACCEPTEXSOCKADDRS,
    ws::WSAID_TRANSMITFILE,
    ws::WSAID_TRANSMITPACKETS,
];

fn same_guid(a: &GUID, b: &GUID) -> bool {
    a.data1 == b.data1 && a.data2 == b.data2 && a.data3 == b.data3 && a.data4 == b.data4
}

/// The address of the extension function `guid` names, as windows-sys's LPFN_* holds it.
fn extension(guid: &GUID) -> Result<usize> {
    if same_guid(guid, &ws::WSAID_WSARECVMSG) {
        let f: LPFN_WSARECVMSG = Some(crate::spi::WSARecvMsg);
        Ok(f.map_or(0, |f| f as usize))
    } else if same_guid(guid, &ws::WSAID_WSASENDMSG) {
        let f: LPFN_WSASENDMSG = Some(super::WSASendMsg);
        Ok(f.map_or(0, |f| f as usize))
    } else if UNIMPLEMENTED_EXTENSIONS.iter().any(|g| same_guid(g, guid)) {
        Err(Errno::OpNotSupp)
    } else {
        // An unknown GUID: WSAEINVAL, size untouched (Wine test_get_extension_func).
        Err(Errno::Inval)
    }
}

/// The simulation reproduces Wine 8 (CONTRACT.md, section W).
fn wine8(cx: &Cx) -> bool {
    cx.world(|w| w.cfg.wine8())
}

/// Socket ioctls. Supported: SIO_GET_EXTENSION_FUNCTION_POINTER (WSARecvMsg, WSASendMsg),
/// FIONBIO, FIONREAD, SIOCATMARK, SIO_UDP_CONNRESET, SIO_UDP_NETRESET, SIO_BASE_HANDLE.
/// Others are WSAEOPNOTSUPP, as Windows reports unknown codes (Wine test_unsupported_ioctls).
///
/// # Safety
/// The buffers must be valid for their lengths; `lpcbbytesreturned` for a u32.
#[allow(non_snake_case, clippy::too_many_arguments)]
pub unsafe extern "system" fn WSAIoctl(
    s: SOCKET,
    dwiocontrolcode: u32,
    lpvinbuffer: *const c_void,
    cbinbuffer: u32,
    lpvoutbuffer: *mut c_void,
    cboutbuffer: u32,
    lpcbbytesreturned: *mut u32,
    lpoverlapped: *mut OVERLAPPED,
    lpcompletionroutine: LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32 {
    let _span = io_span!(
        "WSAIoctl",
        s,
        lpoverlapped,
        lpcompletionroutine,
        code = dwiocontrolcode
    );
    face::call(SOCKET_ERROR, |cx| {
        cx.socket(s)?;
        // A NULL byte count is WSAEFAULT, with or without an OVERLAPPED (Wine
        // test_get_extension_func, test_sioRoutingInterfaceQuery).
        if bad(lpcbbytesreturned) {
            return Err(Errno::Fault);
        }
        let notify = if is_overlapped(cx, s, lpoverlapped, lpcompletionroutine)? {
            // SAFETY: checked non-NULL by is_overlapped (caller contract).
            let n = unsafe { notify_for(cx, lpoverlapped, lpcompletionroutine.map(Routine::Raw)) };
            cx.world(|w| w.check_routine_allowed(s, &n))?;
            Some(n)
        } else {
            None
        };
        let input = |need: u32| -> Result<*const u8> {
            if bad(lpvinbuffer) || cbinbuffer < need {
                Err(Errno::Fault)
            } else {
                Ok(lpvinbuffer as *const u8)
            }
        };
        let output = |need: u32| -> Result<*mut u8> {
            if bad(lpvoutbuffer) || cboutbuffer < need {
                Err(Errno::Fault)
            } else {
                Ok(lpvoutbuffer as *mut u8)
            }
        };
        let returned = |n: u32| {
            // SAFETY: `lpcbbytesreturned` is non-NULL and valid (caller contract).
            unsafe { write(lpcbbytesreturned, n) }
        };
        match dwiocontrolcode {
            ws::SIO_GET_EXTENSION_FUNCTION_POINTER => {
                let inp = input(16)?;
                // Wine 8 does not check the output's size (diff/corpus/
                // recvmsg_extension_pointer.json: a 4-byte buffer gets success and 8 bytes);
                // the simulator then writes only what fits, never past the buffer.
                const SIZE: usize = core::mem::size_of::<usize>();
                let room = if wine8(cx) && !bad(lpvoutbuffer) {
                    (cboutbuffer as usize).min(SIZE)
                } else {
                    output(SIZE as u32)?;
                    SIZE
                };
                // SAFETY: 16 readable bytes (checked above, caller contract).
                let guid: GUID = unsafe { read(inp as *const GUID) };
                let f = extension(&guid)?.to_ne_bytes();
                // SAFETY: `room` writable bytes (checked above, caller contract); `f` has
                // SIZE >= room bytes.
                unsafe {
                    core::ptr::copy_nonoverlapping(f.as_ptr(), lpvoutbuffer as *mut u8, room)
                };
                returned(SIZE as u32);
            }
            ws::SIO_UDP_CONNRESET | ws::SIO_UDP_NETRESET => {
                let inp = input(4)?;
                // SAFETY: 4 readable bytes (checked above).
                let on = unsafe { read(inp as *const u32) } != 0;
                let netreset = dwiocontrolcode == ws::SIO_UDP_NETRESET;
                cx.world(|w| w.set_icmp_reporting(s, netreset, on))?;
                returned(0);
            }
            ws::SIO_BASE_HANDLE => {
                let out = output(8)?;
                // The base provider's handle is the socket itself (Wine test_base_handle).
                // SAFETY: 8 writable bytes (checked above).
                unsafe { write(out as *mut SOCKET, s) };
                returned(8);
            }
            code if code == ws::FIONBIO as u32 => {
                let inp = input(4)?;
                // SAFETY: 4 readable bytes (checked above).
                let on = unsafe { read(inp as *const u32) } != 0;
                cx.world(|w| w.set_nonblocking(s, on))?;
                // Wine test_fionbio: *size is set to 0.
                returned(0);
            }
            code if code == ws::FIONREAD as u32 => {
                let out = output(4)?;
                let n = fionread(cx, s)?;
                // SAFETY: 4 writable bytes (checked above).
                unsafe { write(out as *mut u32, n) };
                returned(4);
            }
            code if code == ws::SIOCATMARK as u32 => {
                // Wine 8 has no urgent-data state on a datagram socket: WSAEINVAL, nothing
                // written (diff/corpus/other_ioctls.json under Wine).
                if wine8(cx) {
                    return Err(Errno::Inval);
                }
                let out = output(4)?;
                // SAFETY: 4 writable bytes (checked above).
                unsafe { write(out as *mut u32, 1) };
                returned(4);
            }
            _ => {
                // Wine test_unsupported_ioctls (Windows rows): without an OVERLAPPED,
                // WSAEOPNOTSUPP with *size 0; with one, WSA_IO_PENDING, then a completion
                // with STATUS_NOT_SUPPORTED (the routine gets WSAEOPNOTSUPP).
                let Some(n) = notify else {
                    returned(0);
                    return Err(Errno::OpNotSupp);
                };
                // SAFETY: a valid OVERLAPPED (checked by is_overlapped; caller contract).
                unsafe { complete_in_overlapped(lpoverlapped, NtStatus::NOT_SUPPORTED, 0) };
                cx.world(|w| w.announce_now(s, &n, NtStatus::NOT_SUPPORTED, 0, false))?;
                return Err(Errno::IoPending);
            }
        }
        if let Some(n) = notify {
            // An ioctl that completes at once still announces it, with 0 bytes in the packet
            // and the routine whatever *lpcbBytesReturned says (Wine test_get_extension_func,
            // test_fionbio, test_address_list_query: Internal 0, InternalHigh 0).
            // SAFETY: a valid OVERLAPPED (checked by is_overlapped; caller contract).
            unsafe { complete_in_overlapped(lpoverlapped, NtStatus::SUCCESS, 0) };
            cx.world(|w| w.announce_now(s, &n, NtStatus::SUCCESS, 0, true))?;
        }
        Ok(0)
    })
}
