//! Overlapped requests: the memory a real Winsock may write after the call returns, kept
//! in boxes until the end of the scenario, and WSAGetOverlappedResult on it.

use std::mem::zeroed;

use super::mem::{hex, last_error, parse, written};
use super::{routine, Interp};
use crate::platform::{api, k32};
use crate::scenario::{Overlapped, RecvApi};
use crate::trace::Record;

/// The byte-count variable's value before a call.
pub(super) const UNWRITTEN: u32 = 0xDEAD_BEEF;

/// What a request does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum ReqKind {
    Recv(RecvApi),
    Send,
    Ioctl,
}

/// A request's memory: every part a Winsock may write later is a box of its own, so the
/// request itself may move.
pub(super) struct Req {
    pub sock: api::SOCKET,
    pub kind: ReqKind,
    pub bufs: Vec<Box<[u8]>>,
    pub wsabufs: Box<[api::WSABUF]>,
    pub name: Box<[u8; 128]>,
    pub namelen: Box<i32>,
    pub control: Box<[u8]>,
    pub msg: Box<api::WSAMSG>,
    pub flags: Box<u32>,
    pub ov: Box<k32::OVERLAPPED>,
    /// The byte-count variable whose address the call got (a real Winsock must not write
    /// it after a pending call returns; it is kept alive and reported by `result`).
    pub count: Box<u32>,
    /// Report buffers as "length:first byte".
    pub summary: bool,
}

impl Req {
    /// A request on `sock` with buffers holding `bufs` (each its contents).
    pub fn new(sock: api::SOCKET, kind: ReqKind, bufs: Vec<Box<[u8]>>) -> Req {
        // SAFETY: WSAMSG and OVERLAPPED are plain C structures; all zeroes is valid.
        let (msg, ov) = unsafe { (zeroed(), zeroed()) };
        Req {
            sock,
            kind,
            bufs,
            wsabufs: Vec::new().into_boxed_slice(),
            name: Box::new([super::mem::FILL; 128]),
            namelen: Box::new(0),
            control: Vec::new().into_boxed_slice(),
            msg: Box::new(msg),
            flags: Box::new(0),
            ov: Box::new(ov),
            count: Box::new(UNWRITTEN),
            summary: false,
        }
    }

    /// WSABUFs over the buffers, with the lengths given (which may claim more or less than
    /// the memory, and NULL where `null`).
    pub fn point(&mut self, lens: &[(i64, bool)]) {
        self.wsabufs = self
            .bufs
            .iter_mut()
            .zip(lens)
            .map(|(m, &(len, null))| api::WSABUF {
                len: len as u32,
                buf: if null {
                    std::ptr::null_mut()
                } else {
                    m.as_mut_ptr()
                },
            })
            .collect();
    }
}

impl Interp<'_> {
    /// The OVERLAPPED and routine arguments `o` asks for, filling the request's OVERLAPPED.
    pub(super) fn overlapped_args(
        &self,
        q: &mut Req,
        o: Option<&Overlapped>,
    ) -> (
        *mut k32::OVERLAPPED,
        api::LPWSAOVERLAPPED_COMPLETION_ROUTINE,
    ) {
        let Some(o) = o else {
            return (std::ptr::null_mut(), None);
        };
        if let Some(e) = &o.event {
            q.ov.hEvent = (self.events[e] as usize | usize::from(o.low_bit)) as k32::HANDLE;
        } else if o.low_bit {
            q.ov.hEvent = 1 as k32::HANDLE;
        }
        q.ov.InternalHigh = 0x5A5A;
        let rt: api::LPWSAOVERLAPPED_COMPLETION_ROUTINE =
            if o.routine { Some(routine) } else { None };
        if o.null {
            (std::ptr::null_mut(), rt)
        } else {
            (&mut *q.ov, rt)
        }
    }

    /// After the call: the WSABUF array overwritten if the scenario asks, the request kept
    /// if it is overlapped (numbered in posting order).
    pub(super) fn keep(&mut self, mut q: Req, o: Option<&Overlapped>) {
        if let Some(o) = o {
            if o.clobber {
                for b in q.wsabufs.iter_mut() {
                    *b = api::WSABUF {
                        len: 0,
                        buf: std::ptr::null_mut(),
                    };
                }
            }
            self.reqs.push(q);
        }
    }

    /// The buffers, name, control and flags a receive's memory holds.
    pub(super) fn describe(&self, r: &mut Record, q: &Req, with_name: bool) {
        let ReqKind::Recv(which) = q.kind else {
            return;
        };
        r.data = Some(
            q.bufs
                .iter()
                .map(|b| {
                    let w = written(b);
                    if q.summary {
                        w.first()
                            .map_or("0".to_string(), |x| format!("{}:{x:02x}", w.len()))
                    } else {
                        hex(w)
                    }
                })
                .collect(),
        );
        let namelen = if which == RecvApi::Wsarecvmsg {
            q.msg.namelen
        } else {
            *q.namelen
        };
        if with_name {
            r.namelen = Some(namelen);
            r.from = parse(&q.name[..], namelen).map(|a| self.name_of(a));
        }
        match which {
            RecvApi::Wsarecvmsg => {
                let len = q.msg.Control.len;
                r.control_len = Some(len);
                r.control = Some(hex(&q.control[..(len as usize).min(q.control.len())]));
                r.flags = Some(q.msg.dwFlags);
            }
            RecvApi::Wsarecv | RecvApi::Wsarecvfrom => r.flags = Some(*q.flags),
            _ => {}
        }
    }

    /// WSAGetOverlappedResult for request `req`, with the request's OVERLAPPED and memory.
    pub(super) unsafe fn result(&mut self, r: &mut Record, req: usize, wait: bool) {
        let q = &self.reqs[req];
        let (mut bytes, mut flags) = (0xDEAD_u32, 0xBEEF_u32);
        // SAFETY: the request's own OVERLAPPED and locals.
        let ret = unsafe {
            api::WSAGetOverlappedResult(q.sock, &*q.ov, &mut bytes, i32::from(wait), &mut flags)
        };
        let err = if ret == 0 { last_error() } else { 0 };
        r.ret = i64::from(ret);
        r.error = err;
        r.bytes = (bytes != 0xDEAD).then_some(u64::from(bytes));
        r.internal = Some(format!("{:#x}", q.ov.Internal));
        r.internal_high = Some(q.ov.InternalHigh as u64);
        let with_name = *q.namelen != 0 || !q.msg.name.is_null();
        let mut d = Record::default();
        self.describe(&mut d, q, with_name);
        r.data = d.data;
        r.from = d.from;
        r.namelen = d.namelen;
        r.control = d.control;
        r.control_len = d.control_len;
        r.flags = if ret != 0 { Some(flags) } else { None };
        // The byte count the call was given, if anything wrote it since.
        r.len = (*q.count != UNWRITTEN).then_some(i64::from(*q.count));
    }
}
