//! proptest strategies for campaign scenarios: what the campaign draws, and how proptest
//! shrinks a failing draw.

use proptest::prelude::*;
use winsock_sim_model::{Api, Call, Notify};

use crate::harness::{Op, Scenario};

fn api() -> impl Strategy<Value = Api> {
    prop_oneof![
        Just(Api::Recv),
        Just(Api::RecvFrom),
        Just(Api::WsaRecv),
        Just(Api::WsaRecvFrom),
        Just(Api::WsaRecvMsg),
    ]
}

/// A receive call's shape: random buffer layouts, flags (mostly valid), name and control
/// sizes around the edges that matter (16 bytes for a SOCKADDR_IN, 24 for one pktinfo).
pub fn call_with(api: impl Strategy<Value = Api>) -> impl Strategy<Value = Call> {
    (
        api,
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
            Call {
                api,
                buffers,
                flags,
                name_len: if matches!(api, Api::Recv | Api::WsaRecv) {
                    None
                } else {
                    name_len
                },
                control_len: if api == Api::WsaRecvMsg {
                    control_len
                } else {
                    None
                },
            }
        })
}

fn notify() -> impl Strategy<Value = Notify> {
    prop_oneof![
        Just(Notify::Event),
        Just(Notify::Routine),
        Just(Notify::Nothing)
    ]
}

fn post() -> impl Strategy<Value = Op> {
    let api = prop_oneof![
        Just(Api::WsaRecv),
        Just(Api::WsaRecvFrom),
        Just(Api::WsaRecvMsg)
    ];
    (call_with(api), notify()).prop_map(|(c, n)| Op::Post(c, n))
}

/// One operation: sends (some lost or duplicated by a fault), ICMP errors, option changes,
/// every receive function, overlapped posts, alertable waits, cancels, results, port
/// packets, FIONREAD, and (rarely) closing the receiver.
pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0usize..120).prop_map(Op::Send),
        1 => (0usize..40).prop_map(Op::SendLost),
        1 => (0usize..40).prop_map(Op::SendTwice),
        1 => Just(Op::IcmpUnreachable),
        1 => Just(Op::IcmpTtl),
        1 => any::<bool>().prop_map(Op::Pktinfo),
        1 => any::<bool>().prop_map(Op::RecvTtl),
        1 => any::<bool>().prop_map(Op::Nonblocking),
        1 => any::<bool>().prop_map(Op::ConnReset),
        1 => any::<bool>().prop_map(Op::NetReset),
        8 => call_with(api()).prop_map(Op::Receive),
        6 => post(),
        3 => Just(Op::Wait),
        2 => prop::option::of(any::<u8>()).prop_map(Op::Cancel),
        2 => any::<u8>().prop_map(Op::Result),
        2 => Just(Op::Dequeue),
        1 => Just(Op::Fionread),
        1 => Just(Op::Close),
    ]
}

/// A whole scenario: a seed, a completion port one time in four, up to `max` operations.
pub fn scenario(max: usize) -> impl Strategy<Value = Scenario> {
    (
        any::<u64>(),
        prop::bool::weighted(0.25),
        prop::collection::vec(op(), 1..max),
    )
        .prop_map(|(seed, port, ops)| Scenario { seed, port, ops })
}
