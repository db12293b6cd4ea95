//! Operation sequences against the reference model: the fuzzer's bytes become a scenario
//! (seed, completion port or not, operations) run by the same harness as the proptest
//! campaign (`campaign/src/harness.rs`): the simulator and the model must agree at every
//! step, conserve datagrams, catch no bug, and give the same trace twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use winsock_sim_model::{Api, Call, Notify};

#[path = "../../campaign/src/harness.rs"]
mod harness;

use harness::{Op, Scenario};

/// Reads the fuzzer's bytes one at a time; 0 once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

fn call(b: &mut Bytes, api: Api) -> Call {
    let n = 1 + usize::from(b.byte() % 3);
    let mut buffers: Vec<usize> = (0..n).map(|_| usize::from(b.byte() % 80)).collect();
    if matches!(api, Api::Recv | Api::RecvFrom) {
        buffers.truncate(1);
    }
    let flags = [0, 0, 0, 2, 2, 1, 0x100][usize::from(b.byte() % 7)];
    let name = match b.byte() % 4 {
        0 => None,
        1 => Some(16),
        2 => Some(128),
        _ => Some(i32::from(b.byte() % 40)),
    };
    let control = match b.byte() % 4 {
        0 => None,
        1 => Some(24),
        2 => Some(48),
        _ => Some(u32::from(b.byte() % 64)),
    };
    Call {
        api,
        buffers,
        flags,
        name_len: if matches!(api, Api::Recv | Api::WsaRecv) { None } else { name },
        control_len: if api == Api::WsaRecvMsg { control } else { None },
    }
}

fn scenario(data: &[u8]) -> Scenario {
    let mut b = Bytes(data);
    let head = b.byte();
    let mut ops = Vec::new();
    while !b.done() && ops.len() < 64 {
        let op = match b.byte() % 19 {
            0 | 1 => Op::Send(usize::from(b.byte() % 120)),
            2 => Op::SendLost(usize::from(b.byte() % 40)),
            3 => Op::SendTwice(usize::from(b.byte() % 40)),
            4 => Op::IcmpUnreachable,
            5 => Op::IcmpTtl,
            6 => Op::Pktinfo(b.byte() & 1 == 1),
            7 => Op::RecvTtl(b.byte() & 1 == 1),
            8 => Op::Nonblocking(b.byte() & 1 == 1),
            9 => Op::ConnReset(b.byte() & 1 == 1),
            10 => Op::NetReset(b.byte() & 1 == 1),
            11 | 12 => {
                let api = [Api::Recv, Api::RecvFrom, Api::WsaRecv, Api::WsaRecvFrom, Api::WsaRecvMsg]
                    [usize::from(b.byte() % 5)];
                Op::Receive(call(&mut b, api))
            }
            13 | 14 => {
                let api = [Api::WsaRecv, Api::WsaRecvFrom, Api::WsaRecvMsg][usize::from(b.byte() % 3)];
                let notify = [Notify::Event, Notify::Routine, Notify::Nothing][usize::from(b.byte() % 3)];
                Op::Post(call(&mut b, api), notify)
            }
            15 => Op::Wait,
            16 => Op::Cancel(if b.byte() & 1 == 0 { None } else { Some(b.byte()) }),
            17 => Op::Result(b.byte()),
            _ => match b.byte() % 3 {
                0 => Op::Dequeue,
                1 => Op::Fionread,
                _ => Op::Close,
            },
        };
        ops.push(op);
    }
    Scenario {
        seed: u64::from(head >> 1),
        port: head & 1 == 1,
        ops,
    }
}

fuzz_target!(|data: &[u8]| {
    let sc = scenario(data);
    if let Err(e) = harness::run(&sc) {
        panic!("{e}\n{sc:#?}");
    }
});
