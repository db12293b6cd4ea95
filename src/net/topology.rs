//! Hosts, their interfaces and addresses, and how a destination address is reached.
//!
//! The topology is deliberately small: every host has a loopback interface (ifindex 1, with
//! 127.0.0.1/8 and ::1) and may have one LAN interface (ifindex 2) with any number of
//! addresses. All LAN interfaces sit on one shared segment, so any host reaches any other
//! host's address; path properties (latency, hops) are set per pair of hosts.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::sockaddr::Family;

/// Identifies a host of a simulation. The default is host 0, the first host built.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub(crate) u32);

impl HostId {
    /// The host's index in creation order (the default host is 0).
    pub fn index(self) -> u32 {
        self.0
    }
}

impl core::fmt::Display for HostId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "h{}", self.0)
    }
}

/// The loopback interface's index, as Windows numbers its loopback pseudo-interface.
pub const LOOPBACK_IFINDEX: u32 = 1;
/// The LAN interface's index.
pub const LAN_IFINDEX: u32 = 2;

/// An address assigned to an interface, with its prefix length.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfAddr {
    /// The address.
    pub ip: IpAddr,
    /// The prefix length (for example 24 in 10.0.0.1/24).
    pub prefix: u8,
}

impl IfAddr {
    /// Whether `other` lies in this address's subnet.
    pub fn contains(&self, other: &IpAddr) -> bool {
        match (self.ip, other) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = prefix_mask_v4(self.prefix);
                u32::from(a) & mask == u32::from(*b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = prefix_mask_v6(self.prefix);
                u128::from(a) & mask == u128::from(*b) & mask
            }
            _ => false,
        }
    }

    /// The subnet-directed broadcast address of an IPv4 address (none for IPv6, or for /31
    /// and /32 prefixes, which have no broadcast address).
    pub fn broadcast(&self) -> Option<Ipv4Addr> {
        match self.ip {
            IpAddr::V4(a) if self.prefix < 31 => {
                Some(Ipv4Addr::from(u32::from(a) | !prefix_mask_v4(self.prefix)))
            }
            _ => None,
        }
    }
}

fn prefix_mask_v4(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p if p >= 32 => u32::MAX,
        p => u32::MAX << (32 - u32::from(p)),
    }
}

fn prefix_mask_v6(prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p if p >= 128 => u128::MAX,
        p => u128::MAX << (128 - u32::from(p)),
    }
}

/// One host's network state.
#[derive(Clone, Debug)]
pub(crate) struct Host {
    pub name: String,
    /// Addresses of the LAN interface (the loopback addresses are implicit).
    pub lan: Vec<IfAddr>,
    /// While set, the host's network subsystem has failed (WSAENETDOWN).
    pub net_down: bool,
    /// The next ephemeral port to try, per transport (index 0: UDP, 1: other).
    pub next_ephemeral: u16,
}

/// Windows' dynamic port range (`netsh int ipv4 show dynamicport udp`: 49152, 16384 ports).
pub const EPHEMERAL_FIRST: u16 = 49152;
/// The last port of the dynamic range.
pub const EPHEMERAL_LAST: u16 = 65535;

impl Host {
    pub fn new(name: String, lan: Vec<IfAddr>) -> Self {
        Host {
            name,
            lan,
            net_down: false,
            next_ephemeral: EPHEMERAL_FIRST,
        }
    }

    /// Whether `ip` is one of this host's own unicast addresses (loopback included).
    pub fn owns(&self, ip: &IpAddr) -> bool {
        is_loopback(ip) || self.lan.iter().any(|a| a.ip == *ip)
    }

    /// The interface index on which traffic for `ip` (one of ours) arrives.
    pub fn ifindex_of(&self, ip: &IpAddr) -> u32 {
        if is_loopback(ip) {
            LOOPBACK_IFINDEX
        } else {
            LAN_IFINDEX
        }
    }

    /// Whether this host has a LAN address of `family`.
    pub fn has_lan(&self, family: Family) -> bool {
        self.lan.iter().any(|a| Family::of_ip(&a.ip) == family)
    }

    /// Whether `ip` is a broadcast address this host's LAN receives: the limited broadcast
    /// address or the directed broadcast of one of its subnets.
    pub fn is_broadcast_for(&self, ip: &IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => {
                *v4 == Ipv4Addr::BROADCAST || self.lan.iter().any(|a| a.broadcast() == Some(*v4))
            }
            IpAddr::V6(_) => false,
        }
    }

    /// The source address a datagram from this host to `dst` carries when the socket is not
    /// bound to a specific address: the loopback address for loopback destinations, the
    /// destination itself when it is one of ours, otherwise the first LAN address on the
    /// destination's subnet, or failing that the first LAN address of the family.
    pub fn source_for(&self, dst: &IpAddr) -> Option<IpAddr> {
        if is_loopback(dst) {
            return Some(match dst {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        if self.owns(dst) {
            return Some(*dst);
        }
        let family = Family::of_ip(dst);
        self.lan
            .iter()
            .find(|a| a.contains(dst))
            .or_else(|| self.lan.iter().find(|a| Family::of_ip(&a.ip) == family))
            .map(|a| a.ip)
    }
}

impl Family {
    /// The family of an IP address.
    pub fn of_ip(ip: &IpAddr) -> Family {
        match ip {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// Loopback addresses: all of 127.0.0.0/8, and ::1.
pub fn is_loopback(ip: &IpAddr) -> bool {
    ip.is_loopback()
}

/// Multicast addresses: 224.0.0.0/4 and ff00::/8.
pub fn is_multicast(ip: &IpAddr) -> bool {
    ip.is_multicast()
}

/// The wildcard address of a family (`INADDR_ANY`, `in6addr_any`).
pub fn is_unspecified(ip: &IpAddr) -> bool {
    ip.is_unspecified()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lan(s: &str) -> IfAddr {
        let (ip, p) = s.split_once('/').unwrap();
        IfAddr {
            ip: ip.parse().unwrap(),
            prefix: p.parse().unwrap(),
        }
    }

    #[test]
    fn subnet_and_broadcast() {
        let a = lan("10.1.2.3/24");
        assert!(a.contains(&"10.1.2.200".parse().unwrap()));
        assert!(!a.contains(&"10.1.3.1".parse().unwrap()));
        assert_eq!(a.broadcast(), Some("10.1.2.255".parse().unwrap()));
        assert_eq!(lan("10.0.0.1/32").broadcast(), None);
        assert!(lan("fd00::1/64").contains(&"fd00::99".parse().unwrap()));
    }

    #[test]
    fn source_selection() {
        let h = Host::new("a".into(), vec![lan("10.0.0.1/24"), lan("192.168.1.1/24")]);
        let pick = |d: &str| h.source_for(&d.parse().unwrap());
        assert_eq!(pick("127.0.0.5"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(pick("192.168.1.7"), Some("192.168.1.1".parse().unwrap()));
        assert_eq!(pick("8.8.8.8"), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(pick("10.0.0.1"), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(pick("fd00::1"), None);
        assert!(h.is_broadcast_for(&"192.168.1.255".parse().unwrap()));
        assert!(h.is_broadcast_for(&"255.255.255.255".parse().unwrap()));
    }
}
