//! What one receive call gets from one datagram: the bytes in each buffer, the name, the
//! control messages and the output flags. The same for a synchronous receive and for an
//! overlapped one completed by the datagram.

use std::net::{Ipv4Addr, SocketAddrV4};

use crate::socket::{Api, Call};

const MSG_TRUNC: u32 = 0x100;
const MSG_CTRUNC: u32 = 0x200;

/// The receive options that shape a delivery.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// IP_PKTINFO.
    pub pktinfo: bool,
    /// IP_RECVTTL.
    pub recvttl: bool,
    /// The socket's own address (the destination of what it receives).
    pub local: Option<SocketAddrV4>,
}

/// What a receive call with a given shape writes for one datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The bytes each buffer receives, in order ("filled in order and packed").
    pub written: Vec<Vec<u8>>,
    /// Bytes copied.
    pub taken: usize,
    /// The datagram was larger than the buffers (its rest is lost).
    pub truncated: bool,
    /// The sender and the new name length, when a name buffer was given.
    pub name: Option<(SocketAddrV4, i32)>,
    /// The control bytes and the new Control.len (WSARecvMsg).
    pub control: Option<(Vec<u8>, u32)>,
    /// Control messages were dropped (MSG_CTRUNC).
    pub ctrunc: bool,
    /// WSAMSG.dwFlags (WSARecvMsg) or the output flags of WSARecv / WSARecvFrom.
    pub flags: u32,
}

impl Delivery {
    /// The call fails with WSAEMSGSIZE: the data or the control messages did not fit.
    pub fn overflow(&self) -> bool {
        self.truncated || self.ctrunc
    }
}

/// The delivery of `payload` from `from` (with `ttl` left) into `call`'s buffers.
pub fn deliver(
    call: &Call,
    opts: &Options,
    payload: &[u8],
    from: SocketAddrV4,
    ttl: u8,
) -> Delivery {
    let room: usize = call.buffers.iter().sum();
    let taken = payload.len().min(room);
    let mut written = Vec::new();
    let mut rest = &payload[..taken];
    for &b in &call.buffers {
        let n = b.min(rest.len());
        written.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    let truncated = payload.len() > room;
    let msg = call.api == Api::WsaRecvMsg;
    let (control, ctrunc) = if msg {
        control_for(opts, ttl, call.control_len.unwrap_or(0))
    } else {
        (None, false)
    };
    let mut flags = 0;
    if msg && truncated {
        flags |= MSG_TRUNC;
    }
    if ctrunc {
        flags |= MSG_CTRUNC;
    }
    Delivery {
        written,
        taken,
        truncated,
        name: call.name_len.map(|_| (from, 16)),
        control,
        ctrunc,
        flags,
    }
}

/// The control messages the options ask for, laid out as Windows x64 lays them out, and
/// whether they were cut.
fn control_for(opts: &Options, ttl: u8, room: u32) -> (Option<(Vec<u8>, u32)>, bool) {
    let local = opts.local.map(|a| *a.ip()).unwrap_or(Ipv4Addr::UNSPECIFIED);
    let mut messages: Vec<(i32, Vec<u8>)> = Vec::new();
    if opts.pktinfo {
        // IN_PKTINFO: destination address, then the loopback interface index (1).
        let mut d = local.octets().to_vec();
        d.extend_from_slice(&1u32.to_le_bytes());
        messages.push((19, d));
    }
    if opts.recvttl {
        // IP_RECVTTL delivers type IP_TTL (4) with an INT.
        messages.push((4, i32::from(ttl).to_le_bytes().to_vec()));
    }
    let mut out = Vec::new();
    let mut cut = false;
    for (ty, data) in messages {
        // Header: SIZE_T cmsg_len (unpadded), INT level (IPPROTO_IP), INT type; the data
        // padded to 8 bytes.
        let padded = (data.len() + 7) & !7;
        if out.len() + 16 + padded > room as usize {
            cut = true;
            break;
        }
        out.extend_from_slice(&((16 + data.len()) as u64).to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&data);
        out.resize(out.len() + padded - data.len(), 0);
    }
    let len = out.len() as u32;
    (Some((out, len)), cut)
}
