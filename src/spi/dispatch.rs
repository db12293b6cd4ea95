//! How ws2 finds a socket's provider: the catalogue entry the socket was made from, the
//! provider at the top of that entry's chain, and the procedure table its WSPStartup filled
//! (started once, when first needed, with ws2's upcall table).

use windows_sys::Win32::Networking::WinSock::{
    SOCKET, WSAPROTOCOL_INFOW, WSATHREADID, WSPDATA, WSPPROC_TABLE,
};

use super::upcall::{thread_id_of, upcall_table};
use crate::catalog::{ProtocolEntry, Startup, PROTOCOL_INFOW_LEN};
use crate::error::Errno;
use crate::ws2::face::Cx;

/// The WSAPROTOCOL_INFOW of a catalogue entry.
pub(crate) fn info_of(entry: &ProtocolEntry) -> WSAPROTOCOL_INFOW {
    let bytes = entry.to_bytes(true);
    assert_eq!(bytes.len(), PROTOCOL_INFOW_LEN);
    const _: () = assert!(core::mem::size_of::<WSAPROTOCOL_INFOW>() == PROTOCOL_INFOW_LEN);
    // SAFETY: `bytes` holds exactly size_of::<WSAPROTOCOL_INFOW>() bytes laid out as the
    // structure (checked above and by the catalogue's layout test); every bit pattern is a
    // valid WSAPROTOCOL_INFOW (integers and arrays of integers); read_unaligned needs no
    // alignment.
    unsafe { core::ptr::read_unaligned(bytes.as_ptr() as *const WSAPROTOCOL_INFOW) }
}

/// The WSATHREADID ws2 passes to a provider for the calling thread.
pub(crate) fn thread_id_for_call(cx: &Cx) -> WSATHREADID {
    thread_id_of(cx)
}

/// The procedure table of the provider serving catalogue entry `entry_id`, starting it if
/// this is its first use. A WSPStartup failure is returned as its error code.
pub(crate) fn start_provider(cx: &Cx, entry_id: u32) -> Result<WSPPROC_TABLE, i32> {
    let found = cx.world_data(|w| {
        let provider = w.catalog.provider_of(entry_id)?;
        let startup = w.catalog.startup(&provider)?;
        let entry = w.catalog.get(entry_id)?.clone();
        Some((
            provider,
            startup,
            entry,
            w.catalog.tables.get(&provider).copied(),
        ))
    });
    let Some((provider, startup, entry, table)) = found else {
        return Err(Errno::ProtoNoSupport.code());
    };
    if let Some(t) = table {
        return Ok(t);
    }
    let f = match startup {
        Startup::Builtin => super::WSPStartup as unsafe extern "system" fn(_, _, _, _, _) -> _,
        Startup::Layered(Some(f)) => f,
        Startup::Layered(None) => return Err(Errno::ProtoNoSupport.code()),
    };
    let info = info_of(&entry);
    let mut data: WSPDATA = WSPDATA::default();
    let mut table = WSPPROC_TABLE::default();
    // SAFETY: the provider's WSPStartup (the base provider's, or the one a test installed
    // with its LPWSPSTARTUP signature), with valid pointers to locals.
    // The WSPDATA is the provider's output, though windows-sys types it `*const`.
    let data = (&raw mut data).cast_const();
    let r = unsafe { f(0x0202, data, &info, upcall_table(), &mut table) };
    if r != 0 {
        return Err(r);
    }
    cx.world(|w| w.catalog.tables.insert(provider, table));
    Ok(table)
}

/// The procedure table of socket `s`'s provider.
pub(crate) fn provider_table(cx: &Cx, s: SOCKET) -> Result<WSPPROC_TABLE, i32> {
    let entry = cx
        .world_data(|w| w.sock(s).map(|s| s.catalog_id))
        .map_err(|e| e.code())?;
    start_provider(cx, entry)
}
