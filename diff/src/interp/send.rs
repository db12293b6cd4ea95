//! The send step: sendto / send, WSASendTo and WSASendMsg (gathered buffers, a source
//! address chosen by an IP_PKTINFO control message), synchronous or overlapped.

use std::net::SocketAddr;

use super::mem::{raw, ws};
use super::req::{Req, ReqKind, UNWRITTEN};
use super::Interp;
use crate::platform::api;
use crate::scenario::{Overlapped, SendApi};
use crate::trace::Record;

/// A send's arguments, as the scenario gives them.
pub(super) struct SendSpec<'a> {
    pub api: SendApi,
    pub to: Option<SocketAddr>,
    pub payload: Vec<u8>,
    pub gather: Option<&'a [usize]>,
    pub src: Option<SocketAddr>,
    pub null_msg: bool,
    pub count: bool,
    pub overlapped: Option<&'a Overlapped>,
}

/// A WSACMSGHDR followed by `data`, padded to 8 bytes.
fn cmsg(level: i32, ty: i32, data: &[u8]) -> Vec<u8> {
    let hdr = std::mem::size_of::<usize>() + 8;
    let mut out = Vec::new();
    out.extend_from_slice(&(hdr + data.len()).to_le_bytes());
    out.extend_from_slice(&level.to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(data);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out
}

/// The IP_PKTINFO / IPV6_PKTINFO control message naming `src` (interface 0).
fn pktinfo(src: SocketAddr) -> Vec<u8> {
    match src {
        SocketAddr::V4(a) => {
            let mut d = a.ip().octets().to_vec();
            d.extend_from_slice(&0u32.to_le_bytes());
            cmsg(api::IPPROTO_IP, api::IP_PKTINFO, &d)
        }
        SocketAddr::V6(a) => {
            let mut d = a.ip().octets().to_vec();
            d.extend_from_slice(&0u32.to_le_bytes());
            cmsg(api::IPPROTO_IPV6, api::IPV6_PKTINFO, &d)
        }
    }
}

impl Interp<'_> {
    /// A send.
    pub(super) unsafe fn send(&mut self, r: &mut Record, s: api::SOCKET, spec: SendSpec<'_>) {
        let len = spec.payload.len();
        let lens = spec.gather.map_or_else(|| vec![len], <[usize]>::to_vec);
        let mut at = 0;
        let pieces = lens
            .iter()
            .map(|&n| {
                let end = (at + n).min(len);
                let piece = spec.payload[at.min(end)..end].to_vec().into_boxed_slice();
                at = end;
                piece
            })
            .collect();
        let mut q = Req::new(s, ReqKind::Send, pieces);
        q.point(&lens.iter().map(|&n| (n as i64, false)).collect::<Vec<_>>());
        if let Some(src) = spec.src {
            q.control = pktinfo(src).into_boxed_slice();
        }
        let dest = spec.to.map(raw);
        let (dp, dl) = dest.as_ref().map_or((std::ptr::null(), 0), |(b, l)| {
            (b.as_ptr() as *const api::SOCKADDR, *l)
        });
        let (ovp, rt) = self.overlapped_args(&mut q, spec.overlapped);
        let np: *mut u32 = if spec.count {
            &mut *q.count
        } else {
            std::ptr::null_mut()
        };
        // SAFETY: the request's boxed memory and locals that outlive the calls; the
        // destination and control buffers are read during the call.
        (r.ret, r.error) = unsafe {
            match spec.api {
                SendApi::Sendto => ws(if dest.is_some() {
                    api::sendto(s, spec.payload.as_ptr(), len as i32, 0, dp, dl)
                } else {
                    api::send(s, spec.payload.as_ptr(), len as i32, 0)
                }),
                SendApi::Wsasendto => ws(api::WSASendTo(
                    s,
                    q.wsabufs.as_ptr(),
                    q.wsabufs.len() as u32,
                    np,
                    0,
                    dp,
                    dl,
                    ovp,
                    rt,
                )),
                SendApi::Wsasendmsg => {
                    *q.msg = api::WSAMSG {
                        name: dp as *mut api::SOCKADDR,
                        namelen: dl,
                        lpBuffers: q.wsabufs.as_mut_ptr(),
                        dwBufferCount: q.wsabufs.len() as u32,
                        Control: api::WSABUF {
                            len: q.control.len() as u32,
                            buf: if q.control.is_empty() {
                                std::ptr::null_mut()
                            } else {
                                q.control.as_mut_ptr()
                            },
                        },
                        dwFlags: 0,
                    };
                    let m: *const api::WSAMSG = if spec.null_msg {
                        std::ptr::null()
                    } else {
                        &*q.msg
                    };
                    ws(api::WSASendMsg(s, m, 0, np, ovp, rt))
                }
            }
        };
        if spec.count && *q.count != UNWRITTEN {
            r.bytes = Some(u64::from(*q.count));
        }
        self.keep(q, spec.overlapped);
    }
}
