//! Packet capture: every datagram a socket puts on the virtual network, as the sender's
//! interface would see it, kept when [`SimBuilder::capture`](crate::SimBuilder::capture) asks
//! for it, and written as a pcap file that Wireshark and tshark open.
//!
//! ```
//! use winsock_sim::{api::Socket, HostId, Sim};
//!
//! let sim = Sim::builder().capture(true).build();
//! let a = Socket::bind_udp(&sim, HostId::default(), "127.0.0.1:5000".parse().unwrap()).unwrap();
//! a.send_to(b"ping", "127.0.0.1:5001".parse().unwrap()).unwrap();
//! assert_eq!(sim.captured()[0].payload.as_ref(), b"ping");
//! let mut pcap = Vec::new();
//! sim.write_pcap(&mut pcap).unwrap();   // or a std::fs::File
//! ```
//!
//! A datagram is captured once, when it is sent: copies made by a duplication fault or by
//! broadcast fan-out are not repeated, and one a fault loses is still there (it left the
//! sender). ICMP errors the network sends back are not captured.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use etherparse::{IpDscp, IpEcn, IpHeaders, IpNumber, Ipv4Header, Ipv6Header, PacketBuilder};

use super::packet::{DatagramId, Packet, Transport};
use crate::sched::time::Instant;
use crate::sim::Sim;
use crate::stack::World;

/// One datagram as it left its sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// When it was sent (virtual time).
    pub time: Instant,
    /// The datagram's id in the trace (`send ... d3 ...`).
    pub datagram: DatagramId,
    /// Source address and port on the wire.
    pub src: SocketAddr,
    /// Destination address and port (unicast, broadcast or multicast).
    pub dst: SocketAddr,
    /// UDP, a raw IP protocol, or one of the simulator's reliable message protocols.
    pub transport: Transport,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 TOS byte or IPv6 traffic class.
    pub tos: u8,
    /// The payload (above UDP, or above IP for a raw or message protocol).
    pub payload: Bytes,
}

impl World {
    /// Keeps `p` if capturing is on: the one call `World::send` makes. Off, it costs a branch.
    /// `payload` is the sender's (the packet carries none yet: see `stack::send`).
    #[inline]
    pub(crate) fn capture_sent(&mut self, p: &Packet, payload: &[u8]) {
        if let Some(out) = &mut self.capture {
            out.push(Captured {
                time: self.sched.now,
                datagram: p.id,
                src: p.src,
                dst: p.dst,
                transport: p.transport,
                ttl: p.ttl,
                tos: p.tos,
                payload: Bytes::copy_from_slice(payload),
            });
        }
    }
}

// Beside the capture rather than in `sim`: the two methods only read what this module keeps.
impl Sim {
    /// Every datagram sent so far, in order; empty unless the simulation was built with
    /// [`SimBuilder::capture(true)`](crate::SimBuilder::capture).
    pub fn captured(&self) -> Vec<Captured> {
        self.lock().capture.clone().unwrap_or_default()
    }

    /// Writes [`Sim::captured`] as a pcap file (raw IP link type, nanosecond timestamps from
    /// virtual time), with real IPv4 / IPv6 and UDP headers, lengths and checksums.
    pub fn write_pcap(&self, out: impl Write) -> io::Result<()> {
        write_pcap(&self.captured(), out)
    }
}

/// The classic pcap format (the libpcap file header and record headers, little-endian),
/// nanosecond variant.
const PCAP_MAGIC_NANOS: u32 = 0xA1B2_3C4D;
/// LINKTYPE_RAW: each record starts with an IPv4 or IPv6 header.
const LINKTYPE_RAW: u32 = 101;
/// Larger than any IP datagram, so nothing is cut.
const SNAPLEN: u32 = 262_144;

/// Writes `packets` as a pcap file.
pub fn write_pcap(packets: &[Captured], mut out: impl Write) -> io::Result<()> {
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&PCAP_MAGIC_NANOS.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&0i32.to_le_bytes()); // GMT offset
    header.extend_from_slice(&0u32.to_le_bytes()); // timestamp accuracy
    header.extend_from_slice(&SNAPLEN.to_le_bytes());
    header.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
    out.write_all(&header)?;
    for p in packets {
        let frame = ip_datagram(p)?;
        let nanos = p.time.as_nanos();
        let secs = u32::try_from(nanos / 1_000_000_000).unwrap_or(u32::MAX);
        let len = frame.len() as u32;
        let mut record = Vec::with_capacity(16 + frame.len());
        record.extend_from_slice(&secs.to_le_bytes());
        record.extend_from_slice(&((nanos % 1_000_000_000) as u32).to_le_bytes());
        record.extend_from_slice(&len.to_le_bytes()); // bytes in the file
        record.extend_from_slice(&len.to_le_bytes()); // bytes on the wire
        record.extend_from_slice(&frame);
        out.write_all(&record)?;
    }
    out.flush()
}

/// The datagram as bytes on the wire: an IP header, then a UDP header for UDP.
fn ip_datagram(p: &Captured) -> io::Result<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("datagram {}: {e}", p.datagram),
        )
    };
    let ip = match (p.src.ip(), p.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut h = Ipv4Header::new(0, p.ttl, IpNumber::UDP, s.octets(), d.octets())
                .map_err(|e| bad(&e))?;
            h.dscp = IpDscp::try_new(p.tos >> 2).map_err(|e| bad(&e))?;
            h.ecn = IpEcn::try_new(p.tos & 3).map_err(|e| bad(&e))?;
            IpHeaders::Ipv4(h, Default::default())
        }
        // A dual-stack socket's IPv4 peer travels as IPv4; a mixed pair should not occur, but
        // if it does the IPv4 side is written as a mapped IPv6 address.
        (s, d) => IpHeaders::Ipv6(
            Ipv6Header {
                traffic_class: p.tos,
                hop_limit: p.ttl,
                source: v6(s),
                destination: v6(d),
                ..Default::default()
            },
            Default::default(),
        ),
    };
    let builder = PacketBuilder::ip(ip);
    let mut out = Vec::with_capacity(60 + p.payload.len());
    match p.transport {
        Transport::Udp => builder
            .udp(p.src.port(), p.dst.port())
            .write(&mut out, &p.payload),
        Transport::Raw(proto) | Transport::Reliable(proto) => {
            builder.write(&mut out, IpNumber(proto), &p.payload)
        }
        // The simulator never sends on TCP; written as bare IP all the same.
        Transport::Tcp => builder.write(&mut out, IpNumber::TCP, &p.payload),
    }
    .map_err(|e| bad(&e))?;
    Ok(out)
}

fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(src: &str, dst: &str, payload: &'static [u8]) -> Captured {
        Captured {
            time: Instant::from_nanos(1_500_000_123),
            datagram: DatagramId(1),
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            transport: Transport::Udp,
            ttl: 128,
            tos: 0,
            payload: Bytes::from_static(payload),
        }
    }

    #[test]
    fn a_udp_datagram_gets_ip_and_udp_headers_with_checksums() {
        let p = packet("10.0.0.1:5000", "10.0.0.2:53", b"hello");
        let bytes = ip_datagram(&p).unwrap();
        assert_eq!(bytes.len(), 20 + 8 + 5);
        let parsed = etherparse::SlicedPacket::from_ip(&bytes).unwrap();
        let Some(etherparse::NetSlice::Ipv4(ip)) = parsed.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.header().ttl(), 128);
        assert_eq!(
            ip.header().header_checksum(),
            ip.header().to_header().calc_header_checksum()
        );
        let Some(etherparse::TransportSlice::Udp(udp)) = parsed.transport else {
            panic!("not UDP")
        };
        assert_eq!((udp.source_port(), udp.destination_port()), (5000, 53));
        assert_eq!(udp.payload(), b"hello");
        let want = udp
            .to_header()
            .calc_checksum_ipv4(&ip.header().to_header(), b"hello")
            .unwrap();
        assert_eq!(udp.checksum(), want);
    }

    #[test]
    fn the_file_has_a_pcap_header_and_virtual_timestamps() {
        let mut out = Vec::new();
        write_pcap(&[packet("[::1]:1", "[::1]:2", b"x")], &mut out).unwrap();
        assert_eq!(&out[..4], &PCAP_MAGIC_NANOS.to_le_bytes());
        assert_eq!(&out[20..24], &LINKTYPE_RAW.to_le_bytes());
        assert_eq!(&out[24..28], &1u32.to_le_bytes()); // 1.500000123 s
        assert_eq!(&out[28..32], &500_000_123u32.to_le_bytes());
        assert_eq!(&out[32..36], &(40u32 + 8 + 1).to_le_bytes());
        assert_eq!(out.len(), 24 + 16 + 49);
        assert_eq!(out[40] >> 4, 6); // an IPv6 header follows
    }
}
