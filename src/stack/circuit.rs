//! Graceful close of the reliable message protocols' virtual circuits (WSAEDISCON).
//!
//! The LPWSPRECVFROM page: WSAEDISCON, "Socket s is message oriented and the virtual circuit
//! was gracefully closed by the remote side." The simulator's reliable message protocols are
//! connectionless, but two sockets connected to each other form a circuit: when one of them
//! is closed or shut down for sending, the other, once it has taken every message sent
//! before, fails its receives with WSAEDISCON (pending ones included), and is no longer
//! connected. Connecting it again starts over.

use std::net::SocketAddr;

use super::names::as_seen_by;
use super::send::Route;
use super::World;
use crate::io::status::NtStatus;
use crate::net::packet::{Cast, Transport};
use crate::net::topology::HostId;
use crate::sched::Timer;
use crate::socket::{Entry, SockKind};
use crate::trace::Event;

/// A graceful-close indication travelling to a circuit's other end.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Disconnect {
    pub transport: Transport,
    /// The closing socket's address, as on the wire.
    pub from: SocketAddr,
    /// Its peer, as on the wire.
    pub to: SocketAddr,
    pub host: HostId,
}

impl World {
    /// Tells a reliable message socket's connected peer that the circuit is closed; nothing
    /// for any other socket.
    pub(crate) fn send_disconnect(&mut self, handle: usize) {
        let Ok(sock) = self.sock(handle) else {
            return;
        };
        let (SockKind::Reliable { .. }, Some(peer), Some(local)) =
            (sock.kind, sock.peer, sock.local)
        else {
            return;
        };
        let (from_host, transport) = (sock.host, sock.kind.transport());
        let Ok(to) = super::names::to_wire(sock, peer) else {
            return;
        };
        let from = match self.source_for_disconnect(handle, &to) {
            Some(ip) => SocketAddr::new(ip, local.port()),
            None => return,
        };
        let Ok(Route::Hosts(hosts)) = self.route(from_host, &to, Cast::Unicast, handle) else {
            return;
        };
        for host in hosts {
            let at = self.now() + self.path(from_host, host).latency;
            self.sched.schedule(
                at,
                Timer::Disconnect(Disconnect {
                    transport,
                    from,
                    to,
                    host,
                }),
            );
        }
        self.run_due();
    }

    /// A graceful-close indication arrives: the socket bound to its destination and connected
    /// to its source learns of it after the messages already queued.
    pub(crate) fn disconnect_arrive(&mut self, d: Disconnect) {
        let target = self
            .bindings
            .bindings(d.host, d.transport, d.to.port())
            .iter()
            .map(|b| b.sock)
            .find(|&k| {
                self.sock_by_key(k)
                    .is_some_and(|s| s.peer == Some(as_seen_by(s.family, d.from)))
            });
        let Some(key) = target else {
            return;
        };
        let handle = self.sock_by_key(key).map_or(0, |s| s.handle);
        self.record(|| Event::Disconnect {
            handle,
            from: d.from,
        });
        // Pending receives have taken everything that came before: they fail now.
        self.abort_pending(key, NtStatus::GRACEFUL_DISCONNECT);
        if let Some(sock) = self.sock_by_key_mut(key) {
            sock.queue.push_indication(Entry::Disconnect);
        }
        self.sched.wake_all();
    }

    /// The source IP of an indication: the bound address if specific, else the route's.
    fn source_for_disconnect(&self, handle: usize, to: &SocketAddr) -> Option<std::net::IpAddr> {
        let sock = self.sock(handle).ok()?;
        let local = sock.local?;
        let ip = match local.ip() {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(std::net::IpAddr::V4)
                .unwrap_or(std::net::IpAddr::V6(v6)),
            ip => ip,
        };
        if !ip.is_unspecified() {
            return Some(ip);
        }
        if to.ip().is_loopback() {
            return Some(to.ip());
        }
        self.host(sock.host).source_for(&to.ip())
    }
}
