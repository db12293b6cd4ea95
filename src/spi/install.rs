//! Installing a layered provider in a simulation's catalogue.

use windows_sys::core::GUID;
use windows_sys::Win32::Networking::WinSock::LPWSPSTARTUP;

use crate::catalog::Installed;
use crate::error::Result;
use crate::sim::Sim;

/// A layered service provider: a WSPStartup of the test's own, installed over catalogue
/// entries. Its protocol chains go just before those entries, so that sockets made
/// afterwards go through it; its WSPStartup receives ws2's upcall table and the chain's
/// WSAPROTOCOL_INFOW, and typically starts the provider below with
/// [`crate::spi::WSPStartup`] and passes calls down.
#[derive(Copy, Clone)]
pub struct LayeredProvider<'a> {
    /// szProtocol of its entry (its chains are named "{name} over [{base}]").
    pub name: &'a str,
    /// Its ProviderId.
    pub provider_id: GUID,
    /// Its WSPStartup.
    pub startup: LPWSPSTARTUP,
    /// The catalogue ids of the entries it layers over: base protocols (1002 is UDP/IP,
    /// 1005 UDP/IPv6) or chains of other layered providers.
    pub over: &'a [u32],
}

/// Installs `p` in `sim`'s catalogue (as WSCInstallProvider and WSCWriteProviderOrder
/// would). WSAEINVAL for an unknown or layered entry in `over`, a provider id already
/// installed, a chain longer than seven, or a NULL WSPStartup.
pub fn install_layered_provider(sim: &Sim, p: &LayeredProvider<'_>) -> Result<Installed> {
    let g = p.provider_id;
    let mut id = [0u8; 16];
    id[0..4].copy_from_slice(&g.data1.to_le_bytes());
    id[4..6].copy_from_slice(&g.data2.to_le_bytes());
    id[6..8].copy_from_slice(&g.data3.to_le_bytes());
    id[8..16].copy_from_slice(&g.data4);
    sim.with(|w| w.catalog.install_layered(p.name, id, p.startup, p.over))
}
