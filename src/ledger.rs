//! The datagram ledger: every copy of every datagram ends in exactly one place, and every drop
//! carries its reason. `sent + extra copies = delivered + dropped + queued + in flight` holds
//! at every step (checked by [`Ledger::check`]).

use crate::net::packet::DatagramId;
use crate::net::topology::HostId;
use crate::sched::time::Instant;

/// Why a datagram was lost.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// A fault rule (its index) dropped it.
    FaultLoss {
        /// The rule's index, in the order rules were added.
        rule: usize,
    },
    /// A fault rule (its index) dropped it and injected an ICMP error instead.
    FaultIcmp {
        /// The rule's index.
        rule: usize,
    },
    /// Its TTL ran out on the path (the path has more hops than the datagram's TTL).
    TtlExpired,
    /// No socket was bound to the destination port (an ICMP port unreachable may follow).
    NoListener,
    /// No host has the destination address.
    NoSuchHost,
    /// The destination host's network was down.
    NetworkDown,
    /// The receiving socket's queue was full (SO_RCVBUF).
    ReceiveBufferFull,
    /// The only matching socket is connected to another peer.
    FilteredByConnect,
    /// The socket was closed (closesocket, or the last WSACleanup) with the datagram still
    /// queued.
    SocketClosed,
}

impl DropReason {
    /// A short name for traces.
    pub fn name(&self) -> &'static str {
        match self {
            DropReason::FaultLoss { .. } => "fault-loss",
            DropReason::FaultIcmp { .. } => "fault-icmp",
            DropReason::TtlExpired => "ttl-expired",
            DropReason::NoListener => "no-listener",
            DropReason::NoSuchHost => "no-such-host",
            DropReason::NetworkDown => "network-down",
            DropReason::ReceiveBufferFull => "rcvbuf-full",
            DropReason::FilteredByConnect => "filtered-by-connect",
            DropReason::SocketClosed => "socket-closed",
        }
    }
}

/// One dropped datagram.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DropRecord {
    /// When it was dropped.
    pub time: Instant,
    /// Which datagram copy.
    pub datagram: DatagramId,
    /// Where: the host it was on or headed to.
    pub host: HostId,
    /// Why.
    pub reason: DropReason,
}

/// Counts of where datagrams went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Datagrams sent by sockets.
    pub sent: u64,
    /// Extra copies made by duplication faults and by broadcast/multicast fan-out.
    pub copies: u64,
    /// Datagrams consumed by a receive.
    pub delivered: u64,
    /// Datagrams scheduled for delivery and not yet arrived.
    pub in_flight: u64,
    /// Datagrams sitting in socket receive queues.
    pub queued: u64,
    /// Every drop, with its reason, in the order they happened.
    pub drops: Vec<DropRecord>,
}

impl Ledger {
    /// Whether conservation holds: every datagram is delivered, dropped, queued or in flight.
    pub fn check(&self) -> Result<(), String> {
        let created = self.sent + self.copies;
        let accounted = self.delivered + self.drops.len() as u64 + self.queued + self.in_flight;
        if created == accounted {
            Ok(())
        } else {
            Err(format!(
                "datagram conservation broken: sent {} + copies {} != delivered {} + dropped {} + queued {} + in flight {}",
                self.sent,
                self.copies,
                self.delivered,
                self.drops.len(),
                self.queued,
                self.in_flight
            ))
        }
    }

    /// The drops with `reason`.
    pub fn drops_for(&self, reason: DropReason) -> impl Iterator<Item = &DropRecord> {
        self.drops.iter().filter(move |d| d.reason == reason)
    }
}
