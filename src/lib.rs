//! # winsock-sim
//!
//! A deterministic, in-process simulation of the Windows Winsock datagram receive path.
//!
//! - [`ws2`]: the Win32 face. Functions with the names and signatures `windows-sys` declares
//!   in `Win32::Networking::WinSock`, so code written against windows-sys switches to the
//!   simulator by changing one `use` line. `WSARecvMsg` is reached as on Windows, through
//!   `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, WSAID_WSARECVMSG)`.
//! - [`spi`]: the service provider interface under ws2: the base provider's `WSPStartup`,
//!   `WSPRecvFrom` and `WSPRecv`, ws2's upcall table, and layered providers.
//! - [`kernel32`]: events, waits, APCs, completion ports and cancellation, in virtual time.
//! - [`api`]: a safe, idiomatic Rust API over the same core.
//! - [`Sim`]: a simulation (hosts, network, virtual clock, seed, fault rules, trace).
//!
//! Every behaviour cites its evidence in `CONTRACT.md`; what is not simulated is listed in
//! the README's "Not supported" section and fails with a documented error.

#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod catalog;
mod diag;
mod error;
mod explore;
pub mod io;
// Part of the raw ABI layer, like ws2 and spi.
#[allow(unsafe_code)]
pub mod kernel32;
mod ledger;
pub mod net;
pub mod sched;
mod sim;
mod socket;
// The service provider interface: raw ABI layer.
#[allow(unsafe_code)]
pub mod spi;
mod stack;
mod trace;
pub mod wire;
// The raw ABI layer: with kernel32 and spi, the only modules allowed `unsafe`, each block
// with a SAFETY comment.
#[allow(unsafe_code)]
pub mod ws2;

pub use diag::{Diagnostic, DiagnosticRecord};
pub use error::{Errno, Result};
pub use explore::{explore, Run};
pub use io::status::{CancelledError, CloseStatus, NtStatus};
pub use ledger::{DropReason, DropRecord, Ledger};
pub use net::capture::Captured;
pub use net::fault::{Endpoint, Fault, FaultRule};
pub use net::packet::{DatagramId, IcmpKind};
pub use net::topology::HostId;
pub use net::PathProps;
pub use sched::choice::Choices;
pub use sched::thread::ThreadId;
pub use sched::time::Instant;
pub use sim::{EnterGuard, HostSpec, JoinHandle, Outside, Sim, SimBuilder};
pub use socket::SockKind;
pub use stack::Personality;
pub use trace::{Event, Record, Trace};
pub use wire::sockaddr::Family;
