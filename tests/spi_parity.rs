//! The SPI entry points have exactly the windows-sys types: a function coerces to the
//! `Option<unsafe extern "system" fn ...>` windows-sys declares only if its signature is
//! identical. (The base provider's whole procedure table is typed the same way where it is
//! built, and ws2's upcall table where it is built.)

use windows_sys::Win32::Networking::WinSock::{
    LPWPUOPENCURRENTTHREAD, LPWPUQUEUEAPC, LPWSPRECV, LPWSPRECVFROM, LPWSPSTARTUP,
};
use winsock_sim::spi;

#[test]
fn spi_entry_points_have_windows_sys_types() {
    let startup: LPWSPSTARTUP = Some(spi::WSPStartup);
    let recvfrom: LPWSPRECVFROM = Some(spi::WSPRecvFrom);
    let recv: LPWSPRECV = Some(spi::WSPRecv);
    let upcalls = spi::upcall_table();
    let queue_apc: LPWPUQUEUEAPC = upcalls.lpWPUQueueApc;
    let open: LPWPUOPENCURRENTTHREAD = upcalls.lpWPUOpenCurrentThread;
    assert!(startup.is_some() && recvfrom.is_some() && recv.is_some());
    assert!(queue_apc.is_some() && open.is_some());
}
