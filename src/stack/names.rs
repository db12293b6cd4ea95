//! Local and remote addresses: bind (explicit and implicit), connect, shutdown, getsockname,
//! getpeername, and multicast membership.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::World;
use crate::error::{Errno, Result};
use crate::net::packet::Transport;
use crate::net::ports::{BindAddr, Sharing};
use crate::net::topology::{EPHEMERAL_FIRST, EPHEMERAL_LAST, LAN_IFINDEX, LOOPBACK_IFINDEX};
use crate::socket::options::{MembershipIface, MembershipRequest};
use crate::socket::{SockKind, Socket};
use crate::trace::Event;
use crate::wire::sockaddr::{v4_mapped, Family};

/// How shutdown() was asked to close the socket.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// SD_RECEIVE.
    Receive,
    /// SD_SEND.
    Send,
    /// SD_BOTH.
    Both,
}

/// The address as a socket of `family` sees it: an IPv6 socket sees IPv4 peers as
/// v4-mapped addresses.
pub(crate) fn as_seen_by(family: Family, wire: SocketAddr) -> SocketAddr {
    match (family, wire) {
        (Family::V6, SocketAddr::V4(a)) => SocketAddr::V6(v4_mapped(a)),
        _ => wire,
    }
}

/// The address a caller passed (in the socket's family) as it goes on the wire. An IPv6
/// socket addresses IPv4 hosts with v4-mapped addresses, which only a dual-stack socket may
/// use. A structure of the wrong family is refused: a short one for an IPv6 socket as a
/// too-short name (WSAEFAULT), an IPv6 one for an IPv4 socket as WSAEAFNOSUPPORT.
pub(crate) fn to_wire(sock: &Socket, addr: SocketAddr) -> Result<SocketAddr> {
    match (sock.family, addr) {
        (Family::V4, SocketAddr::V4(_)) => Ok(addr),
        (Family::V4, SocketAddr::V6(_)) => Err(Errno::AfNoSupport),
        (Family::V6, SocketAddr::V4(_)) => Err(Errno::Fault),
        (Family::V6, SocketAddr::V6(a)) => match a.ip().to_ipv4_mapped() {
            Some(_) if !sock.dual_stack() => Err(Errno::NetUnreach),
            Some(v4) => Ok(SocketAddr::V4(SocketAddrV4::new(v4, a.port()))),
            None => Ok(addr),
        },
    }
}

impl World {
    /// bind().
    pub fn bind(&mut self, handle: usize, addr: SocketAddr) -> Result<()> {
        let sock = self.sock(handle)?;
        if sock.local.is_some() {
            // Wine test_bind: binding a bound socket again is WSAEINVAL.
            return Err(Errno::Inval);
        }
        let wire_ip = match (sock.family, addr) {
            (Family::V4, SocketAddr::V6(_)) => return Err(Errno::AfNoSupport),
            (Family::V6, SocketAddr::V4(_)) => return Err(Errno::Fault),
            (_, a) => match a.ip() {
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(_) if sock.opts.v6only => return Err(Errno::AddrNotAvail),
                    Some(v4) => IpAddr::V4(v4),
                    None => IpAddr::V6(v6),
                },
                ip => ip,
            },
        };
        if let SocketAddr::V6(a) = addr {
            // A scope id must name the interface that has the address (Wine test_bind:
            // 0xabacab is WSAEADDRNOTAVAIL, 0 is accepted).
            let scope = a.scope_id();
            if scope != 0 && scope != LOOPBACK_IFINDEX && scope != LAN_IFINDEX {
                return Err(Errno::AddrNotAvail);
            }
        }
        let sock = self.sock(handle)?;
        if sock.wine8()
            && matches!(wire_ip, IpAddr::V4(v4) if !v4.is_unspecified() && !v4.is_multicast())
            && !self.host(sock.host).owns(&wire_ip)
        {
            // Wine 8 accepts a bind to an IPv4 address the host does not have: it binds the
            // wildcard address (a port as asked, or an ephemeral one), and getsockname
            // reports the address asked for with that port (diff/corpus/bind_rules.json and
            // bind_foreign.json under Wine). IPv6 is refused as on Windows.
            let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
            self.bind_wire(
                handle,
                any,
                addr.port(),
                SocketAddr::new(any, addr.port()),
                false,
            )?;
            self.sock_mut(handle)?.wine_shown = Some(addr.ip());
            return Ok(());
        }
        self.bind_wire(handle, wire_ip, addr.port(), addr, false)
    }

    /// Binds to `wire_ip:port` (port 0: an ephemeral port) and records `shown` (with the
    /// chosen port) as the socket's local address.
    fn bind_wire(
        &mut self,
        handle: usize,
        wire_ip: IpAddr,
        port: u16,
        shown: SocketAddr,
        implicit: bool,
    ) -> Result<()> {
        let sock = self.sock(handle)?;
        let (host, key, kind) = (sock.host, sock.key, sock.kind);
        if !wire_ip.is_unspecified() {
            // Only the host's own unicast addresses can be bound: not a foreign address
            // (Wine test_bind: 192.0.2.0 is WSAEADDRNOTAVAIL), not a multicast or broadcast one.
            let h = self.host(host);
            if !h.owns(&wire_ip) || wire_ip.is_multicast() {
                return Err(Errno::AddrNotAvail);
            }
        }
        let sharing = if sock.opts.exclusive {
            Sharing::Exclusive
        } else if sock.opts.reuseaddr {
            Sharing::Reuse
        } else {
            Sharing::Default
        };
        let cover = BindAddr::of(
            if matches!(shown, SocketAddr::V6(a) if a.ip().is_unspecified()) {
                shown.ip()
            } else {
                wire_ip
            },
            sock.opts.v6only,
        );
        let transport = kind.transport();
        let port = match transport {
            // Raw sockets have no ports: every raw socket of a protocol sees every datagram.
            Transport::Raw(_) => 0,
            _ if port == 0 => self.ephemeral_port(host, transport)?,
            _ => {
                self.bindings.check(host, transport, port, cover, sharing)?;
                port
            }
        };
        self.bindings
            .insert(host, transport, port, key, cover, sharing);
        let local = match shown {
            SocketAddr::V4(a) => SocketAddr::V4(SocketAddrV4::new(*a.ip(), port)),
            SocketAddr::V6(a) => {
                SocketAddr::V6(SocketAddrV6::new(*a.ip(), port, a.flowinfo(), a.scope_id()))
            }
        };
        let sock = self.sock_mut(handle)?;
        sock.local = Some(local);
        sock.bound_port = Some((transport, port));
        // A new binding changes where datagrams go (an implicit bind happens inside a send).
        self.invalidate_routes();
        self.record(|| Event::Bind {
            handle,
            addr: local,
            implicit,
        });
        Ok(())
    }

    /// The next free port of Windows' dynamic range on `host`.
    fn ephemeral_port(
        &mut self,
        host: crate::net::topology::HostId,
        transport: Transport,
    ) -> Result<u16> {
        let span = u32::from(EPHEMERAL_LAST - EPHEMERAL_FIRST) + 1;
        let start = self.host(host).next_ephemeral;
        for i in 0..span {
            let offset = (u32::from(start - EPHEMERAL_FIRST) + i) % span;
            let port = EPHEMERAL_FIRST + offset as u16;
            if !self.bindings.in_use(host, transport, port) {
                let next = EPHEMERAL_FIRST + ((offset + 1) % span) as u16;
                self.host_mut(host).next_ephemeral = next;
                return Ok(port);
            }
        }
        Err(Errno::NoBufs)
    }

    /// Binds an unbound socket to the wildcard address and an ephemeral port, as a first send
    /// or a connect does (Wine test_WSASendTo / test_WSASendMsg: getsockname then reports
    /// 0.0.0.0 and a non-zero port).
    pub fn implicit_bind(&mut self, handle: usize) -> Result<()> {
        let sock = self.sock(handle)?;
        if sock.local.is_some() {
            return Ok(());
        }
        if sock.wine8() && matches!(sock.kind, SockKind::Raw(_)) {
            // Wine 8 leaves a raw socket unbound when it sends: getsockname stays
            // WSAEINVAL (diff/corpus/raw_sockets.json).
            return Ok(());
        }
        let shown = match sock.family {
            Family::V4 => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            Family::V6 => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
        };
        self.bind_wire(handle, shown.ip(), 0, shown, true)
    }

    /// connect() on a datagram socket: sets (or with `None`, for AF_UNSPEC, clears) the
    /// default destination and the receive filter, binding implicitly first.
    pub fn connect(&mut self, handle: usize, peer: Option<SocketAddr>) -> Result<()> {
        let sock = self.sock(handle)?;
        if sock.kind == SockKind::Stream {
            // No TCP in the simulator (README, "Not supported").
            return Err(Errno::OpNotSupp);
        }
        let Some(peer) = peer else {
            let sock = self.sock_mut(handle)?;
            sock.peer = None;
            sock.conn_local = None;
            self.record(|| Event::Connect { handle, peer: None });
            return Ok(());
        };
        let wire = to_wire(sock, peer)?;
        if wire.ip().is_unspecified() {
            return Err(Errno::AddrNotAvail);
        }
        self.implicit_bind(handle)?;
        let shown = as_seen_by(self.sock(handle)?.family, wire);
        let chosen = self.source_ip(handle, &wire, None).ok();
        let sock = self.sock_mut(handle)?;
        sock.peer = Some(shown);
        sock.discon = false;
        let wildcard = sock.local.is_some_and(|l| l.ip().is_unspecified());
        sock.conn_local = chosen
            .filter(|_| wildcard)
            .map(|ip| match (sock.family, ip) {
                (Family::V6, IpAddr::V4(v4)) => IpAddr::V6(v4.to_ipv6_mapped()),
                _ => ip,
            });
        self.record(|| Event::Connect {
            handle,
            peer: Some(shown),
        });
        Ok(())
    }

    /// shutdown().
    pub fn shutdown(&mut self, handle: usize, how: i32) -> Result<()> {
        let how = match how {
            0 => How::Receive,
            1 => How::Send,
            2 => How::Both,
            _ => return Err(Errno::Inval),
        };
        let sock = self.sock_mut(handle)?;
        if sock.kind == SockKind::Stream {
            // An unconnected TCP socket (Wine test_shutdown).
            return Err(Errno::NotConn);
        }
        if matches!(how, How::Receive | How::Both) {
            sock.shut_rd = true;
        }
        if matches!(how, How::Send | How::Both) && !sock.shut_wr {
            // The peer of a reliable message socket learns that no more messages will come.
            self.send_disconnect(handle);
            self.sock_mut(handle)?.shut_wr = true;
        }
        self.sched.wake_all();
        Ok(())
    }

    /// getsockname(): WSAEINVAL while unbound, checked before the caller's buffer (afd.c
    /// test_getsockname).
    pub fn local_addr(&self, handle: usize) -> Result<SocketAddr> {
        let sock = self.sock(handle)?;
        let mut local = sock.local.ok_or(Errno::Inval)?;
        if let Some(ip) = sock.wine_shown {
            local.set_ip(ip);
        }
        if let (true, SockKind::Raw(p)) = (sock.wine8(), sock.kind) {
            // Wine 8 reports its Linux host's name for a raw socket, whose port is the
            // protocol (diff/corpus/raw_sockets.json); Windows reports port 0.
            local.set_port(u16::from(p));
        }
        Ok(match sock.conn_local {
            Some(ip) => SocketAddr::new(ip, local.port()),
            None => local,
        })
    }

    /// getpeername(): WSAENOTCONN before any pointer check (Wine test_getpeername).
    pub fn peer_addr(&self, handle: usize) -> Result<SocketAddr> {
        self.sock(handle)?.peer.ok_or(Errno::NotConn)
    }

    /// IP_ADD_MEMBERSHIP / IPV6_ADD_MEMBERSHIP and the DROP variants.
    pub fn membership(&mut self, handle: usize, req: MembershipRequest) -> Result<()> {
        let sock = self.sock(handle)?;
        let host = sock.host;
        let family_ok = match req.group {
            IpAddr::V4(_) => sock.family == Family::V4 || sock.dual_stack(),
            IpAddr::V6(_) => sock.family == Family::V6,
        };
        if !family_ok {
            return Err(Errno::Inval);
        }
        let ifindex = match req.iface {
            MembershipIface::Addr(a) if a.is_unspecified() => 0,
            MembershipIface::Addr(a) => {
                let ip = IpAddr::V4(a);
                if !self.host(host).owns(&ip) {
                    return Err(Errno::AddrNotAvail);
                }
                self.host(host).ifindex_of(&ip)
            }
            MembershipIface::Index(0) => 0,
            MembershipIface::Index(i) if i == LOOPBACK_IFINDEX || i == LAN_IFINDEX => i,
            MembershipIface::Index(_) => return Err(Errno::AddrNotAvail),
        };
        let sock = self.sock_mut(handle)?;
        let entry = (req.group, ifindex);
        if req.join {
            if !sock.groups.insert(entry) {
                return Err(Errno::Inval);
            }
        } else if !sock.groups.remove(&entry) {
            return Err(Errno::AddrNotAvail);
        }
        Ok(())
    }
}
