//! Differential tests: one scenario (`scenario`) played on the simulator and on a real
//! Winsock, each writing a trace (`trace`), the traces compared (`compare`).
//!
//! The interpreter (`interp`) is written against windows-sys's names and signatures; here
//! they are the simulator's `ws2` and `kernel32` faces, and the Windows executor
//! (`diff/executor`) includes the same file over windows-sys itself. See README, "Differential
//! tests".

pub mod compare;
pub mod interp;
pub mod scenario;
pub mod sim;
pub mod trace;

/// The functions the interpreter calls: the simulator's faces, with windows-sys's names.
pub(crate) mod platform {
    pub use winsock_sim::kernel32 as k32;
    pub use winsock_sim::ws2 as api;
}
