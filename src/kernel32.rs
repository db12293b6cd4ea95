//! The parts of kernel32's face the receive path needs, with windows-sys's names and
//! signatures (`Win32::System::Threading`). Sleeping is in virtual time.

use std::time::Duration;

use crate::sim::Sim;

/// INFINITE.
const INFINITE: u32 = u32::MAX;

/// Sleeps for `dwmilliseconds` of virtual time; the clock moves when every thread of the
/// simulation is blocked. `Sleep(0)` returns at once.
///
/// # Safety
/// Always safe; `unsafe` only to match windows-sys.
#[allow(non_snake_case)]
pub unsafe extern "system" fn Sleep(dwmilliseconds: u32) {
    let d = (dwmilliseconds != INFINITE).then(|| Duration::from_millis(u64::from(dwmilliseconds)));
    // A panic must not cross the ABI; Sleep has no way to report one, so it just returns.
    let _ = std::panic::catch_unwind(|| Sim::current().sleep(d));
}
