//! The virtual network: hosts, paths, dual stack, broadcast and multicast, every fault rule,
//! and the ledger that gives every lost datagram a reason. Driven through the safe API (the
//! face goes through the same core; see the other test files).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use winsock_sim::api::{RecvMsgOptions, Socket};
use winsock_sim::{
    DropReason, Endpoint, Errno, Fault, FaultRule, HostId, Instant, PathProps, Sim, SockKind,
};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn two_hosts(latency: Duration) -> (Sim, HostId, HostId) {
    let sim = Sim::builder()
        .seed(1)
        .host("a", &["10.0.0.1/24", "fd00::1/64"])
        .host("b", &["10.0.0.2/24", "fd00::2/64"])
        .latency(latency)
        .build();
    let (a, b) = (sim.host("a").unwrap(), sim.host("b").unwrap());
    (sim, a, b)
}

fn recv(s: &Socket) -> Result<(Vec<u8>, SocketAddr), Errno> {
    let mut buf = [0u8; 2048];
    s.recv_from(&mut buf)
        .map(|(n, from)| (buf[..n].to_vec(), from))
}

/// Every host has loopback (127.0.0.1/8, ::1) and its LAN addresses; a datagram between hosts
/// takes the path's latency in virtual time.
#[test]
fn hosts_addresses_and_latency() {
    let (sim, a, b) = two_hosts(Duration::from_millis(3));
    let rx = Socket::bind_udp(&sim, b, sa("10.0.0.2:7000")).unwrap();
    let tx = Socket::bind_udp(&sim, a, sa("10.0.0.1:0")).unwrap();
    tx.send_to(b"over the lan", sa("10.0.0.2:7000")).unwrap();
    rx.set_nonblocking(true).unwrap();
    assert_eq!(recv(&rx), Err(Errno::WouldBlock), "not there yet");
    rx.set_nonblocking(false).unwrap();
    assert_eq!(
        recv(&rx).unwrap(),
        (b"over the lan".to_vec(), sa("10.0.0.1:49152"))
    );
    assert_eq!(sim.now(), Instant::from_nanos(3_000_000));
    // Loopback on each host is its own: 127.0.0.1 on a is not b's.
    let la = Socket::bind_udp(&sim, a, sa("127.0.0.1:7001")).unwrap();
    let lb = Socket::bind_udp(&sim, b, sa("127.0.0.1:0")).unwrap();
    lb.send_to(b"mine", sa("127.0.0.1:7001")).unwrap();
    la.set_nonblocking(true).unwrap();
    assert_eq!(recv(&la), Err(Errno::WouldBlock));
    // Binding another host's address is refused (Wine test_bind: WSAEADDRNOTAVAIL).
    assert_eq!(
        Socket::bind_udp(&sim, a, sa("10.0.0.2:0")).unwrap_err(),
        Errno::AddrNotAvail
    );
    // IPv6 works the same.
    let r6 = Socket::bind_udp(&sim, b, sa("[fd00::2]:7002")).unwrap();
    let t6 = Socket::bind_udp(&sim, a, sa("[::]:0")).unwrap();
    t6.send_to(b"v6", sa("[fd00::2]:7002")).unwrap();
    assert_eq!(
        recv(&r6).unwrap().1.ip(),
        "fd00::1".parse::<std::net::IpAddr>().unwrap()
    );
}

/// A host with no LAN address of a family cannot reach another host: WSAENETUNREACH. A LAN
/// address nobody has loses the datagram (reason "no-such-host").
#[test]
fn unreachable_destinations() {
    let sim = Sim::new();
    let s = Socket::bind_udp(&sim, HostId::default(), sa("0.0.0.0:0")).unwrap();
    assert_eq!(s.send_to(b"x", sa("8.8.8.8:53")), Err(Errno::NetUnreach));
    let (sim, a, _) = two_hosts(Duration::ZERO);
    let s = Socket::bind_udp(&sim, a, sa("0.0.0.0:0")).unwrap();
    s.send_to(b"x", sa("10.0.0.99:53")).unwrap();
    assert_eq!(sim.ledger().drops_for(DropReason::NoSuchHost).count(), 1);
}

/// Dual stack: an IPv6 socket with IPV6_V6ONLY off receives IPv4 datagrams, seeing the sender
/// v4-mapped; with it on (the Windows default) it does not, and the port is unreachable.
#[test]
fn dual_stack_and_v6only() {
    let sim = Sim::new();
    let h = HostId::default();
    let dual = Socket::new(&sim, h, winsock_sim::Family::V6, SockKind::Udp).unwrap();
    dual.set_only_v6(false).unwrap();
    dual.bind(sa("[::]:5000")).unwrap();
    let tx = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
    tx.send_to(b"to dual", sa("127.0.0.1:5000")).unwrap();
    let port = tx.local_addr().unwrap().port();
    assert_eq!(
        recv(&dual).unwrap().1,
        sa(&format!("[::ffff:127.0.0.1]:{port}"))
    );
    // A v6-only socket leaves IPv4 alone.
    let only = Socket::bind_udp(&sim, h, sa("[::]:5001")).unwrap();
    tx.send_to(b"to v6only", sa("127.0.0.1:5001")).unwrap();
    only.set_nonblocking(true).unwrap();
    assert_eq!(recv(&only), Err(Errno::WouldBlock));
    assert_eq!(
        recv(&tx),
        Err(Errno::ConnReset),
        "port unreachable came back"
    );
    // A dual-stack socket sends to IPv4 through v4-mapped addresses.
    dual.send_to(b"back", sa(&format!("[::ffff:127.0.0.1]:{port}")))
        .unwrap();
    assert_eq!(recv(&tx).unwrap().0, b"back");
}

/// Broadcast reaches every host on the subnet with the port bound (and the sender's own host:
/// Windows loops broadcasts back), each copy accounted for in the ledger.
#[test]
fn broadcast_reaches_the_subnet() {
    let sim = Sim::builder()
        .host("a", &["10.0.0.1/24"])
        .host("b", &["10.0.0.2/24"])
        .host("c", &["10.0.0.3/24"])
        .host("far", &["192.168.0.1/24"])
        .build();
    let ids: Vec<HostId> = ["a", "b", "c", "far"]
        .iter()
        .map(|n| sim.host(n).unwrap())
        .collect();
    let rx: Vec<Socket> = ids
        .iter()
        .map(|&h| Socket::bind_udp(&sim, h, sa("0.0.0.0:6000")).unwrap())
        .collect();
    let tx = Socket::bind_udp(&sim, ids[0], sa("10.0.0.1:0")).unwrap();
    assert_eq!(
        tx.send_to(b"all", sa("10.0.0.255:6000")),
        Err(Errno::Access)
    );
    tx.set_broadcast(true).unwrap();
    tx.send_to(b"all", sa("10.0.0.255:6000")).unwrap();
    for r in &rx[..3] {
        let m = r
            .recv_msg(&mut [&mut [0u8; 8]], RecvMsgOptions::default())
            .unwrap();
        assert_eq!((m.len, m.flags), (3, 0x400), "MSG_BCAST");
    }
    rx[3].set_nonblocking(true).unwrap();
    assert_eq!(recv(&rx[3]), Err(Errno::WouldBlock), "another subnet");
    let l = sim.ledger();
    assert_eq!((l.sent, l.copies, l.delivered), (1, 2, 3));
    l.check().unwrap();
}

/// Multicast: only sockets that joined the group receive (MSG_MCAST); IP_MULTICAST_LOOP off
/// keeps the sender's own host out.
#[test]
fn multicast_membership_and_loop() {
    let (sim, a, b) = two_hosts(Duration::ZERO);
    let group = Ipv4Addr::new(239, 0, 0, 7);
    let member = Socket::bind_udp(&sim, b, sa("0.0.0.0:5353")).unwrap();
    member
        .join_multicast_v4(group, Ipv4Addr::UNSPECIFIED)
        .unwrap();
    let bystander = Socket::bind_udp(&sim, b, sa("10.0.0.2:5353")).unwrap();
    let local = Socket::bind_udp(&sim, a, sa("0.0.0.0:5353")).unwrap();
    local
        .join_multicast_v4(group, Ipv4Addr::UNSPECIFIED)
        .unwrap();
    let tx = Socket::bind_udp(&sim, a, sa("10.0.0.1:0")).unwrap();
    tx.send_to(b"mc", sa("239.0.0.7:5353")).unwrap();
    let m = member
        .recv_msg(&mut [&mut [0u8; 8]], RecvMsgOptions::default())
        .unwrap();
    assert_eq!(m.flags, 0x800, "MSG_MCAST");
    assert_eq!(recv(&local).unwrap().0, b"mc", "looped back by default");
    bystander.set_nonblocking(true).unwrap();
    assert_eq!(recv(&bystander), Err(Errno::WouldBlock));
    tx.set_option(0, 11, &[0]).unwrap(); // IP_MULTICAST_LOOP = 0
    tx.send_to(b"mc2", sa("239.0.0.7:5353")).unwrap();
    local.set_nonblocking(true).unwrap();
    assert_eq!(recv(&local), Err(Errno::WouldBlock));
    assert_eq!(recv(&member).unwrap().0, b"mc2");
    // Joining twice is refused; a unicast group is WSAEINVAL.
    assert_eq!(
        member.join_multicast_v4(group, Ipv4Addr::UNSPECIFIED),
        Err(Errno::Inval)
    );
    assert_eq!(
        member.join_multicast_v4(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::UNSPECIFIED),
        Err(Errno::Inval)
    );
}

/// ICMP port unreachable is on by default for unicast to an unbound port; the builder can turn
/// it off (a network that filters ICMP); either way the loss has a reason.
#[test]
fn port_unreachable_default_and_off() {
    for on in [true, false] {
        let sim = Sim::builder().port_unreachable(on).build();
        let s = Socket::bind_udp(&sim, HostId::default(), sa("127.0.0.1:0")).unwrap();
        s.send_to(b"?", sa("127.0.0.1:9")).unwrap();
        s.set_nonblocking(true).unwrap();
        let want = if on {
            Err(Errno::ConnReset)
        } else {
            Err(Errno::WouldBlock)
        };
        assert_eq!(recv(&s), want);
        assert_eq!(sim.ledger().drops_for(DropReason::NoListener).count(), 1);
    }
}

/// Fault: loss. With probability 1 and a budget of 2, exactly the first two datagrams are lost.
#[test]
fn fault_loss_with_budget() {
    let sim = Sim::new();
    sim.add_fault(FaultRule::global(Fault::Drop).times(2));
    let h = HostId::default();
    let rx = Socket::bind_udp(&sim, h, sa("127.0.0.1:5000")).unwrap();
    let tx = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
    for i in 0..4u8 {
        tx.send_to(&[i], sa("127.0.0.1:5000")).unwrap();
    }
    assert_eq!(recv(&rx).unwrap().0, [2]);
    assert_eq!(recv(&rx).unwrap().0, [3]);
    let l = sim.ledger();
    assert_eq!(l.drops_for(DropReason::FaultLoss { rule: 0 }).count(), 2);
    l.check().unwrap();
}

/// Fault: duplication. Each copy is a new datagram in the ledger.
#[test]
fn fault_duplicate() {
    let sim = Sim::new();
    sim.add_fault(FaultRule::global(Fault::Duplicate { copies: 2 }));
    let h = HostId::default();
    let rx = Socket::bind_udp(&sim, h, sa("127.0.0.1:5000")).unwrap();
    let tx = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
    tx.send_to(b"dup", sa("127.0.0.1:5000")).unwrap();
    assert_eq!(rx.bytes_available().unwrap(), 9);
    for _ in 0..3 {
        assert_eq!(recv(&rx).unwrap().0, b"dup");
    }
    let l = sim.ledger();
    assert_eq!((l.sent, l.copies, l.delivered), (1, 2, 3));
}

/// Fault: reordering on one path holds a datagram back so a later one overtakes it; a delay
/// drawn from a range moves arrival in virtual time.
#[test]
fn fault_reorder_and_delay() {
    let (sim, a, b) = two_hosts(Duration::from_millis(1));
    let rx = Socket::bind_udp(&sim, b, sa("10.0.0.2:5000")).unwrap();
    let tx = Socket::bind_udp(&sim, a, sa("10.0.0.1:0")).unwrap();
    sim.add_fault(
        FaultRule::path(
            Endpoint::Host(a),
            Endpoint::Host(b),
            Fault::Reorder {
                by: Duration::from_millis(5),
            },
        )
        .times(1),
    );
    tx.send_to(b"first", sa("10.0.0.2:5000")).unwrap();
    tx.send_to(b"second", sa("10.0.0.2:5000")).unwrap();
    assert_eq!(recv(&rx).unwrap().0, b"second");
    assert_eq!(recv(&rx).unwrap().0, b"first");
    assert_eq!(sim.now(), Instant::from_nanos(6_000_000));
    sim.add_fault(FaultRule::path(
        Endpoint::Any,
        Endpoint::Addr(sa("10.0.0.2:5000")),
        Fault::Delay {
            min: Duration::from_millis(10),
            max: Duration::from_millis(20),
        },
    ));
    tx.send_to(b"late", sa("10.0.0.2:5000")).unwrap();
    let t0 = sim.now();
    recv(&rx).unwrap();
    let took = sim.now() - t0;
    assert!(
        took >= Duration::from_millis(11) && took <= Duration::from_millis(21),
        "{took:?}"
    );
}

/// Faults: an injected ICMP port unreachable (the datagram is lost, WSAECONNRESET follows), a
/// suppressed ICMP (the port is closed but no error comes back), and a forced TTL expiry
/// (WSAENETRESET).
#[test]
fn fault_icmp_inject_suppress_and_ttl() {
    let sim = Sim::new();
    let h = HostId::default();
    let rx = Socket::bind_udp(&sim, h, sa("127.0.0.1:5000")).unwrap();
    let tx = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
    sim.add_fault(FaultRule::global(Fault::InjectPortUnreachable).times(1));
    tx.send_to(b"x", sa("127.0.0.1:5000")).unwrap();
    assert_eq!(recv(&tx), Err(Errno::ConnReset));
    rx.set_nonblocking(true).unwrap();
    assert_eq!(recv(&rx), Err(Errno::WouldBlock));
    sim.clear_faults();
    sim.add_fault(FaultRule::global(Fault::SuppressIcmp));
    tx.send_to(b"x", sa("127.0.0.1:9")).unwrap();
    tx.set_nonblocking(true).unwrap();
    assert_eq!(recv(&tx), Err(Errno::WouldBlock));
    sim.clear_faults();
    sim.add_fault(FaultRule::global(Fault::ExpireTtl).times(1));
    tx.send_to(b"x", sa("127.0.0.1:5000")).unwrap();
    assert_eq!(recv(&tx), Err(Errno::NetReset));
    let l = sim.ledger();
    assert_eq!(l.drops_for(DropReason::FaultIcmp { rule: 0 }).count(), 2);
    l.check().unwrap();
}

/// Network down: calls on the host fail with WSAENETDOWN and datagrams to it are dropped with
/// that reason; it comes back up.
#[test]
fn network_down() {
    let (sim, a, b) = two_hosts(Duration::ZERO);
    let rx = Socket::bind_udp(&sim, b, sa("10.0.0.2:5000")).unwrap();
    let tx = Socket::bind_udp(&sim, a, sa("10.0.0.1:0")).unwrap();
    sim.set_network_down(b, true);
    tx.send_to(b"x", sa("10.0.0.2:5000")).unwrap();
    assert_eq!(rx.send_to(b"y", sa("10.0.0.1:1")), Err(Errno::NetDown));
    assert_eq!(recv(&rx), Err(Errno::NetDown));
    sim.set_network_down(b, false);
    rx.set_nonblocking(true).unwrap();
    assert_eq!(
        recv(&rx),
        Err(Errno::WouldBlock),
        "the datagram was lost, not held"
    );
    assert_eq!(sim.ledger().drops_for(DropReason::NetworkDown).count(), 1);
}

/// SO_RCVBUF bounds the queue: a datagram that does not fit is dropped ("rcvbuf-full").
#[test]
fn receive_buffer_overflow() {
    let sim = Sim::new();
    let h = HostId::default();
    let rx = Socket::bind_udp(&sim, h, sa("127.0.0.1:5000")).unwrap();
    rx.set_recv_buffer_size(250).unwrap();
    let tx = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
    for _ in 0..3 {
        tx.send_to(&[0u8; 100], sa("127.0.0.1:5000")).unwrap();
    }
    assert_eq!(rx.bytes_available().unwrap(), 200);
    let l = sim.ledger();
    assert_eq!(l.drops_for(DropReason::ReceiveBufferFull).count(), 1);
    assert_eq!(l.queued, 2);
    l.check().unwrap();
}

/// Closing a socket drops what it had queued, each with a reason; the ledger balances.
#[test]
fn close_drops_queued_with_reason() {
    let sim = Sim::new();
    let h = HostId::default();
    let rx = Socket::bind_udp(&sim, h, sa("127.0.0.1:5000")).unwrap();
    let tx = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
    tx.send_to(b"1", sa("127.0.0.1:5000")).unwrap();
    tx.send_to(b"2", sa("127.0.0.1:5000")).unwrap();
    drop(rx);
    let l = sim.ledger();
    assert_eq!(l.drops_for(DropReason::SocketClosed).count(), 2);
    assert_eq!(l.queued, 0);
    l.check().unwrap();
}

/// Probabilistic loss is drawn from the seed: the same seed loses the same datagrams, and the
/// trace is the same, byte for byte.
#[test]
fn seeded_loss_is_reproducible() {
    let run = |seed: u64| {
        let sim = Sim::builder()
            .seed(seed)
            .fault(FaultRule::global(Fault::Drop).with_probability(0.5))
            .build();
        let h = HostId::default();
        let rx = Socket::bind_udp(&sim, h, sa("127.0.0.1:5000")).unwrap();
        let tx = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
        for i in 0..64u8 {
            tx.send_to(&[i], sa("127.0.0.1:5000")).unwrap();
        }
        drop(rx);
        let lost: Vec<u64> = sim
            .ledger()
            .drops
            .iter()
            .filter(|d| matches!(d.reason, DropReason::FaultLoss { .. }))
            .map(|d| d.datagram.to_string()[1..].parse().unwrap())
            .collect();
        (lost, sim.trace_text())
    };
    let (a, ta) = run(42);
    let (b, tb) = run(42);
    assert_eq!(a, b);
    assert_eq!(ta.as_bytes(), tb.as_bytes());
    assert!(a.len() > 16 && a.len() < 48, "about half lost: {}", a.len());
    let (c, _) = run(43);
    assert_ne!(a, c, "another seed loses other datagrams");
}

/// Raw sockets see every datagram of their protocol on the host, with no ports; UDP traffic
/// does not reach them.
#[test]
fn raw_sockets_by_protocol() {
    let sim = Sim::new();
    let h = HostId::default();
    let v4 = winsock_sim::Family::V4;
    let r1 = Socket::new(&sim, h, v4, SockKind::Raw(253)).unwrap();
    r1.bind(sa("0.0.0.0:0")).unwrap();
    let r2 = Socket::new(&sim, h, v4, SockKind::Raw(253)).unwrap();
    r2.bind(sa("127.0.0.1:0")).unwrap();
    let other = Socket::new(&sim, h, v4, SockKind::Raw(254)).unwrap();
    other.bind(sa("0.0.0.0:0")).unwrap();
    let tx = Socket::new(&sim, h, v4, SockKind::Raw(253)).unwrap();
    tx.send_to(b"p253", sa("127.0.0.1:0")).unwrap();
    let udp = Socket::bind_udp(&sim, h, sa("127.0.0.1:0")).unwrap();
    udp.send_to(b"udp", sa("127.0.0.1:1")).unwrap();
    for r in [&r1, &r2] {
        let (d, from) = recv(r).unwrap();
        assert_eq!((&d[20..], from.port()), (&b"p253"[..], 0));
    }
    other.set_nonblocking(true).unwrap();
    assert_eq!(recv(&other), Err(Errno::WouldBlock));
}

/// Per-path TTL: datagrams need more TTL than the path has routers (PathProps::hops).
#[test]
fn path_hops_and_ttl() {
    let sim = Sim::builder()
        .host("a", &["10.0.0.1/24"])
        .host("b", &["10.0.0.2/24"])
        .path(
            "a",
            "b",
            PathProps {
                latency: Duration::from_millis(1),
                hops: 5,
            },
        )
        .build();
    let (a, b) = (sim.host("a").unwrap(), sim.host("b").unwrap());
    let rx = Socket::bind_udp(&sim, b, sa("10.0.0.2:5000")).unwrap();
    let ctl_opts = RecvMsgOptions {
        control_len: 64,
        ..Default::default()
    };
    rx.set_option(0, 21, &1u32.to_le_bytes()).unwrap(); // IP_RECVTTL
    let tx = Socket::bind_udp(&sim, a, sa("10.0.0.1:0")).unwrap();
    tx.set_ttl(false, 5).unwrap();
    tx.send_to(b"short", sa("10.0.0.2:5000")).unwrap();
    assert_eq!(recv(&tx), Err(Errno::NetReset));
    tx.set_ttl(false, 6).unwrap();
    tx.send_to(b"enough", sa("10.0.0.2:5000")).unwrap();
    let m = rx.recv_msg(&mut [&mut [0u8; 16]], ctl_opts).unwrap();
    assert_eq!(
        m.control[0].data(),
        &1i32.to_le_bytes(),
        "TTL left on arrival"
    );
    assert_eq!(sim.ledger().drops_for(DropReason::TtlExpired).count(), 1);
}
