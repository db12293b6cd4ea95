//! The plain receive: recv / recvfrom on a UDP socket with no flags, a datagram queued, and
//! nobody else's receive to consider. It is the full contract of `recv.rs` specialised to
//! that case, under one socket lookup and without building the general result; anything
//! outside the case (errors included) goes the full way, which stays the reference. The
//! safe API's tests take this lane, the `ws2` face's and the model campaign the full one; the
//! property test below runs both on the same worlds and compares everything they leave.

use std::net::SocketAddr;

use super::names::as_seen_by;
use super::{Object, World};
use crate::error::{Errno, Result};
use crate::socket::SockKind;
use crate::trace::Event;

/// What a plain receive got.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Plain {
    pub copied: usize,
    pub from: SocketAddr,
    /// WSAEMSGSIZE: the datagram was larger than the buffer (its tail is discarded).
    pub error: Option<Errno>,
}

impl Plain {
    /// The safe API's result: the bytes and the sender, or WSAEMSGSIZE.
    #[inline]
    pub fn api(self) -> Result<(usize, SocketAddr)> {
        match self.error {
            Some(e) => Err(e),
            None => Ok((self.copied, self.from)),
        }
    }
}

impl World {
    /// Takes the head datagram of `handle` into `buf` if this is a plain receive; `None`
    /// leaves the receive to the full path, with nothing changed.
    #[inline]
    pub(crate) fn recv_plain(
        &mut self,
        handle: usize,
        call: &'static str,
        buf: &mut [u8],
    ) -> Option<Plain> {
        let Object::Socket(key) = self.handles.get(handle)? else {
            return None;
        };
        let sock = self.sockets.get_mut(key.slot).filter(|s| s.key == key)?;
        if sock.kind != SockKind::Udp
            || sock.wine8()
            || sock.local.is_none()
            || sock.shut_rd
            || sock.discon
            || self.hosts[sock.host.0 as usize].net_down
        {
            return None;
        }
        let head = sock.queue.front_datagram()?;
        let (id, len) = (head.id, head.len);
        let copied = len.min(buf.len());
        let (a, b) = sock.queue.head_payload(&head, copied);
        buf[..a.len()].copy_from_slice(a);
        buf[a.len()..copied].copy_from_slice(b);
        sock.queue.pop_head(&head);
        let from = as_seen_by(sock.family, head.src);
        self.ledger.queued -= 1;
        self.ledger.delivered += 1;
        let error = (copied < len).then_some(Errno::MsgSize);
        self.trace.push(self.sched.now, || Event::Recv {
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

#[cfg(test)]
mod tests {
    //! The plain lane against the full path it shortens: the same world, the same receive,
    //! the same bytes, result, trace and ledger (or, outside its case, no change at all).

    use proptest::prelude::*;

    use crate::api::Socket;
    use crate::stack::{NameReq, RecvArgs, RecvPoll};
    use crate::{Family, HostId, Sim, SockKind};

    /// A world with `sizes` datagrams queued on a receiver of `family`, in the state `shut`
    /// (0: open, 1: shut down for receiving), sent from ::1 when `from_v6` (an IPv6
    /// receiver only; the plain receive decodes an IPv6 source apart) and else from
    /// 127.0.0.1.
    fn world(family: Family, sizes: &[usize], shut: bool, from_v6: bool) -> (Sim, usize) {
        let sim = Sim::new();
        let host = HostId::default();
        let rx = Socket::new(&sim, host, family, SockKind::Udp).unwrap();
        if family == Family::V6 {
            // Dual stack, so that the IPv4 datagrams below reach it v4-mapped.
            rx.set_only_v6(false).unwrap();
        }
        let bind = match family {
            Family::V4 => "127.0.0.1:0",
            Family::V6 => "[::]:0",
        };
        rx.bind(bind.parse().unwrap()).unwrap();
        let from = if from_v6 { "::1" } else { "127.0.0.1" };
        let to = std::net::SocketAddr::new(from.parse().unwrap(), rx.local_addr().unwrap().port());
        let tx = Socket::bind_udp(
            &sim,
            host,
            std::net::SocketAddr::new(from.parse().unwrap(), 0),
        )
        .unwrap();
        for (i, &n) in sizes.iter().enumerate() {
            tx.send_to(&vec![i as u8; n], to).unwrap();
        }
        if shut {
            rx.shutdown(0).unwrap();
        }
        let handle = rx.handle();
        // The sockets stay open with the simulation.
        std::mem::forget((rx, tx));
        (sim, handle)
    }

    proptest! {
        #[test]
        fn plain_receive_is_the_full_receive(
            v6 in any::<bool>(),
            sizes in proptest::collection::vec(0usize..300, 0..4),
            cap in 0usize..300,
            shut in any::<bool>(),
            from_v6 in any::<bool>(),
        ) {
            let family = if v6 { Family::V6 } else { Family::V4 };
            let from_v6 = v6 && from_v6;
            let args = RecvArgs {
                call: "recvfrom",
                flags: 0,
                cap,
                name: NameReq::None,
                control: None,
                msg: false,
            };
            let (plain_sim, h) = world(family, &sizes, shut, from_v6);
            let (full_sim, h2) = world(family, &sizes, shut, from_v6);
            prop_assert_eq!(h, h2);
            let before = plain_sim.trace_text();
            let mut plain_bytes = vec![0; cap];
            let plain = plain_sim.with_data(|w| w.recv_plain(h, "recvfrom", &mut plain_bytes));
            plain_bytes.truncate(plain.map_or(0, |p| p.copied));
            let mut full_bytes = Vec::new();
            let full = full_sim.with_data(|w| {
                w.recv_start(h, &args)?;
                match w.recv_poll(h, &args, &mut |p: &[u8]| full_bytes.extend_from_slice(p)) {
                    RecvPoll::Ready(r) => r.map(Some),
                    RecvPoll::Empty => Ok(None),
                }
            });
            match plain {
                Some(p) => {
                    let ok = full.expect("the full path succeeds where the plain one did")
                        .expect("and finds the datagram");
                    prop_assert_eq!((p.copied, p.from, p.error), (ok.copied, ok.from, ok.error));
                    prop_assert_eq!(&plain_bytes, &full_bytes);
                    prop_assert_eq!(plain_sim.trace_text(), full_sim.trace_text());
                    prop_assert_eq!(plain_sim.ledger(), full_sim.ledger());
                }
                None => {
                    // Outside its case the lane changes nothing, and the full path has
                    // no datagram to give either (here: an empty queue, or shut down).
                    prop_assert!(!matches!(full, Ok(Some(_))));
                    prop_assert!(sizes.is_empty() || shut);
                    prop_assert_eq!(plain_sim.trace_text(), before);
                    prop_assert!(plain_bytes.is_empty());
                }
            }
        }
    }
}
