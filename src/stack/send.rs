//! Sending: argument checks in Windows' order, routing, fault rules, and scheduling each copy's
//! arrival.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;

use super::names::to_wire;
use super::World;
use crate::error::{Errno, Result};
use crate::ledger::DropReason;
use crate::net::fault::evaluate;
use crate::net::packet::{Cast, IcmpError, IcmpKind, Packet};
use crate::net::topology::HostId;
use crate::sched::Timer;
use crate::socket::SockKind;
use crate::trace::Event;
use crate::wire::sockaddr::Family;

/// Where a send goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Dest {
    /// send / WSASend: the connected peer (WSAENOTCONN without one).
    Connected,
    /// sendto / WSASendTo / WSASendMsg: this address, or the peer when `None`
    /// (WSAEDESTADDRREQ without one).
    To(Option<SocketAddr>),
}

/// A send request.
#[derive(Clone, Debug)]
pub(crate) struct SendArgs<'a> {
    pub dest: Dest,
    /// The caller's bytes: copied straight into the receiver's queue when the datagram
    /// arrives at once, or into one shared buffer when its arrival is scheduled.
    pub payload: &'a [u8],
    pub flags: u32,
    /// Source address from an IP_PKTINFO / IPV6_PKTINFO control message (WSASendMsg).
    pub src_ip: Option<IpAddr>,
    /// TOS / traffic class from an IP_TOS, IP_ECN or IPV6_TCLASS control message. Windows
    /// ignores the IP_TOS socket option ("do not use"), so this is the only way to set it.
    pub tos: Option<u8>,
}

impl<'a> SendArgs<'a> {
    pub fn new(dest: Dest, payload: &'a [u8], flags: u32) -> Self {
        SendArgs {
            dest,
            payload,
            flags,
            src_ip: None,
            tos: None,
        }
    }
}

/// MSG_DONTROUTE: the only send flag a datagram socket takes (it changes nothing here).
const MSG_DONTROUTE: u32 = 0x4;

impl World {
    /// Sends one datagram; returns the number of bytes sent.
    #[inline]
    pub fn send(&mut self, handle: usize, args: &SendArgs) -> Result<usize> {
        if self.send_cached(handle, args) {
            return Ok(args.payload.len());
        }
        self.send_uncached(handle, args)
    }

    /// The full path, then the route cached for the next send.
    #[inline(never)]
    pub(crate) fn send_uncached(&mut self, handle: usize, args: &SendArgs) -> Result<usize> {
        let n = self.send_full(handle, args)?;
        self.cache_route(handle, args);
        Ok(n)
    }

    /// The full send path (`route_cache` shortens it for repeated unicast sends).
    fn send_full(&mut self, handle: usize, args: &SendArgs) -> Result<usize> {
        let sock = self.sock(handle)?;
        if sock.kind == SockKind::Stream {
            // A TCP socket that never connects (README).
            return Err(Errno::NotConn);
        }
        if args.flags & !MSG_DONTROUTE != 0 {
            // MSG_OOB and the stream-only flags on a datagram socket.
            return Err(Errno::OpNotSupp);
        }
        if sock.shut_wr {
            return Err(Errno::Shutdown);
        }
        if self.host(sock.host).net_down {
            return Err(Errno::NetDown);
        }
        let (dst, explicit) = destination(sock, args.dest)?;
        let mut wire_dst = to_wire(sock, dst)?;
        let kind = sock.kind;
        if sock.wine8() {
            // Wine 8 hands the send to Linux, which binds an unbound socket first, then
            // refuses port 0 (EINVAL) and takes the unspecified address for this host's
            // loopback (diff/corpus/sendto_port_zero.json, max_msg_size.json under Wine).
            // Windows refuses the address and sends to port 0.
            self.implicit_bind(handle)?;
            if wire_dst.port() == 0 && kind == SockKind::Udp {
                return Err(Errno::Inval);
            }
            if wire_dst.ip().is_unspecified() {
                wire_dst.set_ip(match wire_dst {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
        }
        if wire_dst.ip().is_unspecified() {
            return Err(Errno::AddrNotAvail);
        }
        let sock = self.sock(handle)?;
        if args.payload.len() > sock.max_msg_size() as usize {
            return Err(Errno::MsgSize);
        }
        let host = sock.host;
        let cast = self.classify(host, &wire_dst.ip());
        // A broadcast needs SO_BROADCAST when the address is given explicitly; a socket
        // connected to a broadcast address sends with send() without it (Wine test_broadcast).
        if cast == Cast::Broadcast && explicit.is_some() && !sock.opts.broadcast {
            return Err(Errno::Access);
        }
        let src_ip = self.source_ip(handle, &wire_dst, args.src_ip)?;
        let targets = self.route(host, &wire_dst, cast, handle)?;
        self.implicit_bind(handle)?;
        let sock = self.sock(handle)?;
        let src_port = sock.local.map(|a| a.port()).unwrap_or(0);
        let ttl = hop_limit(sock, cast, &wire_dst);
        // Windows ignores the IP_TOS option ("do not use"); Wine 8 passes it to Linux, which
        // marks what the socket sends (diff/corpus/sendmsg_control.json).
        let default_tos = if sock.wine8() { sock.opts.tos } else { 0 };
        let transport = sock.kind.transport();
        let from_sock = sock.key;
        let len = args.payload.len();
        let id = self.new_datagram_id();
        let packet = Packet {
            id,
            transport,
            from_host: host,
            from_sock,
            suppress_icmp: false,
            src: SocketAddr::new(src_ip, src_port),
            dst: wire_dst,
            payload: Bytes::new(),
            ttl,
            tos: args.tos.unwrap_or(default_tos),
            cast,
        };
        self.ledger.sent += 1;
        let (src, dst) = (packet.src, packet.dst);
        self.record(|| Event::Send {
            handle,
            datagram: id,
            src,
            dst,
            len,
        });
        self.capture_sent(&packet, args.payload);
        match targets {
            Route::Hosts(hosts) => self.dispatch(packet, &hosts, args.payload),
            Route::Nowhere => self.drop_datagram(id, host, DropReason::NoSuchHost),
        }
        self.run_due();
        Ok(len)
    }

    /// Unicast, broadcast (limited, or directed to a subnet the sender is on) or multicast.
    pub(super) fn classify(&self, host: HostId, ip: &IpAddr) -> Cast {
        if ip.is_multicast() {
            Cast::Multicast
        } else if self.host(host).is_broadcast_for(ip) {
            Cast::Broadcast
        } else {
            Cast::Unicast
        }
    }

    /// The source address: the bound address if specific, a pktinfo override, or the
    /// route's choice.
    pub(super) fn source_ip(
        &self,
        handle: usize,
        dst: &SocketAddr,
        pktinfo: Option<IpAddr>,
    ) -> Result<IpAddr> {
        let sock = self.sock(handle)?;
        let h = self.host(sock.host);
        if let Some(ip) = pktinfo.filter(|ip| !ip.is_unspecified()) {
            return if h.owns(&ip) {
                Ok(ip)
            } else {
                Err(Errno::AddrNotAvail)
            };
        }
        if let Some(local) = sock.local {
            let ip = match local.ip() {
                IpAddr::V6(v6) => v6
                    .to_ipv4_mapped()
                    .map(IpAddr::V4)
                    .unwrap_or(IpAddr::V6(v6)),
                ip => ip,
            };
            if !ip.is_unspecified() {
                return Ok(ip);
            }
        }
        match h.source_for(&dst.ip()) {
            Some(ip) => Ok(ip),
            // A broadcast or multicast from a host with no LAN address only loops back.
            None if dst.ip().is_multicast() || dst.ip() == IpAddr::V4(Ipv4Addr::BROADCAST) => {
                Ok(match dst {
                    SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                    SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
                })
            }
            None => Err(Errno::NetUnreach),
        }
    }

    /// The hosts a datagram goes to.
    pub(super) fn route(
        &self,
        from: HostId,
        dst: &SocketAddr,
        cast: Cast,
        handle: usize,
    ) -> Result<Route> {
        let ip = dst.ip();
        let me = self.host(from);
        if ip.is_loopback() || me.owns(&ip) {
            return Ok(Route::Hosts(vec![from]));
        }
        let family = Family::of_ip(&ip);
        match cast {
            Cast::Broadcast | Cast::Multicast => {
                let sock = self.sock(handle)?;
                let loop_back = match (cast, family) {
                    (Cast::Multicast, Family::V4) => sock.opts.mcast_loop,
                    (Cast::Multicast, Family::V6) => sock.opts.mcast_loop6,
                    _ => true,
                };
                let mut hosts: Vec<HostId> = if me.has_lan(family) {
                    (0..self.hosts.len() as u32)
                        .map(HostId)
                        .filter(|&h| h != from && self.host(h).has_lan(family))
                        .filter(|&h| cast == Cast::Multicast || self.host(h).is_broadcast_for(&ip))
                        .collect()
                } else {
                    Vec::new()
                };
                if loop_back {
                    hosts.insert(0, from);
                }
                Ok(Route::Hosts(hosts))
            }
            Cast::Unicast => {
                if !me.has_lan(family) {
                    return Err(Errno::NetUnreach);
                }
                Ok(
                    match (0..self.hosts.len() as u32)
                        .map(HostId)
                        .find(|&h| self.host(h).lan.iter().any(|a| a.ip == ip))
                    {
                        Some(h) => Route::Hosts(vec![h]),
                        None => Route::Nowhere,
                    },
                )
            }
        }
    }

    /// Applies the fault rules to each copy and schedules its arrival. `packet` carries no
    /// payload yet: `payload` is the sender's, copied into a shared buffer only if an arrival
    /// has to wait.
    fn dispatch(&mut self, mut packet: Packet, hosts: &[HostId], payload: &[u8]) {
        if let [to] = hosts {
            // One host (every unicast): an arrival due now, with nothing else due before
            // it, happens at once; the timer queue would give the same order.
            let direct = self.sched.next_timer().is_none_or(|t| t > self.now());
            self.dispatch_one(packet, *to, direct, payload);
            return;
        }
        if hosts.is_empty() {
            let (id, host) = (packet.id, packet.from_host);
            // A broadcast or multicast nobody else can hear, with loopback switched off.
            self.drop_datagram(id, host, DropReason::NoListener);
            return;
        }
        packet.payload = Bytes::copy_from_slice(payload);
        for (i, &to) in hosts.iter().enumerate() {
            let mut p = packet.clone();
            if i > 0 {
                p.id = self.copy_of(packet.id);
            }
            self.dispatch_one(p, to, false, payload);
        }
    }

    /// A new id for a copy of `of`, accounted for in the ledger.
    pub(crate) fn copy_of(
        &mut self,
        of: crate::net::packet::DatagramId,
    ) -> crate::net::packet::DatagramId {
        let copy = self.new_datagram_id();
        self.ledger.copies += 1;
        self.record(|| Event::Copy { of, copy });
        copy
    }

    /// One host's copy: the fault rules, then its arrival, scheduled (or, with `direct`,
    /// made at once when it is due now).
    fn dispatch_one(&mut self, mut p: Packet, to: HostId, direct: bool, payload: &[u8]) {
        // A reliable protocol's datagrams are not subject to the fault rules: it would
        // retransmit what is lost, drop duplicates and restore the order.
        let verdict = if p.transport.is_reliable() || self.faults.is_empty() {
            Default::default()
        } else {
            let mut rules = std::mem::take(&mut self.faults);
            let v = evaluate(&mut rules, &p, Some(to), &mut self.rng);
            self.faults = rules;
            v
        };
        for &(rule, fault) in &verdict.fired {
            let datagram = p.id;
            self.record(|| Event::Fault {
                rule,
                fault,
                datagram,
            });
        }
        p.suppress_icmp = verdict.suppress_icmp;
        let path = self.path(p.from_host, to);
        if let Some(rule) = verdict.lost {
            self.drop_datagram(p.id, to, DropReason::FaultLoss { rule });
            return;
        }
        if let Some((rule, kind)) = verdict.icmp {
            self.drop_datagram(p.id, to, DropReason::FaultIcmp { rule });
            let at = self.now() + path.latency + path.latency;
            self.send_icmp(&p, kind, at);
            return;
        }
        let at = self.now() + path.latency + verdict.extra_delay;
        let now = direct && at <= self.now();
        if !now && p.payload.len() != payload.len() {
            // The arrival waits: the payload needs a home of its own (shared by its copies).
            p.payload = Bytes::copy_from_slice(payload);
        }
        for _ in 0..verdict.copies {
            let mut c = p.clone();
            c.id = self.copy_of(p.id);
            self.ledger.in_flight += 1;
            if now {
                self.arrive(&c, to, path.hops, payload);
            } else {
                self.sched.schedule(
                    at,
                    Timer::Arrive {
                        packet: c,
                        host: to,
                        hops: path.hops,
                    },
                );
            }
        }
        self.ledger.in_flight += 1;
        if now {
            self.arrive(&p, to, path.hops, payload);
            return;
        }
        self.sched.schedule(
            at,
            Timer::Arrive {
                packet: p,
                host: to,
                hops: path.hops,
            },
        );
    }

    /// Schedules an ICMP error about `p` back to its sender, arriving at `at`.
    pub(crate) fn send_icmp(
        &mut self,
        p: &Packet,
        kind: IcmpKind,
        at: crate::sched::time::Instant,
    ) {
        if p.suppress_icmp {
            return;
        }
        let about = p.id;
        self.record(|| Event::Icmp { kind, about });
        self.sched.schedule(
            at,
            Timer::Icmp(IcmpError {
                kind,
                about,
                to_sock: p.from_sock,
                original_src: p.src,
            }),
        );
    }
}

/// Where a send goes: the address (as the socket's family sees it), and whether the caller
/// gave it (rather than the connected peer).
pub(super) fn destination(
    sock: &crate::socket::Socket,
    dest: Dest,
) -> Result<(SocketAddr, Option<SocketAddr>)> {
    let explicit = match dest {
        Dest::Connected => None,
        Dest::To(to) => to,
    };
    let dst = match (explicit, sock.peer, dest) {
        (Some(to), _, _) => to,
        (None, Some(peer), _) => peer,
        (None, None, Dest::Connected) => return Err(Errno::NotConn),
        (None, None, Dest::To(_)) => return Err(Errno::DestAddrReq),
    };
    Ok((dst, explicit))
}

/// The TTL / hop limit a datagram leaves with.
pub(super) fn hop_limit(sock: &crate::socket::Socket, cast: Cast, wire_dst: &SocketAddr) -> u8 {
    match (cast, wire_dst) {
        (Cast::Multicast, SocketAddr::V4(_)) => sock.opts.mcast_ttl,
        (Cast::Multicast, SocketAddr::V6(_)) => sock.opts.mcast_hops6,
        (_, SocketAddr::V4(_)) => sock.opts.ttl,
        (_, SocketAddr::V6(_)) => sock.opts.hops6,
    }
}

/// Where routing sends a datagram.
pub(crate) enum Route {
    Hosts(Vec<HostId>),
    /// The destination is on the LAN but no host has the address: the datagram is lost.
    Nowhere,
}
