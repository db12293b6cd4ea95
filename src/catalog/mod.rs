//! The protocol catalogue of one simulation: the entries WSAEnumProtocols lists and socket()
//! chooses from, in catalogue order, with the providers behind them.
//!
//! As on Windows, an entry is a base protocol (ChainLen 1), a layered provider's own entry
//! (ChainLen 0, never listed by WSAEnumProtocols nor used by socket()), or a protocol chain
//! (ChainLen 2 or more: a layered provider over the entries that follow it in ChainEntries).
//! Installing a layered provider puts its chains just before the entries they layer, so
//! socket() picks the chain (the order an LSP installer sets with WSCWriteProviderOrder).

mod entry;

pub use entry::*;

use std::collections::BTreeMap;

use windows_sys::Win32::Networking::WinSock::{LPWSPSTARTUP, WSPPROC_TABLE};

use crate::error::{Errno, Result};
use crate::socket::SockKind;
use crate::wire::sockaddr::Family;

/// The first catalogue id given to entries added after the TCP/IP ones.
const FIRST_EXTRA_ID: u32 = 1007;

/// How ws2 starts a provider.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Startup {
    /// The simulator's base provider (`winsock_sim::spi::WSPStartup`).
    Builtin,
    /// A layered provider's WSPStartup.
    Layered(LPWSPSTARTUP),
}

/// What installing a layered provider added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    /// The catalogue id of the provider's own (layered) entry.
    pub layered_id: u32,
    /// The ids of its protocol chains, one per entry it was installed over, in that order.
    pub chains: Vec<u32>,
}

/// The catalogue and the providers loaded from it.
pub(crate) struct Catalog {
    entries: Vec<ProtocolEntry>,
    next_id: u32,
    startups: BTreeMap<ProviderId, Startup>,
    /// Procedure tables of the providers ws2 has started (WSPStartup is called once per
    /// provider, when its first socket is made), in the order they started.
    tables: Vec<(ProviderId, WSPPROC_TABLE)>,
    /// Which started table serves each entry looked up so far (entry id, index in `tables`),
    /// so that a call finds its socket's table without walking the catalogue. Entries and
    /// started providers are never removed, so an answer stays true.
    served: Vec<(u32, usize)>,
}

impl core::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Catalog")
            .field("entries", &self.entries)
            .field(
                "started",
                &self.tables.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Catalog {
    /// The catalogue of a Windows machine with TCP/IP, plus the simulator's message protocols
    /// when asked for.
    pub fn new(message_protocols: bool, wine8: bool) -> Catalog {
        let mut entries = tcpip_entries();
        let mut next_id = FIRST_EXTRA_ID;
        let mut startups = BTreeMap::from([
            (MSAFD_TCPIP, Startup::Builtin),
            (MSAFD_TCPIP6, Startup::Builtin),
        ]);
        if wine8 {
            // Wine 8 lists IPX and SPX after TCP/IP (diff/corpus/catalog_enum.json).
            let more = ipx_entries(next_id);
            next_id += more.len() as u32;
            entries.extend(more);
        }
        if message_protocols {
            let more = message_entries(next_id);
            next_id += more.len() as u32;
            entries.extend(more);
            startups.insert(SIM_MESSAGE, Startup::Builtin);
        }
        Catalog {
            entries,
            next_id,
            startups,
            tables: Vec::new(),
            served: Vec::new(),
        }
    }

    pub fn get(&self, id: u32) -> Option<&ProtocolEntry> {
        self.entries.iter().find(|e| e.catalog_id == id)
    }

    /// The entries WSAEnumProtocols reports: base protocols and chains without PFL_HIDDEN
    /// (WSAEnumProtocols page; Wine test_WSAEnumProtocolsW, Windows rows), or every entry
    /// (WSCEnumProtocols); only those whose iProtocol is in `protocols` when a filter is
    /// given.
    pub fn enumerate(&self, protocols: Option<&[i32]>, everything: bool) -> Vec<&ProtocolEntry> {
        self.entries
            .iter()
            .filter(|e| {
                everything
                    || (e.provider_flags & PFL_HIDDEN == 0 && e.chain_len != LAYERED_PROTOCOL)
            })
            .filter(|e| protocols.is_none_or(|p| p.contains(&e.protocol)))
            .collect()
    }

    /// The entry a socket of this family and kind is made from: the first in catalogue order.
    pub fn for_socket(&self, family: Family, kind: SockKind) -> Option<&ProtocolEntry> {
        self.entries.iter().find(|e| e.makes(family, kind))
    }

    /// How to start the provider `id`.
    pub fn startup(&self, id: &ProviderId) -> Option<Startup> {
        self.startups.get(id).copied()
    }

    /// The provider that serves sockets of entry `e`: for a chain, the provider at its top.
    pub fn provider_of_entry(&self, e: &ProtocolEntry) -> Option<ProviderId> {
        match e.chain.first() {
            Some(&top) if e.chain_len > BASE_PROTOCOL => self.get(top).map(|t| t.provider_id),
            _ => Some(e.provider_id),
        }
    }

    /// Installs a layered provider over the entries `over` (base protocols or chains). Its
    /// chains are placed just before the entries they layer. WSAEINVAL for an unknown or
    /// layered entry, a provider id already installed, or a chain longer than
    /// MAX_PROTOCOL_CHAIN.
    pub fn install_layered(
        &mut self,
        name: &str,
        provider: ProviderId,
        startup: LPWSPSTARTUP,
        over: &[u32],
    ) -> Result<Installed> {
        if startup.is_none() || over.is_empty() || self.startups.contains_key(&provider) {
            return Err(Errno::Inval);
        }
        let mut below = Vec::new();
        for &id in over {
            let e = self.get(id).ok_or(Errno::Inval)?;
            let lower: Vec<u32> = if e.chain_len == BASE_PROTOCOL {
                vec![id]
            } else if e.chain_len > BASE_PROTOCOL {
                e.chain.clone()
            } else {
                return Err(Errno::Inval);
            };
            if lower.len() + 1 > MAX_PROTOCOL_CHAIN {
                return Err(Errno::Inval);
            }
            below.push((id, e.clone(), lower));
        }
        let layered_id = self.take_id();
        let first = &below[0].1;
        self.entries.push(ProtocolEntry {
            provider_id: provider,
            catalog_id: layered_id,
            chain_len: LAYERED_PROTOCOL,
            chain: Vec::new(),
            provider_flags: first.provider_flags | PFL_HIDDEN,
            name: name.to_string(),
            ..first.clone()
        });
        let mut chains = Vec::new();
        for (id, e, lower) in below {
            let chain_id = self.take_id();
            let mut chain = vec![layered_id];
            chain.extend(lower);
            let entry = ProtocolEntry {
                provider_id: provider,
                catalog_id: chain_id,
                chain_len: chain.len() as i32,
                chain,
                name: format!("{name} over [{}]", e.name),
                ..e
            };
            let at = self
                .entries
                .iter()
                .position(|x| x.catalog_id == id)
                .unwrap_or(self.entries.len());
            self.entries.insert(at, entry);
            chains.push(chain_id);
        }
        self.startups.insert(provider, Startup::Layered(startup));
        Ok(Installed { layered_id, chains })
    }

    /// Where the procedure table of the started provider serving entry `entry_id` is (for
    /// [`Catalog::table`]): none when there is no such entry or its provider has not
    /// started.
    #[inline]
    pub fn started(&mut self, entry_id: u32) -> Option<usize> {
        match self.served.iter().find(|&&(e, _)| e == entry_id) {
            Some(&(_, i)) => Some(i),
            None => self.serve(entry_id),
        }
    }

    /// `started` for an entry not looked up before.
    #[cold]
    #[inline(never)]
    fn serve(&mut self, entry_id: u32) -> Option<usize> {
        let provider = self.provider_of_entry(self.get(entry_id)?)?;
        let i = self.tables.iter().position(|(p, _)| *p == provider)?;
        self.served.push((entry_id, i));
        Some(i)
    }

    /// A started provider's table, where [`Catalog::started`] said it is.
    pub fn table(&self, i: usize) -> Option<&WSPPROC_TABLE> {
        self.tables.get(i).map(|(_, t)| t)
    }

    /// Keeps the table WSPStartup filled for `provider` (replacing one kept before, where two
    /// threads started it at once).
    pub fn insert_table(&mut self, provider: ProviderId, table: WSPPROC_TABLE) {
        match self.tables.iter_mut().find(|(p, _)| *p == provider) {
            Some((_, t)) => *t = table,
            None => self.tables.push((provider, table)),
        }
    }

    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(unsafe_code)] // the signature LPWSPSTARTUP requires; the body does nothing
    unsafe extern "system" fn fake_startup(
        _: u16,
        _: *const windows_sys::Win32::Networking::WinSock::WSPDATA,
        _: *const windows_sys::Win32::Networking::WinSock::WSAPROTOCOL_INFOW,
        _: windows_sys::Win32::Networking::WinSock::WSPUPCALLTABLE,
        _: *mut WSPPROC_TABLE,
    ) -> i32 {
        0
    }

    #[test]
    fn default_catalogue_order_and_visibility() {
        let c = Catalog::new(false, false);
        let ids: Vec<u32> = c
            .enumerate(None, false)
            .iter()
            .map(|e| e.catalog_id)
            .collect();
        // Raw entries are PFL_HIDDEN: not listed, yet sockets can be made from them.
        assert_eq!(ids, vec![1001, 1002, 1004, 1005]);
        assert_eq!(c.enumerate(None, true).len(), 6);
        assert_eq!(
            c.for_socket(Family::V4, SockKind::Raw(1))
                .unwrap()
                .catalog_id,
            1003
        );
        let udp_tcp: Vec<u32> = c
            .enumerate(Some(&[6, 17]), false)
            .iter()
            .map(|e| e.catalog_id)
            .collect();
        assert_eq!(udp_tcp, vec![1001, 1002, 1004, 1005]);
    }

    #[test]
    fn an_entry_finds_its_started_providers_table() {
        let mut c = Catalog::new(false, false);
        // TCP (1001) and UDP (1002) over IPv4 share MSAFD_TCPIP; 1004 is IPv6's.
        assert_eq!(c.started(1002), None, "not started yet");
        c.insert_table(MSAFD_TCPIP6, WSPPROC_TABLE::default());
        c.insert_table(MSAFD_TCPIP, WSPPROC_TABLE::default());
        assert_eq!(c.started(1002), Some(1));
        assert_eq!(c.started(1001), Some(1));
        assert_eq!(c.started(1004), Some(0));
        assert_eq!(c.started(1002), Some(1), "asked again");
        assert_eq!(c.started(4242), None, "no such entry");
        assert!(c.table(1).is_some() && c.table(2).is_none());
        // Started again (two threads at once): the table is replaced where it was.
        c.insert_table(MSAFD_TCPIP, WSPPROC_TABLE::default());
        assert_eq!(c.started(1002), Some(1));
        // A chain over UDP is served by the layered provider, once that has started.
        let lsp = c
            .install_layered("lsp", [7; 16], Some(fake_startup), &[1002])
            .unwrap();
        assert_eq!(c.started(lsp.chains[0]), None);
        c.insert_table([7; 16], WSPPROC_TABLE::default());
        assert_eq!(c.started(lsp.chains[0]), Some(2));
        assert_eq!(c.started(1002), Some(1));
    }

    #[test]
    fn layered_chains_go_first_and_stay_listed() {
        let mut c = Catalog::new(false, false);
        let got = c
            .install_layered("lsp", [7; 16], Some(fake_startup), &[1002])
            .unwrap();
        assert_eq!(
            got,
            Installed {
                layered_id: 1007,
                chains: vec![1008]
            }
        );
        let chain = c.for_socket(Family::V4, SockKind::Udp).unwrap();
        assert_eq!(
            (chain.catalog_id, chain.chain_len, chain.chain.clone()),
            (1008, 2, vec![1007, 1002])
        );
        let chain = c.get(1008).unwrap();
        assert_eq!(c.provider_of_entry(chain), Some([7; 16]));
        let listed: Vec<u32> = c
            .enumerate(None, false)
            .iter()
            .map(|e| e.catalog_id)
            .collect();
        assert_eq!(
            listed,
            vec![1001, 1008, 1002, 1004, 1005],
            "the layered entry is not listed"
        );
        assert_eq!(c.enumerate(None, true).len(), 8);
        // Over the chain: a chain of three.
        let top = c
            .install_layered("top", [8; 16], Some(fake_startup), &[1008])
            .unwrap();
        let e = c.get(top.chains[0]).unwrap();
        assert_eq!(e.chain, vec![top.layered_id, 1007, 1002]);
        assert_eq!(
            c.for_socket(Family::V4, SockKind::Udp).unwrap().catalog_id,
            top.chains[0]
        );
        assert_eq!(
            c.install_layered("again", [8; 16], Some(fake_startup), &[1002]),
            Err(Errno::Inval)
        );
        assert_eq!(
            c.install_layered("x", [9; 16], Some(fake_startup), &[top.layered_id]),
            Err(Errno::Inval)
        );
    }
}
