//! The control-message encoder against its own parser: any list of messages laid out in any
//! control-buffer size must parse back to exactly the messages that fit, with the lengths
//! WSARecvMsg reports (cmsg_len unpadded, Control.len the aligned space used).
#![no_main]

use libfuzzer_sys::fuzz_target;
use winsock_sim::wire::cmsg::{self, ControlMessage};

fuzz_target!(|data: &[u8]| {
    let Some((&cap, mut rest)) = data.split_first() else {
        return;
    };
    let mut msgs = Vec::new();
    while let [level, ty, len, tail @ ..] = rest {
        let n = usize::from(*len % 21).min(tail.len());
        msgs.push(ControlMessage::new(i32::from(*level), i32::from(*ty), &tail[..n]));
        rest = &tail[n..];
    }
    let cap = usize::from(cap);
    let mut out = vec![0xCCu8; cap];
    let layout = cmsg::encode(&msgs, &mut out);
    assert!(layout.len <= cap);
    assert_eq!(layout.truncated, layout.fit < msgs.len());
    let parsed = cmsg::parse(&out[..layout.len]).expect("what encode writes parses");
    assert_eq!(parsed.len(), layout.fit);
    for (p, m) in parsed.iter().zip(&msgs) {
        assert_eq!((p.level, p.ty, p.data), (m.level, m.ty, m.data()));
    }
    let used: usize = msgs[..layout.fit].iter().map(|m| cmsg::cmsg_space(m.data().len())).sum();
    assert_eq!(used, layout.len);
    if layout.truncated {
        assert!(layout.len + cmsg::cmsg_space(msgs[layout.fit].data().len()) > cap);
    }
});
