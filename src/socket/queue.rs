//! A socket's receive queue: datagrams and ICMP error indications, in arrival order.

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::Bytes;

use crate::net::packet::{Cast, DatagramId, IcmpKind};

/// A datagram that has arrived at a socket.
#[derive(Clone, Debug)]
pub(crate) struct Arrived {
    pub id: DatagramId,
    pub payload: Bytes,
    /// The sender, as on the wire.
    pub src: SocketAddr,
    /// The destination, as on the wire (unicast, broadcast or multicast address).
    pub dst: SocketAddr,
    /// The interface it arrived on.
    pub ifindex: u32,
    /// TTL / hop limit left on arrival.
    pub ttl: u8,
    pub tos: u8,
    pub cast: Cast,
}

/// One entry of the queue.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    Datagram(Arrived),
    /// An ICMP error for an earlier send: the next receive reports it (WSAECONNRESET or
    /// WSAENETRESET) and consumes it.
    Error {
        kind: IcmpKind,
        about: DatagramId,
    },
    /// The peer of a reliable message circuit closed it gracefully: receives fail with
    /// WSAEDISCON from here on.
    Disconnect,
}

/// The queue, with its byte count for SO_RCVBUF and FIONREAD.
#[derive(Debug, Default)]
pub(crate) struct RecvQueue {
    entries: VecDeque<Entry>,
    bytes: usize,
}

impl RecvQueue {
    pub fn push(&mut self, e: Entry) {
        if let Entry::Datagram(d) = &e {
            self.bytes += d.payload.len();
        }
        self.entries.push_back(e);
    }

    pub fn front(&self) -> Option<&Entry> {
        self.entries.front()
    }

    pub fn pop(&mut self) -> Option<Entry> {
        let e = self.entries.pop_front()?;
        if let Entry::Datagram(d) = &e {
            self.bytes -= d.payload.len();
        }
        Some(e)
    }

    /// Takes the first `n` bytes of the datagram at the head, leaving the rest of it there
    /// (a message delivered in parts).
    pub fn consume_front(&mut self, n: usize) {
        if let Some(Entry::Datagram(d)) = self.entries.front_mut() {
            let n = n.min(d.payload.len());
            d.payload = d.payload.slice(n..);
            self.bytes -= n;
        }
    }

    /// Nothing queued (no datagram, error or disconnection).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Payload bytes queued (FIONREAD on Windows reports this total; see the contract table).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Removes every entry, returning the datagrams' ids (for the ledger).
    pub fn drain_datagrams(&mut self) -> Vec<DatagramId> {
        let ids = self
            .entries
            .drain(..)
            .filter_map(|e| match e {
                Entry::Datagram(d) => Some(d.id),
                Entry::Error { .. } | Entry::Disconnect => None,
            })
            .collect();
        self.bytes = 0;
        ids
    }
}
