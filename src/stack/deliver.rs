//! Arrivals: a datagram reaches a host and is demultiplexed to sockets, or an ICMP error
//! reaches its sender.

use std::net::{IpAddr, SocketAddr};

use super::names::as_seen_by;
use super::World;
use crate::ledger::DropReason;
use crate::net::packet::{Cast, DatagramId, IcmpError, IcmpKind, Packet, Transport};
use crate::net::ports::{Binding, Cover, SockKey};
use crate::net::topology::{HostId, LAN_IFINDEX, LOOPBACK_IFINDEX};
use crate::sched::Timer;
use crate::socket::{Arrived, Entry};
use crate::trace::Event;
use crate::wire::ipv4;

/// The sockets a datagram goes to.
enum Receivers {
    /// The one socket a unicast datagram to a port goes to.
    One(SockKey),
    /// Every socket a broadcast, multicast or raw datagram goes to, in binding order.
    All(Vec<SockKey>),
}

/// Why no socket took a datagram.
enum NoReceiver {
    /// Nobody has the port: a unicast UDP datagram brings back an ICMP port unreachable.
    NoListener,
    /// Only sockets connected to another peer have it.
    Filtered,
}

impl World {
    pub(super) fn fire(&mut self, t: Timer) {
        match t {
            Timer::Arrive { packet, host, hops } => {
                self.arrive(&packet, host, hops, &packet.payload)
            }
            Timer::Icmp(e) => self.icmp_arrive(e),
            Timer::Disconnect(d) => self.disconnect_arrive(d),
        }
    }

    /// `payload` is the datagram's payload (the packet carries none when it arrives at once).
    pub(super) fn arrive(&mut self, p: &Packet, host: HostId, hops: u8, payload: &[u8]) {
        self.ledger.in_flight -= 1;
        if p.ttl <= hops {
            // It ran out of TTL at a router on the way; the router answers.
            self.drop_datagram(p.id, host, DropReason::TtlExpired);
            let back = self.path(host, p.from_host).latency;
            let at = self.now() + back;
            self.send_icmp(p, IcmpKind::TtlExpired, at);
            return;
        }
        if self.host(host).net_down {
            self.drop_datagram(p.id, host, DropReason::NetworkDown);
            return;
        }
        let receivers = match self.receivers(host, p) {
            Ok(r) => r,
            Err(NoReceiver::Filtered) => {
                self.drop_datagram(p.id, host, DropReason::FilteredByConnect);
                return;
            }
            Err(NoReceiver::NoListener) => {
                self.drop_datagram(p.id, host, DropReason::NoListener);
                // RFC 1122: no ICMP errors for broadcast or multicast datagrams.
                if p.cast == Cast::Unicast && p.transport.has_ports() && self.cfg.port_unreachable {
                    let back = self.path(host, p.from_host).latency;
                    let at = self.now() + back;
                    self.send_icmp(p, IcmpKind::PortUnreachable, at);
                }
                return;
            }
        };
        let ttl = p.ttl - hops;
        match receivers {
            Receivers::One(key) => self.enqueue(key, p, payload, p.id, host, ttl),
            Receivers::All(keys) => {
                for (i, &key) in keys.iter().enumerate() {
                    let id = if i == 0 { p.id } else { self.copy_of(p.id) };
                    self.enqueue(key, p, payload, id, host, ttl);
                }
            }
        }
    }

    /// The one socket a unicast datagram to a port goes to, if that is what it does.
    pub(super) fn receiver(&self, host: HostId, p: &Packet) -> Option<SockKey> {
        match self.receivers(host, p) {
            Ok(Receivers::One(key)) => Some(key),
            _ => None,
        }
    }

    /// The sockets that take a datagram arriving at `host`.
    fn receivers(&self, host: HostId, p: &Packet) -> Result<Receivers, NoReceiver> {
        let port = match p.transport {
            Transport::Raw(_) => 0,
            _ => p.dst.port(),
        };
        let bindings = self.bindings.bindings(host, p.transport, port);
        let mut filtered = false;
        // Unicast to a port: only the most specific socket wins, among equals the earliest
        // bound (Windows leaves the choice among SO_REUSEADDR sockets undefined). Everything
        // else (broadcast, multicast, raw) goes to every matching socket, in binding order.
        let one = p.cast == Cast::Unicast && p.transport.has_ports();
        let mut best: Option<(&Binding, u32)> = None;
        let mut all: Vec<SockKey> = Vec::new();
        for b in bindings {
            let Some(specificity) = self.accepts(host, b, p) else {
                continue;
            };
            let Some(sock) = self.sock_by_key(b.sock) else {
                continue;
            };
            let mut score = specificity;
            if let Some(peer) = sock.peer {
                if as_seen_by(sock.family, p.src) != peer {
                    filtered = true;
                    continue;
                }
                score += 4;
            }
            if !one {
                all.push(b.sock);
            } else if best.is_none_or(|(x, s)| score > s || (score == s && b.seq < x.seq)) {
                best = Some((b, score));
            }
        }
        match best {
            Some((b, _)) => Ok(Receivers::One(b.sock)),
            None if !all.is_empty() => Ok(Receivers::All(all)),
            None if filtered => Err(NoReceiver::Filtered),
            None => Err(NoReceiver::NoListener),
        }
    }

    /// Whether binding `b` takes datagram `p`, and how specifically (higher is more specific).
    fn accepts(&self, host: HostId, b: &Binding, p: &Packet) -> Option<u32> {
        let sock = self.sock_by_key(b.sock)?;
        let h = self.host(host);
        let dst = p.dst.ip();
        let (specific, native) = match dst {
            IpAddr::V4(d) => {
                let cover = b.addr.v4?;
                let ok = match p.cast {
                    Cast::Unicast => cover.accepts(&d),
                    // A socket bound to a LAN address hears that LAN's broadcasts.
                    Cast::Broadcast => match cover {
                        Cover::Wildcard => true,
                        Cover::Specific(a) => h.lan.iter().any(|x| {
                            x.ip == IpAddr::V4(a) && (x.broadcast() == Some(d) || d.is_broadcast())
                        }),
                    },
                    Cast::Multicast => match cover {
                        Cover::Wildcard => true,
                        Cover::Specific(a) => h.lan.iter().any(|x| x.ip == IpAddr::V4(a)),
                    },
                };
                (
                    ok.then_some(matches!(cover, Cover::Specific(_)))?,
                    !b.addr.dual,
                )
            }
            IpAddr::V6(d) => {
                let cover = b.addr.v6?;
                let ok = match p.cast {
                    Cast::Multicast => match cover {
                        Cover::Wildcard => true,
                        Cover::Specific(a) => h.lan.iter().any(|x| x.ip == IpAddr::V6(a)),
                    },
                    _ => cover.accepts(&d),
                };
                (ok.then_some(matches!(cover, Cover::Specific(_)))?, true)
            }
        };
        if p.cast == Cast::Multicast && !sock.groups.iter().any(|(g, _)| *g == dst) {
            return None;
        }
        Some(u32::from(specific) * 2 + u32::from(native))
    }

    fn enqueue(
        &mut self,
        key: SockKey,
        p: &Packet,
        payload: &[u8],
        id: DatagramId,
        host: HostId,
        ttl: u8,
    ) {
        let Some(sock) = self.sock_by_key(key) else {
            self.drop_datagram(id, host, DropReason::SocketClosed);
            return;
        };
        let ifindex = ifindex_of(p);
        // A raw IPv4 socket receives the IP header in front of the payload.
        let with_header;
        let payload = match (sock.kind, p.dst, p.src) {
            (crate::socket::SockKind::Raw(proto), SocketAddr::V4(d), SocketAddr::V4(s)) => {
                let header = ipv4::build(
                    &ipv4::Header {
                        tos: p.tos,
                        id: (id.0 & 0xFFFF) as u16,
                        ttl,
                        protocol: proto,
                        src: *s.ip(),
                        dst: *d.ip(),
                    },
                    payload.len(),
                );
                with_header = [&header[..], payload].concat();
                &with_header[..]
            }
            _ => payload,
        };
        let arrived = Arrived {
            id,
            len: payload.len() as u32,
            ifindex,
            src_ip: p.src.ip(),
            dst: p.dst.ip(),
            src_port: p.src.port(),
            ttl,
            tos: p.tos,
            cast: p.cast,
        };
        self.queue_arrived(key, arrived, payload, host, p.transport.is_reliable());
    }

    /// Gives a datagram that reached socket `key` on `host` to its pending receives, then
    /// queues what they left, if SO_RCVBUF has room.
    pub(super) fn queue_arrived(
        &mut self,
        key: SockKey,
        arrived: Arrived,
        payload: &[u8],
        host: HostId,
        reliable: bool,
    ) {
        let id = arrived.id;
        // A pending overlapped receive takes it directly, whatever SO_RCVBUF says.
        let Some(arrived) = self.deliver_to_pending(key, arrived, payload) else {
            return;
        };
        // What the pending receives left of it (all of it, unless one took a part).
        let payload = &payload[payload.len() - arrived.payload_len()..];
        let Some(sock) = self.sock_by_key(key) else {
            return;
        };
        // SO_RCVBUF bounds the bytes a socket holds; a datagram that does not fit is dropped
        // (a reliable protocol would hold it back instead: it is queued).
        // Under Wine 8 the host's rule applies, and Linux queues a datagram that reaches an
        // empty queue whatever the limit (diff/corpus/rcvbuf_zero.json); beyond that the
        // simulator keeps the byte bound (Linux's own accounting, of buffer overheads, is
        // not modelled).
        let wine_takes = self.cfg.wine8() && sock.queue.is_empty();
        if !reliable
            && !wine_takes
            && sock.queue.bytes() + payload.len() > sock.opts.rcvbuf as usize
        {
            self.drop_datagram(id, host, DropReason::ReceiveBufferFull);
            return;
        }
        let handle = sock.handle;
        let sock = self.sock_by_key_mut(key).expect("checked above");
        sock.queue.push_datagram(arrived, payload);
        self.ledger.queued += 1;
        self.record(|| Event::Queue {
            datagram: id,
            handle,
        });
        self.sched.wake_all();
    }

    fn icmp_arrive(&mut self, e: IcmpError) {
        let kind = e.kind;
        // The error is for the socket that sent the datagram, if it still has that address.
        let target = self
            .sock_by_key(e.to_sock)
            .filter(|s| s.local.map(|l| l.port()) == Some(e.original_src.port()))
            .map(|s| (s.handle, s.kind, s.opts.connreset, s.opts.netreset));
        let Some((handle, kind_of_sock, connreset, netreset)) = target else {
            self.record(|| Event::IcmpArrive {
                kind,
                handle: None,
                queued: false,
            });
            return;
        };
        let report = matches!(
            kind_of_sock,
            crate::socket::SockKind::Udp | crate::socket::SockKind::Reliable { .. }
        ) && !self.cfg.wine8() // W1: Wine does not report ICMP errors on UDP sockets.
            && match kind {
            IcmpKind::PortUnreachable => connreset,
            IcmpKind::TtlExpired => netreset,
        };
        if report && !self.fail_first_pending(e.to_sock, kind) {
            let sock = self.sock_by_key_mut(e.to_sock).expect("checked above");
            sock.queue.push_indication(Entry::Error {
                kind,
                about: e.about,
            });
            self.sched.wake_all();
        }
        self.record(|| Event::IcmpArrive {
            kind,
            handle: Some(handle),
            queued: report,
        });
    }
}

/// The interface a datagram arrives on: loopback when either end is a loopback address.
pub(super) fn ifindex_of(p: &Packet) -> u32 {
    if p.dst.ip().is_loopback() || p.src.ip().is_loopback() {
        LOOPBACK_IFINDEX
    } else {
        LAN_IFINDEX
    }
}
