//! The Win32 face: Winsock functions with exactly the names and signatures `windows-sys`
//! (0.61) declares in `Win32::Networking::WinSock`, taking its types.
//!
//! ```
//! // use windows_sys::Win32::Networking::WinSock::*;
//! use winsock_sim::ws2::*;
//!
//! // A fresh thread has a fresh simulation, not yet started: Windows' answer.
//! let s = unsafe { socket(AF_INET as i32, SOCK_DGRAM, IPPROTO_UDP) };
//! assert_eq!((s, unsafe { WSAGetLastError() }), (INVALID_SOCKET, WSANOTINITIALISED));
//! ```
//!
//! Each function runs against the simulation the calling thread has entered (or the thread's
//! own default simulation), checks its arguments in Windows' order, and reports failures the
//! way Windows does: a return value and `WSAGetLastError`. Nothing here panics across the ABI:
//! a bug inside the simulator is caught, recorded as a diagnostic, and reported as
//! WSAENETDOWN.
//!
//! Pointers: NULL and addresses below 64 KiB (which Windows never maps) give WSAEFAULT, as on
//! Windows. Any other pointer is trusted to be valid for the length given, as the Win32
//! contract requires of the caller; the simulator cannot probe memory the way the kernel can.

mod catalog;
mod convert;
pub(crate) mod face;
mod ioctl;
pub(crate) mod mem;
pub(crate) mod overlapped;
mod recv;
mod send;
mod socket;
mod sockopt;
mod startup;

// Every type and constant windows-sys declares for Winsock, so that this module replaces
// `windows_sys::Win32::Networking::WinSock` in a `use`. The functions below shadow
// windows-sys's functions of the same names (explicit items take precedence over a glob).
pub use windows_sys::Win32::Networking::WinSock::*;

pub use catalog::{WSAEnumProtocolsA, WSAEnumProtocolsW, WSCEnumProtocols};
pub use convert::{htonl, htons, inet_addr, inet_ntop, inet_pton, ntohl, ntohs};
pub use ioctl::{ioctlsocket, WSAIoctl};
pub use recv::{recv, recvfrom, WSARecv, WSARecvFrom};
pub use send::{send, sendto, WSASend, WSASendMsg, WSASendTo};
pub use socket::{
    bind, closesocket, connect, getpeername, getsockname, shutdown, socket, WSASocketA, WSASocketW,
};
pub use sockopt::{getsockopt, setsockopt};
pub use startup::{WSACleanup, WSAGetLastError, WSASetLastError, WSAStartup};

pub(crate) use overlapped::result_of;
pub use overlapped::{
    WSACloseEvent, WSACreateEvent, WSAGetOverlappedResult, WSAResetEvent, WSASetEvent,
    WSAWaitForMultipleEvents,
};

include!("unsupported.rs");
