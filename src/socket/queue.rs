//! A socket's receive queue: datagrams and ICMP error indications, in arrival order.
//!
//! The payloads of the queued datagrams live back to back in one byte ring per queue, in
//! queue order, and each entry keeps only what the receive contract reads (addresses, TTL,
//! TOS, interface). A datagram therefore costs its payload plus one small entry, and
//! queueing or taking one allocates nothing once the ring has grown to the socket's
//! working size.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use crate::net::packet::{Cast, DatagramId, IcmpKind};

/// A datagram that has arrived at a socket (its payload is kept by the queue, or handed
/// along beside it).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Arrived {
    pub id: DatagramId,
    /// The payload's length in bytes.
    pub len: u32,
    /// The interface it arrived on.
    pub ifindex: u32,
    /// The sender's address as on the wire. Senders' addresses carry no flow label or scope
    /// (they come from `SocketAddr::new`), so an address and a port say all of it.
    pub src_ip: IpAddr,
    /// The destination address as on the wire (unicast, broadcast or multicast).
    pub dst: IpAddr,
    pub src_port: u16,
    /// TTL / hop limit left on arrival.
    pub ttl: u8,
    pub tos: u8,
    pub cast: Cast,
}

impl Arrived {
    /// The sender, as on the wire.
    pub fn src(&self) -> SocketAddr {
        SocketAddr::new(self.src_ip, self.src_port)
    }

    pub fn payload_len(&self) -> usize {
        self.len as usize
    }
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

/// The queue. Its byte count (SO_RCVBUF, FIONREAD) is the length of the payload ring.
#[derive(Debug, Default)]
pub(crate) struct RecvQueue {
    entries: VecDeque<Entry>,
    /// The payloads of the queued datagrams, in queue order.
    data: ByteRing,
}

/// A ring of bytes: appended at the tail, consumed at the head, grown by doubling.
#[derive(Debug, Default)]
struct ByteRing {
    /// A power of two in length (or empty).
    buf: Vec<u8>,
    head: usize,
    len: usize,
}

impl ByteRing {
    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            // An empty datagram takes no room (and the ring may have none yet).
            return;
        }
        let need = self.len + bytes.len();
        if need > self.buf.len() {
            self.grow(need);
        }
        let mask = self.buf.len() - 1;
        let tail = (self.head + self.len) & mask;
        let first = bytes.len().min(self.buf.len() - tail);
        self.buf[tail..tail + first].copy_from_slice(&bytes[..first]);
        self.buf[..bytes.len() - first].copy_from_slice(&bytes[first..]);
        self.len = need;
    }

    #[cold]
    fn grow(&mut self, need: usize) {
        let mut bigger = vec![0; need.next_power_of_two().max(64)];
        let (a, b) = self.front(self.len);
        bigger[..a.len()].copy_from_slice(a);
        bigger[a.len()..self.len].copy_from_slice(b);
        self.buf = bigger;
        self.head = 0;
    }

    /// The first `n` bytes (`n <= len`), as at most two slices.
    #[inline]
    fn front(&self, n: usize) -> (&[u8], &[u8]) {
        if n == 0 {
            return (&[], &[]);
        }
        let first = n.min(self.buf.len() - self.head);
        (
            &self.buf[self.head..self.head + first],
            &self.buf[..n - first],
        )
    }

    #[inline]
    fn drop_front(&mut self, n: usize) {
        debug_assert!(n <= self.len);
        self.len -= n;
        // An empty ring starts again at the beginning, so that most payloads stay in one piece.
        self.head = if self.len == 0 {
            0
        } else {
            (self.head + n) & (self.buf.len() - 1)
        };
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

impl RecvQueue {
    /// Queues a datagram whose payload is `payload` (`d.len` bytes).
    #[inline]
    pub fn push_datagram(&mut self, d: Arrived, payload: &[u8]) {
        debug_assert_eq!(d.payload_len(), payload.len());
        self.data.push(payload);
        self.entries.push_back(Entry::Datagram(d));
    }

    /// Queues an ICMP error indication or a disconnection.
    pub fn push_indication(&mut self, e: Entry) {
        debug_assert!(!matches!(e, Entry::Datagram(_)));
        self.entries.push_back(e);
    }

    pub fn front(&self) -> Option<&Entry> {
        self.entries.front()
    }

    /// The first `n` bytes of the head datagram's payload, as at most two slices (the ring
    /// may wrap). `n` is at most the head datagram's length.
    pub fn front_payload(&self, n: usize) -> (&[u8], &[u8]) {
        self.data.front(n)
    }

    /// Removes the head entry (and a datagram's payload).
    #[inline]
    pub fn pop(&mut self) -> Option<Entry> {
        let e = self.entries.pop_front()?;
        if let Entry::Datagram(d) = &e {
            self.data.drop_front(d.payload_len());
        }
        Some(e)
    }

    /// Takes the first `n` bytes of the datagram at the head, leaving the rest of it there
    /// (a message delivered in parts).
    pub fn consume_front(&mut self, n: usize) {
        if let Some(Entry::Datagram(d)) = self.entries.front_mut() {
            let n = n.min(d.payload_len());
            d.len -= n as u32;
            self.data.drop_front(n);
        }
    }

    /// Nothing queued (no datagram, error or disconnection).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Payload bytes queued (FIONREAD on Windows reports this total; see the contract table).
    pub fn bytes(&self) -> usize {
        self.data.len()
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
        self.data.clear();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn arrived(id: u64, len: usize) -> Arrived {
        Arrived {
            id: DatagramId(id),
            len: len as u32,
            ifindex: 1,
            src_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            dst: IpAddr::V4(Ipv4Addr::LOCALHOST),
            src_port: 9,
            ttl: 128,
            tos: 0,
            cast: Cast::Unicast,
        }
    }

    #[test]
    fn payloads_follow_their_entries_through_wraps_and_parts() {
        let mut q = RecvQueue::default();
        // Fill and empty repeatedly so that the ring wraps around its end.
        for round in 0..50u8 {
            let a = vec![round; 7 + round as usize % 5];
            let b = vec![round.wrapping_add(100); 3];
            q.push_datagram(arrived(3, 0), &[]);
            assert_eq!(q.front_payload(0), (&[][..], &[][..]));
            assert!(q.pop().is_some());
            q.push_datagram(arrived(1, a.len()), &a);
            q.push_indication(Entry::Disconnect);
            q.push_datagram(arrived(2, b.len()), &b);
            assert_eq!(q.bytes(), a.len() + b.len());
            let (x, y) = q.front_payload(a.len());
            assert_eq!([x, y].concat(), a);
            q.consume_front(2);
            let (x, y) = q.front_payload(a.len() - 2);
            assert_eq!([x, y].concat(), &a[2..]);
            assert!(matches!(q.pop(), Some(Entry::Datagram(d)) if d.payload_len() == a.len() - 2));
            assert!(matches!(q.pop(), Some(Entry::Disconnect)));
            let (x, y) = q.front_payload(3);
            assert_eq!([x, y].concat(), b);
            assert!(q.pop().is_some());
            assert!(q.is_empty());
            assert_eq!(q.bytes(), 0);
        }
    }

    #[test]
    fn an_entry_is_small() {
        // BENCHMARKS.md: memory per queued datagram beyond its payload.
        assert!(
            std::mem::size_of::<Entry>() <= 56,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }
}
