//! Conformance campaign: random sequences of sends, ICMP errors, option changes and receive
//! calls (every receive function, random buffer layouts, flags, name and control sizes) run on
//! the simulator's `ws2` face and on the independent reference model (`model/`); what each
//! call returns and writes must agree after every step. proptest shrinks a failure to a
//! minimal sequence and prints the seed to replay it.

mod common;

use std::mem::zeroed;
use std::net::{SocketAddr, SocketAddrV4};

use common::*;
use proptest::prelude::*;
use winsock_sim::Sim;
use winsock_sim_model::{Api, Call, Outcome, Queued, Socket as Model};

#[derive(Clone, Debug)]
enum Op {
    Send(usize),
    SendToClosedPort,
    Pktinfo(bool),
    RecvTtl(bool),
    Nonblocking(bool),
    Receive(Call),
    Fionread,
}

fn api() -> impl Strategy<Value = Api> {
    prop_oneof![
        Just(Api::Recv),
        Just(Api::RecvFrom),
        Just(Api::WsaRecv),
        Just(Api::WsaRecvFrom),
        Just(Api::WsaRecvMsg),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    (
        api(),
        prop::collection::vec(0usize..80, 1..4),
        prop_oneof![6 => Just(0u32), 3 => Just(2u32), 1 => Just(1u32), 1 => Just(0x100u32)],
        prop_oneof![
            Just(None),
            (0i32..40).prop_map(Some),
            Just(Some(16)),
            Just(Some(128))
        ],
        prop_oneof![
            Just(None),
            (0u32..64).prop_map(Some),
            Just(Some(24)),
            Just(Some(48))
        ],
    )
        .prop_map(|(api, mut buffers, flags, name_len, control_len)| {
            if matches!(api, Api::Recv | Api::RecvFrom) {
                buffers.truncate(1);
            }
            let name_len = if matches!(api, Api::Recv | Api::WsaRecv) {
                None
            } else {
                name_len
            };
            let control_len = if api == Api::WsaRecvMsg {
                control_len
            } else {
                None
            };
            Call {
                api,
                buffers,
                flags,
                name_len,
                control_len,
            }
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..120).prop_map(Op::Send),
        1 => Just(Op::SendToClosedPort),
        1 => any::<bool>().prop_map(Op::Pktinfo),
        1 => any::<bool>().prop_map(Op::RecvTtl),
        1 => any::<bool>().prop_map(Op::Nonblocking),
        6 => call().prop_map(Op::Receive),
        1 => Just(Op::Fionread),
    ]
}

/// Payload bytes never equal FILL, so what a call wrote is visible.
fn payload(n: usize, salt: usize) -> Vec<u8> {
    (0..n).map(|i| ((i + salt) % 200) as u8).collect()
}

fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => unreachable!(),
    }
}

/// Runs a call on the face and describes it in the model's terms.
fn face_call(s: SOCKET, c: &Call) -> Outcome {
    let mut bufs: Vec<Vec<u8>> = c.buffers.iter().map(|&n| vec![FILL; n]).collect();
    let mut wsabufs: Vec<WSABUF> = bufs
        .iter_mut()
        .map(|b| WSABUF {
            len: b.len() as u32,
            buf: b.as_mut_ptr(),
        })
        .collect();
    let mut name: SOCKADDR_STORAGE = unsafe { zeroed() };
    let name_ptr = if c.name_len.is_some() {
        &mut name as *mut _ as *mut SOCKADDR
    } else {
        std::ptr::null_mut()
    };
    let mut namelen = c.name_len.unwrap_or(0);
    let mut control = vec![FILL; c.control_len.unwrap_or(0) as usize];
    let mut count = 0xDEAD_BEEF_u32;
    let mut flags = c.flags;
    let mut msg_control_len = c.control_len.unwrap_or(0);
    let ret = unsafe {
        match c.api {
            Api::Recv => recv(s, bufs[0].as_mut_ptr(), c.buffers[0] as i32, c.flags as i32),
            Api::RecvFrom => recvfrom(
                s,
                bufs[0].as_mut_ptr(),
                c.buffers[0] as i32,
                c.flags as i32,
                name_ptr,
                if c.name_len.is_some() {
                    &mut namelen
                } else {
                    std::ptr::null_mut()
                },
            ),
            Api::WsaRecv => WSARecv(
                s,
                wsabufs.as_ptr(),
                wsabufs.len() as u32,
                &mut count,
                &mut flags,
                std::ptr::null_mut(),
                None,
            ),
            Api::WsaRecvFrom => WSARecvFrom(
                s,
                wsabufs.as_ptr(),
                wsabufs.len() as u32,
                &mut count,
                &mut flags,
                name_ptr,
                if c.name_len.is_some() {
                    &mut namelen
                } else {
                    std::ptr::null_mut()
                },
                std::ptr::null_mut(),
                None,
            ),
            Api::WsaRecvMsg => {
                let f = recvmsg_fn(s);
                let mut msg = WSAMSG {
                    name: name_ptr,
                    namelen,
                    lpBuffers: wsabufs.as_mut_ptr(),
                    dwBufferCount: wsabufs.len() as u32,
                    Control: WSABUF {
                        len: c.control_len.unwrap_or(0),
                        buf: if c.control_len.is_some() {
                            control.as_mut_ptr()
                        } else {
                            std::ptr::null_mut()
                        },
                    },
                    dwFlags: c.flags,
                };
                let r = f(s, &mut msg, &mut count, std::ptr::null_mut(), None);
                namelen = msg.namelen;
                flags = msg.dwFlags;
                msg_control_len = msg.Control.len;
                r
            }
        }
    };
    let err = last_error();
    let result = match (c.api, ret) {
        (_, SOCKET_ERROR) => Err(err),
        (Api::Recv | Api::RecvFrom, n) => Ok(n as usize),
        (_, _) => Ok(count as usize),
    };
    // What each buffer received: its prefix up to the last byte that is not FILL.
    let written = bufs
        .iter()
        .map(|b| {
            let n = b.iter().rposition(|&x| x != FILL).map_or(0, |i| i + 1);
            b[..n].to_vec()
        })
        .collect();
    let name_out = (name.ss_family != 0).then(|| (v4(from_raw(&name, namelen)), namelen));
    let touched_control = c.api == Api::WsaRecvMsg
        && (msg_control_len != c.control_len.unwrap_or(0) || control.iter().any(|&b| b != FILL));
    let control_out =
        if c.api == Api::WsaRecvMsg && (touched_control || ret == 0 || err == WSAEMSGSIZE) {
            Some((
                control[..msg_control_len as usize].to_vec(),
                msg_control_len,
            ))
        } else {
            None
        };
    let flags_out = match c.api {
        Api::Recv | Api::RecvFrom => None,
        Api::WsaRecvMsg if ret == 0 || err == WSAEMSGSIZE => Some(flags),
        Api::WsaRecv | Api::WsaRecvFrom if ret == 0 || err == WSAEMSGSIZE => Some(flags),
        _ => None,
    };
    Outcome {
        result,
        written,
        count: (c.api != Api::Recv && c.api != Api::RecvFrom && count != 0xDEAD_BEEF)
            .then_some(count),
        name: name_out,
        control: control_out,
        flags: flags_out,
    }
}

/// The model leaves buffers it does not write empty; normalise for comparison.
fn normalise(mut o: Outcome, c: &Call) -> Outcome {
    o.written.resize(c.buffers.len(), Vec::new());
    if o.result.is_err() && o.result != Err(WSAEMSGSIZE) {
        o.control = None;
    }
    o
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let sim = Sim::new();
    let _g = sim.enter();
    startup();
    let (rx, rx_addr) = bound("127.0.0.1:0");
    let (tx, tx_addr) = bound("127.0.0.1:0");
    let mut model = Model {
        bound: true,
        local: Some(v4(rx_addr.to_std())),
        ..Default::default()
    };
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Send(n) => {
                let p = payload(*n, i);
                must_send(tx, &p, &rx_addr);
                model.queue.push_back(Queued::Datagram {
                    payload: p,
                    from: v4(tx_addr.to_std()),
                    ttl: 128,
                });
            }
            Op::SendToClosedPort => {
                must_send(rx, b"?", &rx_addr.with_port(9));
                model.queue.push_back(Queued::PortUnreachable);
            }
            Op::Pktinfo(on) => {
                set_u32(rx, IPPROTO_IP, IP_PKTINFO, u32::from(*on));
                model.pktinfo = *on;
            }
            Op::RecvTtl(on) => {
                set_u32(rx, IPPROTO_IP, IP_RECVTTL, u32::from(*on));
                model.recvttl = *on;
            }
            Op::Nonblocking(on) => {
                set_nonblocking(rx, *on);
                model.nonblocking = *on;
            }
            Op::Fionread => {
                let mut v = 0u32;
                assert_eq!(unsafe { ioctlsocket(rx, FIONREAD, &mut v) }, 0);
                prop_assert_eq!(v as usize, model.bytes_queued(), "FIONREAD at step {}", i);
            }
            Op::Receive(c) => {
                let want = normalise(model.receive(c), c);
                let got = normalise(face_call(rx, c), c);
                prop_assert_eq!(&got, &want, "step {}: {:?}", i, c);
            }
        }
    }
    sim.ledger().check().map_err(TestCaseError::fail)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "tests/model_conformance.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn simulator_agrees_with_model(ops in prop::collection::vec(op(), 1..40)) {
        run(&ops)?;
    }
}

/// A fixed sequence through the same harness, so a regression shows even without proptest's
/// exploration: truncation, peek, control truncation, ICMP, and a short name buffer.
#[test]
fn fixed_sequence_agrees_with_model() {
    let c = |api, buffers: Vec<usize>, flags, name_len, control_len| {
        Op::Receive(Call {
            api,
            buffers,
            flags,
            name_len,
            control_len,
        })
    };
    let ops = vec![
        Op::Send(50),
        Op::Pktinfo(true),
        c(Api::WsaRecvMsg, vec![10, 10], 2, Some(16), Some(23)),
        c(Api::WsaRecvMsg, vec![10, 100], 0, Some(4), Some(24)),
        Op::Fionread,
        c(Api::WsaRecvMsg, vec![10, 100], 0, Some(16), Some(24)),
        Op::SendToClosedPort,
        Op::Send(5),
        c(Api::RecvFrom, vec![3], 0, Some(16), None),
        c(Api::RecvFrom, vec![3], 0, Some(16), None),
        Op::Nonblocking(true),
        c(Api::WsaRecv, vec![3], 0, None, None),
    ];
    run(&ops).unwrap();
}
