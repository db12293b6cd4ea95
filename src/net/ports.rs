//! Which socket owns which local transport address: the bind-conflict rules, and the
//! demultiplexing of an arriving datagram to sockets.
//!
//! Conflicts follow Microsoft's "Sharing Transport Addresses" table (WSK docs; the same AFD/TCPIP
//! rules govern user-mode Winsock) and the rows of Wine's `test_reuseaddr`, which run on real
//! Windows. In that table a "CHECK" result is an access check of the second socket's security
//! context against the first socket's descriptor; a simulation has one security principal, so a
//! CHECK always succeeds.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::Errno;

use super::packet::Transport;
use super::topology::HostId;

/// A socket's key in the socket table (its slab slot and generation).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SockKey {
    pub slot: usize,
    pub generation: u64,
}

/// What one family of a binding covers: the wildcard address or one specific address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cover<A> {
    Wildcard,
    Specific(A),
}

impl<A: PartialEq> Cover<A> {
    fn overlaps(&self, other: &Cover<A>) -> bool {
        match (self, other) {
            (Cover::Specific(a), Cover::Specific(b)) => a == b,
            _ => true,
        }
    }

    fn is_wildcard(&self) -> bool {
        matches!(self, Cover::Wildcard)
    }

    /// Whether a datagram for `dst` matches this cover.
    pub fn accepts(&self, dst: &A) -> bool {
        match self {
            Cover::Wildcard => true,
            Cover::Specific(a) => a == dst,
        }
    }
}

/// The local addresses a bound socket covers. A dual-stack IPv6 socket bound to `::` covers
/// the IPv4 wildcard as well (marked `dual`); a v4-mapped bind covers only IPv4.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct BindAddr {
    pub v4: Option<Cover<Ipv4Addr>>,
    pub v6: Option<Cover<Ipv6Addr>>,
    pub dual: bool,
}

impl BindAddr {
    /// The coverage of a bind to `ip`; `v6only` matters only for an IPv6 socket bound to `::`.
    pub fn of(ip: IpAddr, v6only: bool) -> BindAddr {
        match ip {
            IpAddr::V4(a) => BindAddr {
                v4: Some(if a.is_unspecified() {
                    Cover::Wildcard
                } else {
                    Cover::Specific(a)
                }),
                v6: None,
                dual: false,
            },
            IpAddr::V6(a) => {
                if let Some(v4) = a.to_ipv4_mapped() {
                    return BindAddr::of(IpAddr::V4(v4), true);
                }
                if a.is_unspecified() {
                    BindAddr {
                        v4: (!v6only).then_some(Cover::Wildcard),
                        v6: Some(Cover::Wildcard),
                        dual: !v6only,
                    }
                } else {
                    BindAddr {
                        v4: None,
                        v6: Some(Cover::Specific(a)),
                        dual: false,
                    }
                }
            }
        }
    }
}

/// How a binding shares its address (SO_REUSEADDR, SO_EXCLUSIVEADDRUSE or neither).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sharing {
    Default,
    Reuse,
    Exclusive,
}

/// One entry of the port table.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Binding {
    pub sock: SockKey,
    /// Binding order: among equally specific sockets, the earliest bound receives a unicast
    /// datagram (Windows leaves the choice among SO_REUSEADDR sockets undefined).
    pub seq: u64,
    pub addr: BindAddr,
    pub sharing: Sharing,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Ok,
    InUse,
    Denied,
}

/// The "Sharing Transport Addresses" table: the result of binding `second` over an overlapping
/// `first`. Rows are the second bind, columns the first, each as (sharing, wildcard?).
fn table(second: (Sharing, bool), first: (Sharing, bool)) -> Verdict {
    use Sharing::*;
    use Verdict::*;
    // CHECK cells are written as Ok: see the module comment.
    let col = match first {
        (Default, true) => 0,
        (Default, false) => 1,
        (Reuse, true) => 2,
        (Reuse, false) => 3,
        (Exclusive, true) => 4,
        (Exclusive, false) => 5,
    };
    let row: [Verdict; 6] = match second {
        (Default, true) => [InUse, Ok, InUse, Ok, InUse, Ok],
        (Default, false) => [Ok, InUse, Ok, Denied, Denied, InUse],
        (Reuse, true) => [Denied, Ok, Ok, Ok, Denied, Ok],
        (Reuse, false) => [Ok, Denied, Ok, Ok, Denied, Denied],
        (Exclusive, true) => [InUse; 6],
        (Exclusive, false) => [Ok, InUse, Ok, InUse, Denied, InUse],
    };
    row[col]
}

/// The verdict for one pair of bindings, or `None` if they do not overlap.
fn verdict(second: &Binding, first: &Binding) -> Option<Verdict> {
    // Same-family overlaps decide by the table.
    let native = |b: &Binding| (b.addr.v4.filter(|_| !b.addr.dual), b.addr.v6);
    let (s4, s6) = native(second);
    let (f4, f6) = native(first);
    let mut result = None;
    let mut consider = |v: Verdict| {
        result = Some(match (result, v) {
            (None, v) => v,
            (Some(Verdict::Ok), v) => v,
            (Some(prev), _) => prev,
        })
    };
    if let (Some(a), Some(b)) = (s4, f4) {
        if a.overlaps(&b) {
            consider(table(
                (second.sharing, a.is_wildcard()),
                (first.sharing, b.is_wildcard()),
            ));
        }
    }
    if let (Some(a), Some(b)) = (s6, f6) {
        if a.overlaps(&b) {
            consider(table(
                (second.sharing, a.is_wildcard()),
                (first.sharing, b.is_wildcard()),
            ));
        }
    }
    // A dual-stack wildcard against an IPv4 binding. Wine's test_reuseaddr (Windows rows):
    // [::] dual then 0.0.0.0 binds (with or without SO_EXCLUSIVEADDRUSE on the second);
    // [::] dual exclusive then 0.0.0.0 is WSAEACCES; [::] dual exclusive then 127.0.0.1 is
    // WSAEACCES; 127.0.0.1 then [::] dual exclusive is WSAEADDRINUSE.
    let dual_v4 = |b: &Binding| b.addr.v4.filter(|_| b.addr.dual);
    let cross = |dual: &Binding, dual_is_first: bool, v4: Cover<Ipv4Addr>, other: &Binding| {
        if v4.is_wildcard() {
            // Two wildcards of different families coexist unless the first is exclusive.
            let first_exclusive = if dual_is_first {
                dual.sharing == Sharing::Exclusive
            } else {
                other.sharing == Sharing::Exclusive
            };
            if first_exclusive {
                Verdict::Denied
            } else {
                Verdict::Ok
            }
        } else if dual_is_first {
            table((other.sharing, false), (dual.sharing, true))
        } else {
            table((dual.sharing, true), (other.sharing, false))
        }
    };
    if let (Some(_), Some(b)) = (dual_v4(second), f4) {
        consider(cross(second, false, b, first));
    }
    if let (Some(_), Some(a)) = (dual_v4(first), s4) {
        consider(cross(first, true, a, second));
    }
    // Two dual-stack wildcards are already decided by their IPv6 overlap.
    result
}

/// The port table of every host.
#[derive(Debug, Default)]
pub(crate) struct PortTable {
    map: BTreeMap<(HostId, Transport, u16), Vec<Binding>>,
    next_seq: u64,
}

impl PortTable {
    /// Whether `candidate` may be bound on `(host, transport, port)`; the error Windows gives
    /// otherwise (WSAEADDRINUSE or WSAEACCES).
    pub fn check(
        &self,
        host: HostId,
        transport: Transport,
        port: u16,
        addr: BindAddr,
        sharing: Sharing,
    ) -> Result<(), Errno> {
        let Some(existing) = self.map.get(&(host, transport, port)) else {
            return Ok(());
        };
        let candidate = Binding {
            sock: SockKey {
                slot: usize::MAX,
                generation: 0,
            },
            seq: u64::MAX,
            addr,
            sharing,
        };
        for first in existing {
            match verdict(&candidate, first) {
                None | Some(Verdict::Ok) => {}
                Some(Verdict::InUse) => return Err(Errno::AddrInUse),
                Some(Verdict::Denied) => return Err(Errno::Access),
            }
        }
        Ok(())
    }

    /// Records a binding that [`PortTable::check`] accepted.
    pub fn insert(
        &mut self,
        host: HostId,
        transport: Transport,
        port: u16,
        sock: SockKey,
        addr: BindAddr,
        sharing: Sharing,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.map
            .entry((host, transport, port))
            .or_default()
            .push(Binding {
                sock,
                seq,
                addr,
                sharing,
            });
    }

    /// Removes every binding of `sock` on `(host, transport, port)`.
    pub fn remove(&mut self, host: HostId, transport: Transport, port: u16, sock: SockKey) {
        let key = (host, transport, port);
        if let Some(list) = self.map.get_mut(&key) {
            list.retain(|b| b.sock != sock);
            if list.is_empty() {
                self.map.remove(&key);
            }
        }
    }

    /// Whether any socket has `(host, transport, port)` bound.
    pub fn in_use(&self, host: HostId, transport: Transport, port: u16) -> bool {
        self.map.contains_key(&(host, transport, port))
    }

    /// The bindings on `(host, transport, port)`, in binding order.
    pub fn bindings(&self, host: HostId, transport: Transport, port: u16) -> &[Binding] {
        self.map
            .get(&(host, transport, port))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: HostId = HostId(0);

    fn try_bind(
        t: &mut PortTable,
        n: usize,
        ip: &str,
        v6only: bool,
        sharing: Sharing,
    ) -> Result<(), Errno> {
        let addr = BindAddr::of(ip.parse().unwrap(), v6only);
        t.check(H, Transport::Udp, 5000, addr, sharing)?;
        let sock = SockKey {
            slot: n,
            generation: 0,
        };
        t.insert(H, Transport::Udp, 5000, sock, addr, sharing);
        Ok(())
    }

    use Sharing::{Default as D, Exclusive as X, Reuse as R};

    /// Rows of Wine's test_reuseaddr (sock.c), asserted on real Windows. IPv6 sockets there
    /// have IPV6_V6ONLY = 0.
    #[test]
    fn wine_test_reuseaddr_rows() {
        type Row = (
            &'static str,
            Sharing,
            &'static str,
            Sharing,
            Result<(), Errno>,
        );
        let rows: &[Row] = &[
            ("0.0.0.0", X, "127.0.0.1", D, Err(Errno::Access)),
            ("::", X, "127.0.0.1", D, Err(Errno::Access)),
            ("0.0.0.0", D, "127.0.0.1", X, Ok(())),
            ("0.0.0.0", X, "127.0.0.1", X, Err(Errno::Access)),
            ("127.0.0.1", X, "0.0.0.0", D, Ok(())),
            ("127.0.0.1", D, "0.0.0.0", X, Err(Errno::AddrInUse)),
            ("127.0.0.1", D, "::", X, Err(Errno::AddrInUse)),
            ("::1", D, "0.0.0.0", X, Ok(())),
            ("::1", X, "127.0.0.1", X, Ok(())),
            ("::ffff:127.0.0.1", D, "0.0.0.0", X, Err(Errno::AddrInUse)),
            ("::", X, "0.0.0.0", D, Err(Errno::Access)),
            ("::", D, "0.0.0.0", X, Ok(())),
            ("0.0.0.0", D, "0.0.0.0", X, Err(Errno::AddrInUse)),
            ("0.0.0.0", D, "0.0.0.0", D, Err(Errno::AddrInUse)),
            ("::", D, "0.0.0.0", D, Ok(())),
            ("::ffff:0.0.0.0", D, "0.0.0.0", D, Err(Errno::AddrInUse)),
            ("::ffff:127.0.0.1", D, "127.0.0.1", D, Err(Errno::AddrInUse)),
            ("127.0.0.1", D, "::ffff:127.0.0.1", D, Err(Errno::AddrInUse)),
            ("127.0.0.1", X, "127.0.0.1", D, Err(Errno::AddrInUse)),
            ("127.0.0.1", D, "127.0.0.1", X, Err(Errno::AddrInUse)),
            // From the same test: reuse on the second only is denied, on both it succeeds;
            // 127.0.0.1 and 0.0.0.0 coexist in either order without options.
            ("127.0.0.1", D, "127.0.0.1", R, Err(Errno::Access)),
            ("127.0.0.1", D, "0.0.0.0", D, Ok(())),
            ("0.0.0.0", D, "127.0.0.1", D, Ok(())),
        ];
        for (i, &(a, sa, b, sb, ref want)) in rows.iter().enumerate() {
            let mut t = PortTable::default();
            try_bind(&mut t, 0, a, false, sa).unwrap();
            assert_eq!(
                &try_bind(&mut t, 1, b, false, sb),
                want,
                "row {i}: {a} {sa:?} then {b} {sb:?}"
            );
        }
    }

    #[test]
    fn reuse_on_both_shares() {
        let mut t = PortTable::default();
        try_bind(&mut t, 0, "127.0.0.1", false, R).unwrap();
        assert_eq!(try_bind(&mut t, 1, "127.0.0.1", false, R), Ok(()));
        assert_eq!(t.bindings(H, Transport::Udp, 5000).len(), 2);
    }

    #[test]
    fn different_specific_addresses_never_conflict() {
        let mut t = PortTable::default();
        try_bind(&mut t, 0, "127.0.0.1", false, X).unwrap();
        assert_eq!(try_bind(&mut t, 1, "127.0.0.2", false, X), Ok(()));
    }

    #[test]
    fn v6only_wildcard_leaves_ipv4_free() {
        let mut t = PortTable::default();
        try_bind(&mut t, 0, "::", true, X).unwrap();
        assert_eq!(try_bind(&mut t, 1, "0.0.0.0", false, X), Ok(()));
    }
}
