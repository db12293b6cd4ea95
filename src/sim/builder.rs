//! Building a simulation.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::{Shared, Sim};
use crate::io::status::{CancelledError, CloseStatus};
use crate::net::fault::FaultRule;
use crate::net::topology::{Host, HostId, IfAddr};
use crate::net::PathProps;
use crate::sched::choice::Choices;
use crate::socket::options::DEFAULT_BUF;
use crate::stack::{Config, Personality, World};

/// What is wrong with a simulation's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An address did not parse as `ip/prefix` or `ip`.
    #[error("bad address {0:?}: expected an IP address with an optional /prefix")]
    BadAddress(String),
    /// A LAN address must be a unicast, non-loopback address.
    #[error("address {0} cannot be assigned to a LAN interface")]
    UnusableAddress(IpAddr),
    /// Two hosts have the same address.
    #[error("address {0} is assigned to two hosts")]
    DuplicateAddress(IpAddr),
    /// Two hosts have the same name.
    #[error("two hosts are called {0:?}")]
    DuplicateHost(String),
    /// A path names a host that does not exist.
    #[error("path names unknown host {0:?}")]
    UnknownHost(String),
}

/// One host of a simulation under construction.
#[derive(Clone, Debug)]
pub struct HostSpec {
    name: String,
    addrs: Vec<String>,
}

/// Builds a [`Sim`].
#[derive(Clone, Debug)]
pub struct SimBuilder {
    seed: u64,
    hosts: Vec<HostSpec>,
    lan_latency: Duration,
    paths: Vec<(String, String, PathProps)>,
    faults: Vec<FaultRule>,
    trace: bool,
    port_unreachable: bool,
    rcvbuf: u32,
    choices: Option<Choices>,
    cancelled_error: CancelledError,
    close_status: Option<CloseStatus>,
    max_outstanding: usize,
    message_protocols: bool,
    personality: Personality,
    capture: bool,
}

impl Default for SimBuilder {
    fn default() -> Self {
        SimBuilder::new()
    }
}

impl SimBuilder {
    /// A builder with seed 0, tracing on, no hosts yet (one loopback-only host called
    /// "localhost" if none are added) and zero latency.
    pub fn new() -> Self {
        SimBuilder {
            seed: 0,
            hosts: Vec::new(),
            lan_latency: Duration::ZERO,
            paths: Vec::new(),
            faults: Vec::new(),
            trace: true,
            port_unreachable: true,
            rcvbuf: DEFAULT_BUF,
            choices: None,
            cancelled_error: CancelledError::OperationAborted,
            close_status: None,
            max_outstanding: usize::MAX,
            message_protocols: false,
            personality: Personality::Windows,
            capture: false,
        }
    }

    /// Keeps every datagram sent, for `Sim::captured` and `Sim::write_pcap` (default off).
    pub fn capture(mut self, on: bool) -> Self {
        self.capture = on;
        self
    }

    /// The seed every random choice derives from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Adds a host with LAN addresses such as `"10.0.0.1/24"` or `"fd00::1/64"` (a bare
    /// address gets /24 or /64). Every host also has 127.0.0.1 and ::1. The first host added
    /// is host 0, which threads use unless they enter another.
    pub fn host(mut self, name: &str, addrs: &[&str]) -> Self {
        self.hosts.push(HostSpec {
            name: name.to_string(),
            addrs: addrs.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    /// The one-way latency between any two different hosts (default zero).
    pub fn latency(mut self, d: Duration) -> Self {
        self.lan_latency = d;
        self
    }

    /// Properties of the path from host `from` to host `to` (one direction).
    pub fn path(mut self, from: &str, to: &str, props: PathProps) -> Self {
        self.paths.push((from.to_string(), to.to_string(), props));
        self
    }

    /// Adds a fault rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Records the trace (default on; benchmarks turn it off).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }

    /// Whether hosts answer datagrams to ports nobody has bound with ICMP port unreachable
    /// (default on, as Windows does on loopback).
    pub fn port_unreachable(mut self, on: bool) -> Self {
        self.port_unreachable = on;
        self
    }

    /// The SO_RCVBUF new sockets start with (default 65536).
    pub fn default_rcvbuf(mut self, bytes: u32) -> Self {
        self.rcvbuf = bytes;
        self
    }

    /// How choices Windows leaves open (the order of ready completion routines) are made
    /// (default: from the seed; in completion order under Personality::Wine8).
    pub fn choices(mut self, c: Choices) -> Self {
        self.choices = Some(c);
        self
    }

    /// The Winsock error a cancelled request reports (default WSA_OPERATION_ABORTED).
    pub fn cancelled_error(mut self, e: CancelledError) -> Self {
        self.cancelled_error = e;
        self
    }

    /// The status closesocket completes pending receives with (default: the personality's,
    /// STATUS_CANCELLED on Windows, STATUS_HANDLES_CLOSED on Wine 8).
    pub fn close_status(mut self, s: CloseStatus) -> Self {
        self.close_status = Some(s);
        self
    }

    /// How many overlapped receives one socket may have pending before the next is refused
    /// with WSAEWOULDBLOCK (default: no limit).
    pub fn max_outstanding(mut self, n: usize) -> Self {
        self.max_outstanding = n;
        self
    }

    /// Whose behaviour to reproduce where implementations differ: real Windows (the
    /// default), or Wine 8, so that differential tests against Wine can match it exactly.
    /// Every difference is a row of CONTRACT.md's section W.
    pub fn personality(mut self, p: Personality) -> Self {
        self.personality = p;
        self
    }

    /// Installs the simulator's two reliable message protocols (SOCK_RDM; IP protocols 253,
    /// with partial delivery, and 254, without) in the catalogue, after the TCP/IP entries.
    /// Off by default, so that the default catalogue is a Windows machine's.
    pub fn message_protocols(mut self, on: bool) -> Self {
        self.message_protocols = on;
        self
    }

    /// Builds the simulation, or says what is wrong with the configuration.
    pub fn try_build(self) -> Result<Sim, ConfigError> {
        let specs = if self.hosts.is_empty() {
            vec![HostSpec {
                name: "localhost".into(),
                addrs: Vec::new(),
            }]
        } else {
            self.hosts
        };
        let mut hosts = Vec::new();
        let mut seen: BTreeMap<IpAddr, ()> = BTreeMap::new();
        for spec in &specs {
            if hosts.iter().any(|h: &Host| h.name == spec.name) {
                return Err(ConfigError::DuplicateHost(spec.name.clone()));
            }
            let mut lan = Vec::new();
            for a in &spec.addrs {
                let ifaddr = parse_ifaddr(a)?;
                if ifaddr.ip.is_loopback() || ifaddr.ip.is_multicast() || ifaddr.ip.is_unspecified()
                {
                    return Err(ConfigError::UnusableAddress(ifaddr.ip));
                }
                if seen.insert(ifaddr.ip, ()).is_some() {
                    return Err(ConfigError::DuplicateAddress(ifaddr.ip));
                }
                lan.push(ifaddr);
            }
            hosts.push(Host::new(spec.name.clone(), lan));
        }
        let id = |name: &str| {
            hosts
                .iter()
                .position(|h| h.name == name)
                .map(|i| HostId(i as u32))
                .ok_or_else(|| ConfigError::UnknownHost(name.to_string()))
        };
        let mut paths = BTreeMap::new();
        for (from, to, props) in &self.paths {
            paths.insert((id(from)?, id(to)?), *props);
        }
        let cfg = Config {
            trace: self.trace,
            port_unreachable: self.port_unreachable,
            default_rcvbuf: self.rcvbuf,
            lan_latency: self.lan_latency,
            paths,
            // Wine runs due routines in completion order (its APC queue is FIFO):
            // diff/corpus/overlapped_routines_batch.json.
            choices: self.choices.clone().unwrap_or(match self.personality {
                Personality::Windows => Choices::Seeded,
                Personality::Wine8 => Choices::InOrder,
            }),
            cancelled_error: self.cancelled_error,
            close_status: self.close_status.unwrap_or(match self.personality {
                Personality::Windows => CloseStatus::Cancelled,
                Personality::Wine8 => CloseStatus::HandlesClosed,
            }),
            max_outstanding: self.max_outstanding,
            message_protocols: self.message_protocols,
            personality: self.personality,
        };
        let mut world = World::new(cfg, self.seed, hosts, self.faults);
        world.capture = self.capture.then(Vec::new);
        Ok(Sim {
            shared: Arc::new(Shared {
                world: Mutex::new(world),
                cv: Condvar::new(),
            }),
        })
    }

    /// Builds the simulation.
    ///
    /// # Panics
    /// If the configuration is invalid (see [`SimBuilder::try_build`]).
    pub fn build(self) -> Sim {
        match self.try_build() {
            Ok(sim) => sim,
            Err(e) => panic!("invalid simulation configuration: {e}"),
        }
    }
}

fn parse_ifaddr(s: &str) -> Result<IfAddr, ConfigError> {
    let bad = || ConfigError::BadAddress(s.to_string());
    let (ip, prefix) = match s.split_once('/') {
        Some((ip, p)) => (ip, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        None if ip.is_ipv4() => 24,
        None => 64,
    };
    Ok(IfAddr { ip, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_errors_are_reported() {
        let e = |b: SimBuilder| b.try_build().err();
        assert_eq!(
            e(SimBuilder::new().host("a", &["10.0.0.1/99"])),
            Some(ConfigError::BadAddress("10.0.0.1/99".into()))
        );
        assert!(matches!(
            e(SimBuilder::new().host("a", &["127.0.0.2"])),
            Some(ConfigError::UnusableAddress(_))
        ));
        assert!(matches!(
            e(SimBuilder::new()
                .host("a", &["10.0.0.1"])
                .host("b", &["10.0.0.1"])),
            Some(ConfigError::DuplicateAddress(_))
        ));
        assert!(matches!(
            e(SimBuilder::new().host("a", &[]).host("a", &[])),
            Some(ConfigError::DuplicateHost(_))
        ));
        assert!(matches!(
            e(SimBuilder::new()
                .host("a", &[])
                .path("a", "zz", PathProps::direct(Duration::ZERO))),
            Some(ConfigError::UnknownHost(_))
        ));
    }
}
