//! Plays winsock-sim-diff scenarios on the real Winsock of the machine it runs on (Windows,
//! or Wine) and writes one trace per scenario. The scenario and trace formats and the
//! interpreter are the simulator runner's own files, included as they are; only the
//! functions differ: windows-sys's here, the simulator's faces there.
//!
//! Usage: winsock-executor <name: windows|wine> <output folder> <scenario.json>...

#[path = "../../src/interp/mod.rs"]
mod interp;
#[path = "../../src/scenario.rs"]
mod scenario;
#[path = "../../src/trace.rs"]
mod trace;

/// The real functions, with the names the interpreter uses.
mod platform {
    pub use windows_sys::Win32::Networking::WinSock as api;

    pub mod k32 {
        pub use windows_sys::Win32::Foundation::{GetLastError, HANDLE};
        pub use windows_sys::Win32::Storage::FileSystem::SetFileCompletionNotificationModes;
        pub use windows_sys::Win32::System::Threading::{
            CreateEventW, GetCurrentThread, QueueUserAPC, SleepEx,
        };
        pub use windows_sys::Win32::System::IO::{
            CancelIoEx, CreateIoCompletionPort, GetQueuedCompletionStatus,
            GetQueuedCompletionStatusEx, OVERLAPPED, OVERLAPPED_ENTRY,
        };
    }
}

use std::fs;
use std::path::PathBuf;

struct RealHost {
    name: String,
}

impl interp::Host for RealHost {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn settle(&mut self) {
        // A real Winsock completes overlapped requests on its own threads: give them time.
        // SAFETY: always safe.
        unsafe { platform::k32::SleepEx(50, 0) };
    }

    fn fault(&mut self, fault: Option<scenario::FaultSpec>) {
        assert!(
            fault.is_none(),
            "faults need the simulator (sim_only scenarios are skipped)"
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().expect("executor name");
    let out = PathBuf::from(args.next().expect("output folder"));
    fs::create_dir_all(&out).expect("output folder");
    for path in args {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let sc: scenario::Scenario =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        if sc.sim_only {
            println!("{}: simulator only, skipped", sc.name);
            continue;
        }
        if let Some(why) = sc.skip.get(&name) {
            println!("{}: not played on {name}: {why}", sc.name);
            continue;
        }
        let mut host = RealHost { name: name.clone() };
        let trace = interp::play(&sc, &mut host);
        let json = serde_json::to_string_pretty(&trace).expect("a trace serialises");
        fs::write(out.join(format!("{}.json", sc.name)), json + "\n").expect("trace file");
        println!("{}: {} steps", sc.name, trace.records.len());
    }
}
