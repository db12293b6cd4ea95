//! The plain receive: recv / recvfrom on a UDP socket with no flags, a datagram queued, and
//! nobody else's receive to consider. It is the full contract of `recv.rs` specialised to
//! that case, under one socket lookup and without building the general result; anything
//! outside the case (errors included) goes the full way, which stays the reference. The
//! model campaign and the contract tests drive both.

use std::net::SocketAddr;

use super::names::as_seen_by;
use super::recv::Out;
use super::World;
use crate::error::Errno;
use crate::socket::{Entry, SockKind};
use crate::trace::Event;

/// What a plain receive got.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Plain {
    pub copied: usize,
    pub from: SocketAddr,
    /// WSAEMSGSIZE: the datagram was larger than the buffer (its tail is discarded).
    pub error: Option<Errno>,
}

impl World {
    /// Takes the head datagram of `handle` into `out` (at most `cap` bytes) if this is a
    /// plain receive; `None` leaves the receive to the full path, with nothing changed.
    pub(crate) fn recv_plain(
        &mut self,
        handle: usize,
        call: &'static str,
        cap: usize,
        out: Out<'_>,
    ) -> Option<Plain> {
        let key = self.key_of(handle).ok()?;
        let net_down = {
            let sock = &self.sockets[key.slot];
            self.host(sock.host).net_down
        };
        let sock = &mut self.sockets[key.slot];
        if sock.kind != SockKind::Udp
            || sock.wine8()
            || sock.local.is_none()
            || sock.shut_rd
            || sock.discon
            || net_down
        {
            return None;
        }
        let Some(Entry::Datagram(d)) = sock.queue.front() else {
            return None;
        };
        let (id, len) = (d.id, d.payload_len());
        let from = as_seen_by(sock.family, d.src());
        let copied = len.min(cap);
        let (a, b) = sock.queue.front_payload(copied);
        out(a);
        if !b.is_empty() {
            out(b);
        }
        sock.queue.pop();
        self.ledger.queued -= 1;
        self.ledger.delivered += 1;
        let error = (copied < len).then_some(Errno::MsgSize);
        self.record(|| Event::Recv {
            handle,
            call,
            datagram: Some(id),
            bytes: copied,
            flags: 0,
            error,
        });
        Some(Plain {
            copied,
            from,
            error,
        })
    }
}
