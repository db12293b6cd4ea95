//! How ws2 finds a socket's provider: the catalogue entry the socket was made from, the
//! provider at the top of that entry's chain, and the procedure table its WSPStartup filled
//! (started once, when first needed, with ws2's upcall table).

use windows_sys::Win32::Networking::WinSock::{
    SOCKET, WSAPROTOCOL_INFOW, WSATHREADID, WSPDATA, WSPPROC_TABLE,
};

use super::upcall::{thread_id_of, upcall_table};
use crate::catalog::{ProtocolEntry, ProviderId, Startup, PROTOCOL_INFOW_LEN};
use crate::error::Errno;
use crate::stack::World;
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

/// What starting the provider of an entry takes (the entry is cloned only then); `None` when
/// the catalogue has no provider for it. Boxed: it is rare, and large.
type ToStart = Option<Box<(ProviderId, Startup, ProtocolEntry)>>;

/// The procedure table of the provider serving catalogue entry `entry_id`, if it has started.
fn find(w: &mut World, entry_id: u32) -> Result<&WSPPROC_TABLE, ToStart> {
    match w.catalog.started(entry_id) {
        Some(i) => w.catalog.table(i).ok_or(None),
        None => {
            let entry = w.catalog.get(entry_id).ok_or(None)?;
            let provider = w.catalog.provider_of_entry(entry).ok_or(None)?;
            let startup = w.catalog.startup(&provider).ok_or(None)?;
            Err(Some(Box::new((provider, startup, entry.clone()))))
        }
    }
}

/// The procedure table of the provider serving catalogue entry `entry_id`, starting it if
/// this is its first use. A WSPStartup failure is returned as its error code.
pub(crate) fn start_provider(cx: &Cx, entry_id: u32) -> Result<WSPPROC_TABLE, i32> {
    match cx.world_data(|w| find(w, entry_id).copied()) {
        Ok(table) => Ok(table),
        Err(to_start) => start(cx, to_start),
    }
}

/// Starts a provider and returns its table.
fn start(cx: &Cx, to_start: ToStart) -> Result<WSPPROC_TABLE, i32> {
    let (provider, startup, entry) = *to_start.ok_or(Errno::ProtoNoSupport.code())?;
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
    cx.world(|w| w.catalog.insert_table(provider, table));
    Ok(table)
}

/// The procedure table of socket `s`'s provider.
pub(crate) fn provider_table(cx: &Cx, s: SOCKET) -> Result<WSPPROC_TABLE, i32> {
    provider_table_and(cx, s, |_| Ok(()), |t| *t, |_| ()).map(|(t, ())| t)
}

/// What `pick` takes of socket `s`'s provider's procedure table (the table is large: a call
/// takes the one or two functions it calls), and what `look` reads of the world after it:
/// under the same lock when the provider has started (every call but the first), which the
/// data path's calls want. `gate` (the caller's first checks) comes first, in that lock.
pub(crate) fn provider_table_and<P, R>(
    cx: &Cx,
    s: SOCKET,
    gate: impl FnOnce(&World) -> Result<(), i32>,
    pick: impl Fn(&WSPPROC_TABLE) -> P,
    mut look: impl FnMut(&mut World) -> R,
) -> Result<(P, R), i32> {
    let found = cx.world_data(|w| -> Result<_, i32> {
        gate(w)?;
        let entry = w.sock(s).map_err(|e| e.code())?.catalog_id;
        Ok(match find(w, entry) {
            Ok(table) => {
                let picked = pick(table);
                Ok((picked, look(w)))
            }
            Err(to_start) => Err(to_start),
        })
    })?;
    match found {
        Ok(both) => Ok(both),
        Err(to_start) => {
            let table = start(cx, to_start)?;
            Ok((pick(&table), cx.world_data(look)))
        }
    }
}
