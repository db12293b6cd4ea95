//! The virtual network: hosts and addresses, what travels between them, fault rules, and who
//! owns which port.

pub mod capture;
pub mod fault;
pub mod packet;
pub(crate) mod ports;
pub mod topology;

use std::time::Duration;

/// Properties of the path from one host to another.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PathProps {
    /// One-way latency.
    pub latency: Duration,
    /// Routers on the path: a datagram needs a TTL above this to arrive, otherwise it expires
    /// in transit and an ICMP time exceeded comes back.
    pub hops: u8,
}

impl PathProps {
    /// A path with this latency and no routers.
    pub const fn direct(latency: Duration) -> Self {
        PathProps { latency, hops: 0 }
    }
}
