//! Control messages (WSACMSGHDR) as WSARecvMsg writes them on x64.
//!
//! Layout (winsock-facts §4b): a 16-byte header (cmsg_len: SIZE_T, cmsg_level: INT,
//! cmsg_type: INT), data at offset 16, the next header at the next multiple of 8.
//! What Windows writes, from the assertions of Wine's tests (sock.c) that run on Windows:
//! - `cmsg_len` is WSA_CMSG_LEN(n) = 16 + n, without tail padding (test_ipv4_cmsg:
//!   `sizeof(WSACMSGHDR) + sizeof(INT)` for IP_TTL);
//! - `Control.len` becomes the space used, each message taking 16 + align8(n)
//!   (test_ip_pktinfo: `sizeof(WSACMSGHDR) + WSA_CMSG_ALIGN(sizeof(struct in_pktinfo))`);
//! - a control buffer too small for the messages sets MSG_CTRUNC and the receive fails with
//!   WSAEMSGSIZE although the data was delivered (test_ip_pktinfo).

/// `sizeof(WSACMSGHDR)` on x64.
pub const CMSGHDR_LEN: usize = 16;

/// WSA_CMSG_LEN(n): header plus data, no tail padding.
pub const fn cmsg_len(n: usize) -> usize {
    CMSGHDR_LEN + n
}

/// WSA_CMSG_SPACE(n): header plus data rounded up to 8.
pub const fn cmsg_space(n: usize) -> usize {
    CMSGHDR_LEN + n.div_ceil(8) * 8
}

/// The largest payload any control message here carries (IN6_PKTINFO).
const MAX_DATA: usize = 20;

/// One control message.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ControlMessage {
    /// cmsg_level (IPPROTO_IP, IPPROTO_IPV6, ...).
    pub level: i32,
    /// cmsg_type (IP_PKTINFO, IP_TTL, ...).
    pub ty: i32,
    data: [u8; MAX_DATA],
    len: u8,
}

impl ControlMessage {
    /// A message carrying `data` (at most 20 bytes; longer data is a bug in the caller).
    pub fn new(level: i32, ty: i32, data: &[u8]) -> Self {
        assert!(data.len() <= MAX_DATA, "control message data too long");
        let mut d = [0u8; MAX_DATA];
        d[..data.len()].copy_from_slice(data);
        ControlMessage {
            level,
            ty,
            data: d,
            len: data.len() as u8,
        }
    }

    /// The message's data.
    pub fn data(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }

    /// IN_PKTINFO: the destination address and arrival interface index.
    pub fn in_pktinfo(addr: std::net::Ipv4Addr, ifindex: u32) -> Self {
        let mut d = [0u8; 8];
        d[..4].copy_from_slice(&addr.octets());
        d[4..].copy_from_slice(&ifindex.to_le_bytes());
        ControlMessage::new(IPPROTO_IP, IP_PKTINFO, &d)
    }

    /// IN6_PKTINFO.
    pub fn in6_pktinfo(addr: std::net::Ipv6Addr, ifindex: u32) -> Self {
        let mut d = [0u8; 20];
        d[..16].copy_from_slice(&addr.octets());
        d[16..].copy_from_slice(&ifindex.to_le_bytes());
        ControlMessage::new(IPPROTO_IPV6, IPV6_PKTINFO, &d)
    }

    /// A message carrying one INT.
    pub fn int(level: i32, ty: i32, v: i32) -> Self {
        ControlMessage::new(level, ty, &v.to_le_bytes())
    }
}

/// IPPROTO_IP.
pub const IPPROTO_IP: i32 = 0;
/// IPPROTO_IPV6.
pub const IPPROTO_IPV6: i32 = 41;
/// IP_PKTINFO / IPV6_PKTINFO.
pub const IP_PKTINFO: i32 = 19;
/// IPV6_PKTINFO.
pub const IPV6_PKTINFO: i32 = 19;
/// IP_TOS: the type IP_RECVTOS delivers.
pub const IP_TOS: i32 = 3;
/// IP_TTL: the type IP_RECVTTL delivers.
pub const IP_TTL: i32 = 4;
/// IPV6_HOPLIMIT.
pub const IPV6_HOPLIMIT: i32 = 21;
/// IPV6_TCLASS: the type IPV6_RECVTCLASS delivers.
pub const IPV6_TCLASS: i32 = 39;
/// IP_ECN / IPV6_ECN.
pub const IP_ECN: i32 = 50;

/// How a list of messages lays out in a control buffer of `cap` bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// How many leading messages fit.
    pub fit: usize,
    /// The bytes they use: the value Control.len gets.
    pub len: usize,
    /// Not every message fit (MSG_CTRUNC).
    pub truncated: bool,
}

/// Whole messages are placed while their aligned space fits; the rest are dropped and the
/// buffer is marked truncated. (Windows writes nothing partial that the tests can see: with a
/// single IN_PKTINFO and 1 to 23 bytes, Control.len ends up 0.)
pub fn layout(msgs: &[ControlMessage], cap: usize) -> Layout {
    let mut len = 0usize;
    let mut fit = 0usize;
    for m in msgs {
        let space = cmsg_space(m.data().len());
        match len.checked_add(space) {
            Some(end) if end <= cap => {
                len = end;
                fit += 1;
            }
            _ => break,
        }
    }
    Layout {
        fit,
        len,
        truncated: fit < msgs.len(),
    }
}

/// Writes the messages that fit into `out` (which must be at least `layout(msgs).len` bytes)
/// and returns the layout. Padding bytes are written as zeros.
pub fn encode(msgs: &[ControlMessage], out: &mut [u8]) -> Layout {
    encode_with(msgs, out, true)
}

/// [`encode`], with the padding after each message's data written as zeros or left as it
/// was (Wine 8 leaves it, W12).
pub fn encode_with(msgs: &[ControlMessage], out: &mut [u8], pad: bool) -> Layout {
    let l = layout(msgs, out.len());
    let mut off = 0usize;
    for m in &msgs[..l.fit] {
        let n = m.data().len();
        let space = cmsg_space(n);
        let hdr = &mut out[off..off + space];
        hdr[0..8].copy_from_slice(&(cmsg_len(n) as u64).to_le_bytes());
        hdr[8..12].copy_from_slice(&m.level.to_le_bytes());
        hdr[12..16].copy_from_slice(&m.ty.to_le_bytes());
        hdr[16..16 + n].copy_from_slice(m.data());
        if pad {
            hdr[16 + n..].fill(0);
        }
        off += space;
    }
    l
}

/// A control message read from a caller's buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// cmsg_level.
    pub level: i32,
    /// cmsg_type.
    pub ty: i32,
    /// The data (cmsg_len - 16 bytes).
    pub data: &'a [u8],
}

/// Reads the control messages of a buffer a caller passes to WSASendMsg, walking it as
/// WSA_CMSG_FIRSTHDR / WSA_CMSG_NXTHDR do. A header whose length is smaller than the header
/// or runs past the buffer ends the walk with an error.
pub fn parse(buf: &[u8]) -> Result<Vec<Parsed<'_>>, crate::Errno> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + CMSGHDR_LEN <= buf.len() {
        let len = u64::from_le_bytes(buf[off..off + 8].try_into().expect("8 bytes"));
        let level = i32::from_le_bytes(buf[off + 8..off + 12].try_into().expect("4 bytes"));
        let ty = i32::from_le_bytes(buf[off + 12..off + 16].try_into().expect("4 bytes"));
        let len = usize::try_from(len).map_err(|_| crate::Errno::Inval)?;
        if len < CMSGHDR_LEN || off.checked_add(len).is_none_or(|end| end > buf.len()) {
            return Err(crate::Errno::Inval);
        }
        out.push(Parsed {
            level,
            ty,
            data: &buf[off + CMSGHDR_LEN..off + len],
        });
        off += len.div_ceil(8) * 8;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_match_the_sdk_macros() {
        // winsock-facts §4b, computed by the layout probe.
        assert_eq!((cmsg_len(0), cmsg_space(0)), (16, 16));
        assert_eq!((cmsg_len(1), cmsg_space(1)), (17, 24));
        assert_eq!((cmsg_len(4), cmsg_space(4)), (20, 24));
        assert_eq!((cmsg_len(8), cmsg_space(8)), (24, 24));
        assert_eq!((cmsg_len(20), cmsg_space(20)), (36, 40));
        assert_eq!((cmsg_len(24), cmsg_space(24)), (40, 40));
    }

    #[test]
    fn pktinfo_encodes_as_windows_lays_it_out() {
        let m = ControlMessage::in_pktinfo("127.0.0.1".parse().unwrap(), 1);
        let mut out = [0xCCu8; 24];
        let l = encode(&[m], &mut out);
        assert_eq!(
            l,
            Layout {
                fit: 1,
                len: 24,
                truncated: false
            }
        );
        assert_eq!(&out[0..8], &24u64.to_le_bytes());
        assert_eq!(&out[8..16], &[0, 0, 0, 0, 19, 0, 0, 0]);
        assert_eq!(&out[16..24], &[127, 0, 0, 1, 1, 0, 0, 0]);
    }

    #[test]
    fn short_buffers_truncate_whole_messages() {
        let m = ControlMessage::in_pktinfo("127.0.0.1".parse().unwrap(), 1);
        for cap in [0, 1, 8, 16, 23] {
            assert_eq!(
                layout(&[m], cap),
                Layout {
                    fit: 0,
                    len: 0,
                    truncated: true
                },
                "cap {cap}"
            );
        }
        let t = ControlMessage::int(IPPROTO_IP, IP_TTL, 64);
        assert_eq!(
            layout(&[m, t], 47),
            Layout {
                fit: 1,
                len: 24,
                truncated: true
            }
        );
        assert_eq!(
            layout(&[m, t], 48),
            Layout {
                fit: 2,
                len: 48,
                truncated: false
            }
        );
    }

    #[test]
    fn parse_walks_what_encode_writes() {
        let msgs = [
            ControlMessage::in6_pktinfo("::1".parse().unwrap(), 1),
            ControlMessage::int(IPPROTO_IPV6, IPV6_HOPLIMIT, 64),
        ];
        let mut out = vec![0u8; 64];
        let l = encode(&msgs, &mut out);
        let parsed = parse(&out[..l.len]).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(
            (parsed[0].level, parsed[0].ty, parsed[0].data),
            (41, 19, msgs[0].data())
        );
        assert_eq!(parsed[1].data, &64i32.to_le_bytes());
        assert_eq!(parse(&[0u8; 16]), Err(crate::Errno::Inval));
    }
}
