//! Creating and closing sockets, and WSAStartup / WSACleanup.

use super::World;
use crate::catalog::{IPPROTO_SIM_RDM, IPPROTO_SIM_RM};
use crate::error::{Errno, Result};
use crate::io::handles::Object;
use crate::ledger::DropReason;
use crate::net::ports::SockKey;
use crate::net::topology::HostId;
use crate::socket::{SockKind, Socket};
use crate::trace::Event;
use crate::wire::sockaddr::Family;

/// The highest Winsock version the simulation offers (2.2).
pub const HIGHEST_VERSION: u16 = 0x0202;

/// What a successful WSAStartup negotiated.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The version the caller will use.
    pub version: u16,
    /// The highest version supported.
    pub high: u16,
}

/// Decides a socket's family and kind from socket()'s arguments; `message` says whether the
/// simulator's message protocols are in the catalogue.
///
/// The order of the checks reproduces the Windows rows of Wine's test_WSASocket: AF_UNSPEC
/// with protocol 0 is WSAEINVAL whatever the type; then a bad type (WSAESOCKTNOSUPPORT) wins
/// over a bad family (WSAEAFNOSUPPORT), which wins over a bad protocol (WSAEPROTONOSUPPORT).
pub fn resolve(af: i32, ty: i32, protocol: i32, message: bool) -> Result<(Family, SockKind)> {
    const UNSPEC: i32 = 0;
    if af == UNSPEC && protocol == 0 {
        return Err(Errno::Inval);
    }
    if !(0..=5).contains(&ty) {
        return Err(Errno::SockTNoSupport);
    }
    let family = match af {
        UNSPEC => Family::V4, // Windows 10 picks AF_INET (Windows 11 picks AF_INET6)
        _ => Family::from_af(af).ok_or(Errno::AfNoSupport)?,
    };
    let kind = match (ty, protocol) {
        (0, 0) | (0, 6) | (1, 0) | (1, 6) => SockKind::Stream,
        (0, 17) | (2, 0) | (2, 17) => SockKind::Udp,
        (0, 255) => SockKind::Raw(255),
        (3, p) if (0..=255).contains(&p) => SockKind::Raw(p as u8),
        (0 | 4, IPPROTO_SIM_RM) if message => SockKind::Reliable { partial: true },
        (0 | 4, IPPROTO_SIM_RDM) if message => SockKind::Reliable { partial: false },
        (4, _) if message => return Err(Errno::ProtoNoSupport),
        // SOCK_RDM / SOCK_SEQPACKET: no provider of a Windows machine's default catalogue
        // offers them over IP.
        (4, _) | (5, _) => return Err(Errno::SockTNoSupport),
        _ => return Err(Errno::ProtoNoSupport),
    };
    Ok((family, kind))
}

impl World {
    /// WSAStartup: reference-counted; versions below 1.1 are refused, anything above 2.2 is
    /// negotiated down to 2.2.
    pub fn startup(&mut self, requested: u16) -> Result<Negotiated> {
        let (major, minor) = (requested & 0xFF, requested >> 8);
        if major == 0 || (major == 1 && minor == 0) {
            return Err(Errno::VerNotSupported);
        }
        let version = if major > 2 || (major == 2 && minor >= 2) {
            HIGHEST_VERSION
        } else {
            requested
        };
        self.startup += 1;
        Ok(Negotiated {
            version,
            high: HIGHEST_VERSION,
        })
    }

    /// WSACleanup: the last call closes every socket (Wine test_WithWSAStartup: handles from
    /// before are WSAENOTSOCK after a new WSAStartup).
    pub fn cleanup(&mut self) -> Result<()> {
        if self.startup == 0 {
            return Err(Errno::NotInitialised);
        }
        self.startup -= 1;
        if self.startup == 0 {
            let handles: Vec<usize> = self.sockets.iter().map(|(_, s)| s.handle).collect();
            for h in handles {
                let _ = self.close(h);
            }
        }
        Ok(())
    }

    pub fn check_initialised(&self) -> Result<()> {
        if self.startup == 0 {
            Err(Errno::NotInitialised)
        } else {
            Ok(())
        }
    }

    /// Creates a socket on `host`, from the catalogue entry socket() would choose for its
    /// family and kind (ws2 may later record the protocol chain it went through).
    pub fn create_socket(
        &mut self,
        host: HostId,
        family: Family,
        kind: SockKind,
        overlapped: bool,
    ) -> Result<usize> {
        let catalog_id = self
            .catalog
            .for_socket(family, kind)
            .ok_or(Errno::ProtoNoSupport)?
            .catalog_id;
        let generation = self.next_generation();
        let entry = self.sockets.vacant_entry();
        let slot = entry.key();
        let key = SockKey { slot, generation };
        let handle = self.handles.insert(Object::Socket(key));
        let entry = self.sockets.vacant_entry();
        entry.insert(Socket::new(
            handle,
            key,
            host,
            (family, kind, catalog_id),
            overlapped,
            self.cfg.default_rcvbuf,
        ));
        let personality = self.cfg.personality;
        if let Ok(s) = self.sock_mut(handle) {
            s.personality = personality;
            if personality == crate::stack::Personality::Wine8 {
                // W13: Wine uses its host's default TTL and hop limit (Linux: 64), where
                // Windows uses 128.
                s.opts.ttl = 64;
                s.opts.hops6 = 64;
            }
        }
        let what = format!(
            "{}{}",
            match kind {
                SockKind::Udp => "udp".to_string(),
                SockKind::Raw(p) => format!("raw{p}/"),
                SockKind::Stream => "stream".to_string(),
                SockKind::Reliable { partial: true } => "rm".to_string(),
                SockKind::Reliable { partial: false } => "rdm".to_string(),
            },
            if family == Family::V4 { "4" } else { "6" }
        );
        self.record(|| Event::Socket { handle, host, what });
        Ok(handle)
    }

    /// closesocket: releases the address, drops what is queued (each with a reason) and
    /// wakes threads blocked on the socket (they fail with WSAEINTR).
    pub fn close(&mut self, handle: usize) -> Result<()> {
        let key = self.key_of(handle)?;
        // A reliable message socket closes its circuit gracefully: the peer is told.
        if !self.sock(handle)?.shut_wr {
            self.send_disconnect(handle);
        }
        self.abort_pending(key, self.cfg.close_status.status());
        self.handles.remove(handle);
        let mut sock = self.sockets.remove(key.slot);
        if let Some((transport, port)) = sock.bound_port {
            self.bindings.remove(sock.host, transport, port, key);
        }
        let dropped = sock.queue.drain_datagrams();
        self.ledger.queued -= dropped.len() as u64;
        for d in dropped {
            self.drop_datagram(d, sock.host, DropReason::SocketClosed);
        }
        self.record(|| Event::Close { handle });
        self.sched.wake_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Windows rows of Wine's test_WSASocket table (sock.c).
    #[test]
    fn socket_argument_rows() {
        use Errno::*;
        type Row = (i32, i32, i32, Result<(Family, SockKind)>);
        let rows: &[Row] = &[
            (0xdead, 1, 6, Err(AfNoSupport)),
            (-1, 1, 6, Err(AfNoSupport)),
            (2, 0xdead, 6, Err(SockTNoSupport)),
            (2, -1, 6, Err(SockTNoSupport)),
            (2, 1, 0xdead, Err(ProtoNoSupport)),
            (2, 1, -1, Err(ProtoNoSupport)),
            (0xdead, 0xdead, 6, Err(SockTNoSupport)),
            (0xdead, 1, 0xdead, Err(AfNoSupport)),
            (2, 0xdead, 0xdead, Err(SockTNoSupport)),
            (0xdead, 1, 17, Err(AfNoSupport)),
            (2, 2, 0, Ok((Family::V4, SockKind::Udp))),
            (2, 0xdead, 0, Err(SockTNoSupport)),
            (2, 0, 17, Ok((Family::V4, SockKind::Udp))),
            (2, 0, 0xdead, Err(ProtoNoSupport)),
            (2, 0, 0, Ok((Family::V4, SockKind::Stream))),
            (2, 1, 17, Err(ProtoNoSupport)),
            (2, 2, 6, Err(ProtoNoSupport)),
            (0, 1, 6, Ok((Family::V4, SockKind::Stream))),
            (0, 0, 17, Ok((Family::V4, SockKind::Udp))),
            (0, 1, 0, Err(Inval)),
            (0, 2, 0, Err(Inval)),
            (0, 0xdead, 0, Err(Inval)),
            (0, 0, 0, Err(Inval)),
            (0, 0xdead, 17, Err(SockTNoSupport)),
            (0, 1, 0xdead, Err(ProtoNoSupport)),
            (0, 0, 0xdead, Err(ProtoNoSupport)),
            (2, 3, 6, Ok((Family::V4, SockKind::Raw(6)))),
            (0, 0, 255, Ok((Family::V4, SockKind::Raw(255)))),
            (23, 2, 17, Ok((Family::V6, SockKind::Udp))),
        ];
        for &(af, ty, proto, ref want) in rows {
            assert_eq!(
                &resolve(af, ty, proto, false),
                want,
                "socket({af:#x}, {ty:#x}, {proto:#x})"
            );
        }
    }
}
