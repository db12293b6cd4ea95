//! Fault rules a test sets on the network: loss, duplication, delay, reordering, injected or
//! suppressed ICMP errors and TTL expiry. Each rule matches a path (or every path) and fires
//! with a probability drawn from the simulation's seed, so a seed fixes which datagrams suffer.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::packet::Packet;
use super::topology::HostId;
use crate::sched::rng::Rng;

/// One end of a path, as a rule matches it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Any address.
    Any,
    /// Any address of this host (for the source: datagrams it sends; for the destination:
    /// datagrams addressed to one of its addresses).
    Host(HostId),
    /// This IP address, any port.
    Ip(IpAddr),
    /// This IP address and port.
    Addr(SocketAddr),
}

/// What a rule does to a datagram it fires on.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Fault {
    /// The datagram is lost.
    Drop,
    /// The datagram arrives `copies` extra times (each copy is accounted for separately).
    Duplicate {
        /// How many extra copies.
        copies: u32,
    },
    /// The datagram is delayed by a uniformly drawn time in `min..=max`.
    Delay {
        /// Shortest extra delay.
        min: Duration,
        /// Longest extra delay.
        max: Duration,
    },
    /// The datagram is held back by `by`, so datagrams sent after it overtake it.
    Reorder {
        /// How long it is held back.
        by: Duration,
    },
    /// The datagram is lost and the destination answers with an ICMP port unreachable, as if
    /// nobody listened there.
    InjectPortUnreachable,
    /// The datagram expires in transit: it is lost and an ICMP time exceeded comes back.
    ExpireTtl,
    /// No ICMP error is generated for the datagram (for example a host that does not answer
    /// unreachable ports, or a firewall that eats ICMP).
    SuppressIcmp,
}

impl Fault {
    /// A short name for traces.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Drop => "drop",
            Fault::Duplicate { .. } => "duplicate",
            Fault::Delay { .. } => "delay",
            Fault::Reorder { .. } => "reorder",
            Fault::InjectPortUnreachable => "inject-port-unreachable",
            Fault::ExpireTtl => "expire-ttl",
            Fault::SuppressIcmp => "suppress-icmp",
        }
    }
}

/// A fault rule: a path, an action, a probability and an optional budget.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    pub(crate) src: Endpoint,
    pub(crate) dst: Endpoint,
    pub(crate) fault: Fault,
    pub(crate) probability: f64,
    pub(crate) budget: Option<u64>,
}

impl FaultRule {
    /// A rule that applies `fault` to every datagram on every path.
    pub fn global(fault: Fault) -> Self {
        FaultRule {
            src: Endpoint::Any,
            dst: Endpoint::Any,
            fault,
            probability: 1.0,
            budget: None,
        }
    }

    /// A rule that applies `fault` to datagrams from `src` to `dst`.
    pub fn path(src: Endpoint, dst: Endpoint, fault: Fault) -> Self {
        FaultRule {
            src,
            dst,
            fault,
            probability: 1.0,
            budget: None,
        }
    }

    /// Fire with probability `p` (0..=1) per matching datagram, drawn from the seed.
    pub fn with_probability(mut self, p: f64) -> Self {
        self.probability = p;
        self
    }

    /// Fire at most `n` times.
    pub fn times(mut self, n: u64) -> Self {
        self.budget = Some(n);
        self
    }

    pub(crate) fn matches(&self, p: &Packet, dst_host: Option<HostId>) -> bool {
        let m = |e: &Endpoint, addr: &SocketAddr, host: Option<HostId>| match e {
            Endpoint::Any => true,
            Endpoint::Host(h) => host == Some(*h),
            Endpoint::Ip(ip) => addr.ip() == *ip,
            Endpoint::Addr(a) => addr == a,
        };
        m(&self.src, &p.src, Some(p.from_host)) && m(&self.dst, &p.dst, dst_host)
    }
}

/// What the rules decided for one datagram.
#[derive(Clone, Debug, Default)]
pub(crate) struct Verdict {
    /// Rule index and fault, for every rule that fired, in rule order.
    pub fired: Vec<(usize, Fault)>,
    /// Lost by this rule.
    pub lost: Option<usize>,
    /// Lost with an injected ICMP error, by this rule.
    pub icmp: Option<(usize, super::packet::IcmpKind)>,
    pub suppress_icmp: bool,
    pub extra_delay: Duration,
    pub copies: u32,
}

/// Runs the rules over a datagram. Rules are evaluated in the order they were added; the first
/// that loses the datagram ends the evaluation.
pub(crate) fn evaluate(
    rules: &mut [FaultRule],
    p: &Packet,
    dst_host: Option<HostId>,
    rng: &mut Rng,
) -> Verdict {
    let mut v = Verdict::default();
    for (i, rule) in rules.iter_mut().enumerate() {
        if rule.budget == Some(0) || !rule.matches(p, dst_host) {
            continue;
        }
        if !rng.chance(rule.probability) {
            continue;
        }
        if let Some(b) = rule.budget.as_mut() {
            *b -= 1;
        }
        v.fired.push((i, rule.fault));
        match rule.fault {
            Fault::Drop => {
                v.lost = Some(i);
                break;
            }
            Fault::InjectPortUnreachable => {
                v.icmp = Some((i, super::packet::IcmpKind::PortUnreachable));
                break;
            }
            Fault::ExpireTtl => {
                v.icmp = Some((i, super::packet::IcmpKind::TtlExpired));
                break;
            }
            Fault::Duplicate { copies } => v.copies = v.copies.saturating_add(copies),
            Fault::Delay { min, max } => {
                let lo = u64::try_from(min.as_nanos()).unwrap_or(u64::MAX);
                let hi = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
                v.extra_delay += Duration::from_nanos(rng.between(lo, hi));
            }
            Fault::Reorder { by } => v.extra_delay += by,
            Fault::SuppressIcmp => v.suppress_icmp = true,
        }
    }
    v
}
