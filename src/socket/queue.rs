//! A socket's receive queue: datagrams and ICMP error indications, in arrival order.
//!
//! The queue is one ring of bytes holding records back to back: a small header (what the
//! receive contract reads of a datagram: addresses, TTL, TOS, interface; IPv4 addresses
//! take 4 bytes, not 16) followed by the payload. One allocation per queue, sized to the
//! bytes queued and grown by a quarter, keeps a shallow queue as cheap per datagram as a
//! deep one (BENCHMARKS.md: memory per queued datagram), and a header sits next to its
//! payload in memory. Queueing or taking a datagram allocates nothing once the ring has
//! grown to the socket's working size.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

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

/// One entry of the queue, as read from its head.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
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

/// A datagram's header as queued, encoded once: the datagrams of one cached route share all
/// of it but their id and length.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    bytes: [u8; LONGEST],
    len: u8,
}

impl Header {
    pub fn of(d: &Arrived) -> Header {
        let mut bytes = [0; LONGEST];
        let len = encode(d, &mut bytes) as u8;
        Header { bytes, len }
    }
}

/// What the plain receive reads of the datagram at the head of a queue.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Head {
    pub id: DatagramId,
    /// The sender, as on the wire.
    pub src: SocketAddr,
    /// What is left of its payload.
    pub len: usize,
    /// Its whole payload, and its header's length (where the record ends).
    whole: u32,
    hlen: u8,
}

/// The queue. Its byte count (SO_RCVBUF, FIONREAD) is the payload bytes it holds.
#[derive(Debug, Default)]
pub(crate) struct RecvQueue {
    ring: Ring,
    /// Payload bytes queued (headers excluded).
    payload: usize,
    /// Bytes already taken from the head datagram's payload (a message delivered in parts).
    head_taken: u32,
}

// A record starts with a tag byte: its kind, and for a datagram the families of its two
// addresses and how it was cast; for an error, which error.
const KIND_MASK: u8 = 0b11;
const DATAGRAM: u8 = 0;
const ERROR: u8 = 1;
const DISCONNECT: u8 = 2;
const SRC_V6: u8 = 1 << 2;
const DST_V6: u8 = 1 << 3;
const CAST_SHIFT: u32 = 4;
const TTL_EXPIRED: u8 = 1 << 6;

/// A datagram's header: tag, ttl, tos, source port (2), length (4), interface (4), id (8),
/// then the source and destination addresses (4 or 16 bytes each).
const FIXED: usize = 21;
const LONGEST: usize = FIXED + 32;
/// Where a datagram header keeps its length.
const LEN_AT: usize = 5;
const ERROR_LEN: usize = 9;

/// A record's header length, by its tag (a table: the receive path asks for every record).
#[inline(always)]
fn header_len(tag: u8) -> usize {
    HEADER_LEN[tag as usize] as usize
}

const HEADER_LEN: [u8; 256] = {
    let mut t = [0; 256];
    let mut tag = 0;
    while tag < 256 {
        let b = tag as u8;
        t[tag] = match b & KIND_MASK {
            DATAGRAM => {
                let src = if b & SRC_V6 != 0 { 16 } else { 4 };
                let dst = if b & DST_V6 != 0 { 16 } else { 4 };
                (FIXED + src + dst) as u8
            }
            ERROR => ERROR_LEN as u8,
            _ => 1,
        };
        tag += 1;
    }
    t
};

fn put_ip(out: &mut [u8], at: usize, ip: IpAddr) -> usize {
    match ip {
        IpAddr::V4(a) => {
            out[at..at + 4].copy_from_slice(&a.octets());
            at + 4
        }
        IpAddr::V6(a) => {
            out[at..at + 16].copy_from_slice(&a.octets());
            at + 16
        }
    }
}

fn get_ip(h: &[u8], at: usize, v6: bool) -> (IpAddr, usize) {
    if v6 {
        let o: [u8; 16] = h[at..at + 16].try_into().expect("16 bytes");
        (IpAddr::V6(Ipv6Addr::from(o)), at + 16)
    } else {
        let o: [u8; 4] = h[at..at + 4].try_into().expect("4 bytes");
        (IpAddr::V4(Ipv4Addr::from(o)), at + 4)
    }
}

#[inline(always)]
fn u32_at(h: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(h[at..at + 4].try_into().expect("4 bytes"))
}

/// Encodes a datagram's header into `out`; returns its length.
fn encode(d: &Arrived, out: &mut [u8; LONGEST]) -> usize {
    let cast = match d.cast {
        Cast::Unicast => 0u8,
        Cast::Broadcast => 1,
        Cast::Multicast => 2,
    };
    let mut tag = DATAGRAM | cast << CAST_SHIFT;
    if d.src_ip.is_ipv6() {
        tag |= SRC_V6;
    }
    if d.dst.is_ipv6() {
        tag |= DST_V6;
    }
    out[0] = tag;
    out[1] = d.ttl;
    out[2] = d.tos;
    out[3..5].copy_from_slice(&d.src_port.to_le_bytes());
    out[LEN_AT..9].copy_from_slice(&d.len.to_le_bytes());
    out[9..13].copy_from_slice(&d.ifindex.to_le_bytes());
    out[13..FIXED].copy_from_slice(&d.id.0.to_le_bytes());
    let at = put_ip(out, FIXED, d.src_ip);
    put_ip(out, at, d.dst)
}

/// A datagram header's id.
#[inline(always)]
fn id_of(h: &[u8]) -> DatagramId {
    DatagramId(u64::from_le_bytes(
        h[13..FIXED].try_into().expect("8 bytes"),
    ))
}

/// A datagram header's source port.
#[inline(always)]
fn src_port(h: &[u8]) -> u16 {
    u16::from_le_bytes([h[3], h[4]])
}

/// A datagram header's source address and where the destination address starts.
fn src_of(h: &[u8]) -> (SocketAddr, usize) {
    let (ip, at) = get_ip(h, FIXED, h[0] & SRC_V6 != 0);
    (SocketAddr::new(ip, src_port(h)), at)
}

/// `src_of` for the plain receive, with an IPv6 source out of line. Inline, the IPv6 case's
/// 16-byte read was done for every datagram (the header array makes it safe to), and for an
/// IPv4 source it spans the end of the header and the start of the payload, whose stores
/// were still under way: a profile put a sixth of the safe API pair on that one load.
#[inline(always)]
fn head_src(h: &[u8]) -> SocketAddr {
    if h[0] & SRC_V6 != 0 {
        return src_of_v6(h);
    }
    // As one number: built from its four bytes, the address was stored a byte at a time
    // and read back whole.
    let o: [u8; 4] = h[FIXED..FIXED + 4].try_into().expect("4 bytes");
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::from_bits(u32::from_be_bytes(o))),
        src_port(h),
    )
}

#[cold]
#[inline(never)]
fn src_of_v6(h: &[u8]) -> SocketAddr {
    src_of(h).0
}

/// Decodes the header `h` (as long as `header_len` of its tag says).
fn decode(h: &[u8]) -> Entry {
    let tag = h[0];
    match tag & KIND_MASK {
        DATAGRAM => {
            let cast = match (tag >> CAST_SHIFT) & 0b11 {
                0 => Cast::Unicast,
                1 => Cast::Broadcast,
                _ => Cast::Multicast,
            };
            let (src, at) = src_of(h);
            let (dst, _) = get_ip(h, at, tag & DST_V6 != 0);
            Entry::Datagram(Arrived {
                id: id_of(h),
                len: u32_at(h, LEN_AT),
                ifindex: u32_at(h, 9),
                src_ip: src.ip(),
                dst,
                src_port: src.port(),
                ttl: h[1],
                tos: h[2],
                cast,
            })
        }
        ERROR => Entry::Error {
            kind: if tag & TTL_EXPIRED != 0 {
                IcmpKind::TtlExpired
            } else {
                IcmpKind::PortUnreachable
            },
            about: DatagramId(u64::from_le_bytes(h[1..9].try_into().expect("8 bytes"))),
        },
        _ => Entry::Disconnect,
    }
}

/// A ring of bytes: appended at the tail, consumed at the head, grown by a quarter (so that
/// its slack stays a small part of what it holds).
#[derive(Debug, Default)]
struct Ring {
    buf: Box<[u8]>,
    head: usize,
    len: usize,
}

impl Ring {
    /// Where byte `off` of the contents lies in `buf` (`off <= len`).
    #[inline]
    fn at(&self, off: usize) -> usize {
        let i = self.head + off;
        if i >= self.buf.len() {
            i - self.buf.len()
        } else {
            i
        }
    }

    /// `n` bytes of the contents from `off`, as at most two slices.
    #[inline(always)]
    fn slices(&self, off: usize, n: usize) -> (&[u8], &[u8]) {
        if n == 0 {
            return (&[], &[]);
        }
        let start = self.at(off);
        let first = n.min(self.buf.len() - start);
        (&self.buf[start..start + first], &self.buf[..n - first])
    }

    /// Copies `out.len()` bytes of the contents from `off` into `out`.
    fn read(&self, off: usize, out: &mut [u8]) {
        let (a, b) = self.slices(off, out.len());
        out[..a.len()].copy_from_slice(a);
        out[a.len()..].copy_from_slice(b);
    }

    /// The byte at `off`.
    #[inline]
    fn byte(&self, off: usize) -> u8 {
        self.buf[self.at(off)]
    }

    /// `N` bytes from `off`: in place when they are in one piece (usually; a fixed-size
    /// borrow or copy costs a few moves where a general one calls `memcpy`), else copied
    /// into `scratch`.
    #[inline(always)]
    fn view<'a, const N: usize>(&'a self, off: usize, scratch: &'a mut [u8; N]) -> &'a [u8; N] {
        let start = self.at(off);
        match self.buf.get(start..start + N) {
            Some(s) => s.try_into().expect("N bytes"),
            None => {
                self.read(off, scratch);
                scratch
            }
        }
    }

    /// Makes room for `extra` more bytes.
    #[inline]
    fn reserve(&mut self, extra: usize) {
        if self.len + extra > self.buf.len() {
            self.grow(self.len + extra);
        }
    }

    #[cold]
    fn grow(&mut self, need: usize) {
        let cap = need.max(self.buf.len() + self.buf.len() / 4).max(128);
        let mut bigger = vec![0; cap].into_boxed_slice();
        self.read(0, &mut bigger[..self.len]);
        self.buf = bigger;
        self.head = 0;
    }

    /// Appends `bytes` (room for them has been reserved).
    #[inline]
    fn push(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let tail = self.at(self.len);
        let first = bytes.len().min(self.buf.len() - tail);
        self.buf[tail..tail + first].copy_from_slice(&bytes[..first]);
        self.buf[..bytes.len() - first].copy_from_slice(&bytes[first..]);
        self.len += bytes.len();
    }

    #[inline]
    fn drop_front(&mut self, n: usize) {
        debug_assert!(n <= self.len);
        self.len -= n;
        // An empty ring starts again at the beginning, so that most records stay in one piece.
        self.head = if self.len == 0 { 0 } else { self.at(n) };
    }

    fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

impl RecvQueue {
    /// Queues a datagram whose payload is `payload` (`d.len` bytes).
    pub fn push_datagram(&mut self, d: Arrived, payload: &[u8]) {
        debug_assert_eq!(d.payload_len(), payload.len());
        self.push_with(&Header::of(&d), d.id, payload);
    }

    /// Queues datagram `id`, whose header is `h` but for its id and length.
    #[inline]
    pub fn push_with(&mut self, h: &Header, id: DatagramId, payload: &[u8]) {
        let n = h.len as usize;
        let whole = n + payload.len();
        self.ring.reserve(whole);
        let len = (payload.len() as u32).to_le_bytes();
        let id = id.0.to_le_bytes();
        self.payload += payload.len();
        let tail = self.ring.at(self.ring.len);
        // Usually the record goes in one piece: copy the header whole and set its two
        // fields there (see `Ring::view` for why whole), then the payload after it.
        let span = whole.max(LONGEST);
        if tail + span <= self.ring.buf.len() && span <= self.ring.buf.len() - self.ring.len {
            let room = &mut self.ring.buf[tail..];
            room[..LONGEST].copy_from_slice(&h.bytes);
            room[LEN_AT..9].copy_from_slice(&len);
            room[13..FIXED].copy_from_slice(&id);
            room[n..whole].copy_from_slice(payload);
            self.ring.len += whole;
            return;
        }
        let mut bytes = h.bytes;
        bytes[LEN_AT..9].copy_from_slice(&len);
        bytes[13..FIXED].copy_from_slice(&id);
        self.ring.push(&bytes[..n]);
        self.ring.push(payload);
    }

    /// Queues an ICMP error indication or a disconnection.
    pub fn push_indication(&mut self, e: Entry) {
        let mut h = [0; ERROR_LEN];
        let n = match e {
            Entry::Error { kind, about } => {
                h[0] = ERROR
                    | match kind {
                        IcmpKind::PortUnreachable => 0,
                        IcmpKind::TtlExpired => TTL_EXPIRED,
                    };
                h[1..].copy_from_slice(&about.0.to_le_bytes());
                ERROR_LEN
            }
            Entry::Disconnect => {
                h[0] = DISCONNECT;
                1
            }
            Entry::Datagram(_) => unreachable!("datagrams are queued with their payload"),
        };
        self.ring.reserve(n);
        self.ring.push(&h[..n]);
    }

    /// The entry at the head (a datagram's length is what is left of it).
    pub fn front(&self) -> Option<Entry> {
        if self.ring.len == 0 {
            return None;
        }
        let mut scratch = [0; LONGEST];
        let h = self.ring.view(0, &mut scratch);
        let mut e = decode(&h[..header_len(h[0])]);
        if let Entry::Datagram(d) = &mut e {
            d.len -= self.head_taken;
        }
        Some(e)
    }

    /// The head, if it is a datagram: what a plain receive reads of it, without decoding
    /// the rest of its header.
    ///
    /// Always inline: called, it returned the `Head` through memory, written field by field
    /// and read back in wider pieces, and each such load waits for the stores to retire.
    #[inline(always)]
    pub fn front_datagram(&self) -> Option<Head> {
        if self.ring.len == 0 {
            return None;
        }
        let mut scratch = [0; FIXED + 16];
        let h = self.ring.view(0, &mut scratch);
        let tag = h[0];
        if tag & KIND_MASK != DATAGRAM {
            return None;
        }
        let whole = u32_at(h, LEN_AT);
        Some(Head {
            id: id_of(h),
            src: head_src(h),
            len: (whole - self.head_taken) as usize,
            whole,
            hlen: header_len(tag) as u8,
        })
    }

    /// The first `n` bytes of the payload of `head` (which is at the head), as at most two
    /// slices. `n` is at most its length.
    #[inline]
    pub fn head_payload(&self, head: &Head, n: usize) -> (&[u8], &[u8]) {
        self.ring
            .slices(head.hlen as usize + self.head_taken as usize, n)
    }

    /// Removes the datagram `head` (which is at the head).
    #[inline]
    pub fn pop_head(&mut self, head: &Head) {
        self.payload -= head.len;
        self.head_taken = 0;
        self.ring
            .drop_front(head.hlen as usize + head.whole as usize);
    }

    /// The first `n` bytes of the head datagram's payload, as at most two slices (the ring
    /// may wrap). `n` is at most the head datagram's length.
    pub fn front_payload(&self, n: usize) -> (&[u8], &[u8]) {
        if n == 0 {
            return (&[], &[]);
        }
        let hlen = header_len(self.ring.byte(0));
        self.ring.slices(hlen + self.head_taken as usize, n)
    }

    /// Removes the head entry (and a datagram's payload).
    pub fn pop(&mut self) {
        match self.front_datagram() {
            Some(head) => self.pop_head(&head),
            None if self.ring.len > 0 => self.ring.drop_front(header_len(self.ring.byte(0))),
            None => {}
        }
    }

    /// Takes the first `n` bytes of the datagram at the head, leaving the rest of it there
    /// (a message delivered in parts).
    pub fn consume_front(&mut self, n: usize) {
        if let Some(Entry::Datagram(d)) = self.front() {
            let n = n.min(d.payload_len());
            self.head_taken += n as u32;
            self.payload -= n;
        }
    }

    /// Nothing queued (no datagram, error or disconnection).
    pub fn is_empty(&self) -> bool {
        self.ring.len == 0
    }

    /// Payload bytes queued (FIONREAD on Windows reports this total; see the contract table).
    pub fn bytes(&self) -> usize {
        self.payload
    }

    /// Removes every entry, returning the datagrams' ids (for the ledger).
    pub fn drain_datagrams(&mut self) -> Vec<DatagramId> {
        let mut ids = Vec::new();
        while let Some(e) = self.front() {
            if let Entry::Datagram(d) = e {
                ids.push(d.id);
            }
            self.pop();
        }
        self.ring.clear();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

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
            q.pop();
            q.push_datagram(arrived(1, a.len()), &a);
            q.push_indication(Entry::Disconnect);
            q.push_datagram(arrived(2, b.len()), &b);
            assert_eq!(q.bytes(), a.len() + b.len());
            let (x, y) = q.front_payload(a.len());
            assert_eq!([x, y].concat(), a);
            q.consume_front(2);
            let (x, y) = q.front_payload(a.len() - 2);
            assert_eq!([x, y].concat(), &a[2..]);
            assert!(
                matches!(q.front(), Some(Entry::Datagram(d)) if d.payload_len() == a.len() - 2)
            );
            q.pop();
            assert_eq!(q.front(), Some(Entry::Disconnect));
            q.pop();
            let (x, y) = q.front_payload(3);
            assert_eq!([x, y].concat(), b);
            q.pop();
            assert!(q.is_empty());
            assert_eq!(q.bytes(), 0);
        }
    }

    #[test]
    fn an_ipv4_header_is_small() {
        // BENCHMARKS.md: memory per queued datagram beyond its payload.
        let mut h = [0; LONGEST];
        assert_eq!(encode(&arrived(1, 64), &mut h), 29);
    }

    fn ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|o| IpAddr::V4(o.into())),
            any::<[u8; 16]>().prop_map(|o| IpAddr::V6(o.into())),
        ]
    }

    fn datagram() -> impl Strategy<Value = (Arrived, Vec<u8>)> {
        let cast = prop_oneof![
            Just(Cast::Unicast),
            Just(Cast::Broadcast),
            Just(Cast::Multicast)
        ];
        (
            (any::<u64>(), any::<u32>(), ip(), ip(), any::<u16>()),
            (any::<u8>(), any::<u8>(), cast),
            prop::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(
                |((id, ifindex, src_ip, dst, src_port), (ttl, tos, cast), payload)| {
                    let d = Arrived {
                        id: DatagramId(id),
                        len: payload.len() as u32,
                        ifindex,
                        src_ip,
                        dst,
                        src_port,
                        ttl,
                        tos,
                        cast,
                    };
                    (d, payload)
                },
            )
    }

    #[derive(Clone, Debug)]
    enum Op {
        Push(Arrived, Vec<u8>),
        Indicate(Entry),
        Pop,
        /// The plain receive's way: `front_datagram`, then `pop_head`.
        PopHead,
        Consume(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let kind = prop_oneof![Just(IcmpKind::PortUnreachable), Just(IcmpKind::TtlExpired)];
        prop_oneof![
            4 => datagram().prop_map(|(d, p)| Op::Push(d, p)),
            1 => (kind, any::<u64>())
                .prop_map(|(kind, about)| Op::Indicate(Entry::Error { kind, about: DatagramId(about) })),
            1 => Just(Op::Indicate(Entry::Disconnect)),
            2 => Just(Op::Pop),
            2 => Just(Op::PopHead),
            1 => (0usize..400).prop_map(Op::Consume),
        ]
    }

    proptest! {
        /// The ring of records against a queue of decoded entries and owned payloads:
        /// the same head, the same bytes, the same counts, through wraps, growth and parts.
        #[test]
        fn the_ring_is_a_queue_of_entries(ops in prop::collection::vec(op(), 0..200)) {
            let mut q = RecvQueue::default();
            let mut model: VecDeque<(Entry, Vec<u8>)> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(d, p) => {
                        q.push_datagram(d, &p);
                        model.push_back((Entry::Datagram(d), p));
                    }
                    Op::Indicate(e) => {
                        q.push_indication(e);
                        model.push_back((e, Vec::new()));
                    }
                    Op::Pop => {
                        q.pop();
                        model.pop_front();
                    }
                    Op::PopHead => {
                        if let Some(head) = q.front_datagram() {
                            q.pop_head(&head);
                            model.pop_front();
                        }
                    }
                    Op::Consume(n) => {
                        q.consume_front(n);
                        if let Some((Entry::Datagram(d), p)) = model.front_mut() {
                            let n = n.min(p.len());
                            p.drain(..n);
                            d.len = p.len() as u32;
                        }
                    }
                }
                prop_assert_eq!(q.front(), model.front().map(|(e, _)| *e));
                prop_assert_eq!(q.is_empty(), model.is_empty());
                prop_assert_eq!(q.bytes(), model.iter().map(|(_, p)| p.len()).sum::<usize>());
                let head = q.front_datagram();
                prop_assert_eq!(head.is_some(), matches!(model.front(), Some((Entry::Datagram(_), _))));
                if let (Some(head), Some((Entry::Datagram(d), p))) = (head, model.front()) {
                    prop_assert_eq!((head.id, head.src, head.len), (d.id, d.src(), p.len()));
                    for n in [0, p.len() / 2, p.len()] {
                        let (a, b) = q.front_payload(n);
                        prop_assert_eq!([a, b].concat(), &p[..n]);
                        let (a, b) = q.head_payload(&head, n);
                        prop_assert_eq!([a, b].concat(), &p[..n]);
                    }
                }
            }
            let ids: Vec<_> = model
                .iter()
                .filter_map(|(e, _)| match e {
                    Entry::Datagram(d) => Some(d.id),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(q.drain_datagrams(), ids);
            prop_assert!(q.is_empty());
            prop_assert_eq!(q.bytes(), 0);
        }
    }
}
