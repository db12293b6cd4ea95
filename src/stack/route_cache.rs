//! The route cache: the last unicast route each socket's sends resolved, reused while nothing
//! that decides routes has changed.
//!
//! A send resolves a good deal before its datagram reaches a queue: the wire address, the
//! source address, the route, the receiving socket among the bindings, the TTL on arrival.
//! Between two sends of a busy socket none of it usually changes, so the socket keeps the
//! answer, stamped with the world's route epoch. The epoch moves whenever anything routing
//! depends on may have changed: every call into the simulation except the data path's sends
//! and receives (`Sim::with` moves it; `Sim::with_data` does not), and, inside the data path,
//! an implicit bind and the end of a circuit. A stale entry is therefore never used; debug
//! builds (every `cargo test`) check each use against a fresh resolution all the same.
//!
//! Only the plainest case is cached: a unicast datagram to one socket on a path without
//! latency, no fault rules, the Windows personality, no per-call options. Everything else
//! takes the full path in `send.rs`, which is the reference.

use std::net::SocketAddr;
use std::time::Duration;

use super::names::to_wire;
use super::send::{destination, hop_limit, Route};
use super::{Dest, SendArgs, World};
use crate::net::packet::{Cast, DatagramId, Packet, Transport};
use crate::net::ports::SockKey;
use crate::net::topology::HostId;
use crate::socket::{Arrived, Header, SockKind};
use crate::stack::Object;
use crate::trace::Event;

/// What a send to one destination resolved to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct CachedRoute {
    /// The route epoch it was resolved in.
    pub epoch: u64,
    /// The destination as the caller gave it.
    pub dest: Dest,
    /// Source and destination as on the wire.
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub to_host: HostId,
    /// The receiving socket.
    pub to: SockKey,
    /// What the receiving queue keeps of each datagram (but its id and length).
    pub arrived: Arrived,
    /// `arrived` as the receiving queue stores it.
    pub header: Header,
    pub transport: Transport,
}

impl World {
    /// Forgets every cached route (see the module documentation for when).
    pub(crate) fn invalidate_routes(&mut self) {
        self.route_epoch += 1;
    }

    /// Sends along the socket's cached route, if it has one for `args` that is still
    /// valid (all of `args.payload` is then sent); `false` leaves the send to the full path.
    ///
    /// A `bool`, not the send's `Result`: the result would cross the inlined callers through
    /// memory, written in pieces and read whole, which stalls the load (store forwarding).
    ///
    /// This is the full path's outcome for a datagram that goes straight into the receiver's
    /// queue, written for the data path: one lookup of each socket, fields borrowed apart,
    /// the header encoded when the route was cached.
    #[inline]
    pub(crate) fn send_cached(&mut self, handle: usize, args: &SendArgs) -> bool {
        // Per-call options, fault rules, arrivals already due and packet capture are the
        // full path's business.
        if args.flags != 0
            || args.src_ip.is_some()
            || args.tos.is_some()
            || !self.faults.is_empty()
            || self.capture.is_some()
            || self.sched.next_timer().is_some_and(|t| t <= self.sched.now)
        {
            return false;
        }
        let Some(Object::Socket(from)) = self.handles.get(handle) else {
            return false;
        };
        let Some(tx) = self.sockets.get(from.slot).filter(|s| s.key == from) else {
            return false;
        };
        let Some(r) = tx
            .route
            .as_ref()
            .filter(|r| r.epoch == self.route_epoch && r.dest == args.dest)
        else {
            return false;
        };
        let len = args.payload.len();
        if len > tx.max_msg_size() as usize {
            return false;
        }
        debug_assert_eq!(
            self.resolve_route(handle, args.dest).as_ref(),
            Some(r),
            "a stale cached route"
        );
        let (to, reliable) = (r.to, r.transport.is_reliable());
        self.next_datagram += 1;
        let id = DatagramId(self.next_datagram);
        self.ledger.sent += 1;
        self.trace.push(self.sched.now, || Event::Send {
            handle,
            datagram: id,
            src: r.src,
            dst: r.dst,
            len,
        });
        // Straight into the queue, unless a pending receive takes it or SO_RCVBUF refuses
        // it (`queue_arrived` decides those), or the socket sends to itself.
        let (tx, rx) = match self.sockets.get2_mut(from.slot, to.slot) {
            Some((tx, rx))
                if rx.key == to
                    && rx.pending.is_empty()
                    && (reliable || rx.queue.bytes() + len <= rx.opts.rcvbuf as usize) =>
            {
                (tx, rx)
            }
            _ => {
                self.arrive_cached(from, id, args.payload);
                return true;
            }
        };
        let header = &tx.route.as_ref().expect("checked above").header;
        rx.queue.push_with(header, id, args.payload);
        let rx_handle = rx.handle;
        self.ledger.queued += 1;
        self.trace.push(self.sched.now, || Event::Queue {
            datagram: id,
            handle: rx_handle,
        });
        self.sched.wake_all();
        true
    }

    /// Datagram `id` from the socket `from` along its cached route, when a pending receive
    /// may take it, SO_RCVBUF may refuse it or it goes to its own sender.
    #[inline(never)]
    fn arrive_cached(&mut self, from: SockKey, id: DatagramId, payload: &[u8]) {
        let r = self.sockets[from.slot].route.expect("a cached route");
        let mut arrived = r.arrived;
        arrived.id = id;
        arrived.len = payload.len() as u32;
        let reliable = r.transport.is_reliable();
        self.queue_arrived(r.to, arrived, payload, r.to_host, reliable);
        self.run_due();
    }

    /// Remembers the route of a send that took the full path, when it can be cached.
    pub(super) fn cache_route(&mut self, handle: usize, args: &SendArgs) {
        if args.flags != 0 || args.src_ip.is_some() || args.tos.is_some() {
            return;
        }
        let route = self.resolve_route(handle, args.dest);
        if let Ok(sock) = self.sock_mut(handle) {
            sock.route = route;
        }
    }

    /// Resolves a send to `dest` as the full path would, without changing anything; `None`
    /// when the send is not of the cached kind (or would fail).
    pub(super) fn resolve_route(&self, handle: usize, dest: Dest) -> Option<CachedRoute> {
        let sock = self.sock(handle).ok()?;
        let local = sock.local?;
        if sock.wine8()
            || !self.faults.is_empty()
            || !matches!(sock.kind, SockKind::Udp | SockKind::Reliable { .. })
            || sock.shut_wr
            || self.host(sock.host).net_down
        {
            return None;
        }
        let (dst, _) = destination(sock, dest).ok()?;
        let wire_dst = to_wire(sock, dst).ok()?;
        if wire_dst.ip().is_unspecified() {
            return None;
        }
        let from_host = sock.host;
        if self.classify(from_host, &wire_dst.ip()) != Cast::Unicast {
            return None;
        }
        let src_ip = self.source_ip(handle, &wire_dst, None).ok()?;
        let Route::Hosts(hosts) = self
            .route(from_host, &wire_dst, Cast::Unicast, handle)
            .ok()?
        else {
            return None;
        };
        let &[to_host] = &hosts[..] else {
            return None;
        };
        let path = self.path(from_host, to_host);
        let sent_ttl = hop_limit(sock, Cast::Unicast, &wire_dst);
        if path.latency != Duration::ZERO || sent_ttl <= path.hops || self.host(to_host).net_down {
            return None;
        }
        let transport = sock.kind.transport();
        let probe = Packet {
            id: DatagramId(0),
            transport,
            from_host,
            from_sock: sock.key,
            suppress_icmp: false,
            src: SocketAddr::new(src_ip, local.port()),
            dst: wire_dst,
            payload: Default::default(),
            ttl: sent_ttl,
            tos: 0,
            cast: Cast::Unicast,
        };
        let to = self.receiver(to_host, &probe)?;
        if !matches!(
            self.sock_by_key(to)?.kind,
            SockKind::Udp | SockKind::Reliable { .. }
        ) {
            return None;
        }
        let arrived = Arrived {
            id: DatagramId(0),
            len: 0,
            ifindex: super::deliver::ifindex_of(&probe),
            src_ip: probe.src.ip(),
            dst: wire_dst.ip(),
            src_port: probe.src.port(),
            ttl: sent_ttl - path.hops,
            tos: 0,
            cast: Cast::Unicast,
        };
        Some(CachedRoute {
            epoch: self.route_epoch,
            dest,
            src: probe.src,
            dst: wire_dst,
            to_host,
            to,
            arrived,
            header: Header::of(&arrived),
            transport,
        })
    }
}
