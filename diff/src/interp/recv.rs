//! The receive step: recv, recvfrom, WSARecv, WSARecvFrom and WSARecvMsg, synchronous or
//! overlapped, with whatever buffer layout the scenario gives (NULL pointers included).

use std::mem::size_of;

use super::mem::{last_error, FILL};
use super::req::{Req, ReqKind, UNWRITTEN};
use super::Interp;
use crate::platform::{api, k32};
use crate::scenario::{Buf, Overlapped, RecvApi};
use crate::trace::Record;

type RecvMsgFn = unsafe extern "system" fn(
    api::SOCKET,
    *mut api::WSAMSG,
    *mut u32,
    *mut k32::OVERLAPPED,
    api::LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32;

/// A receive's arguments, as the scenario gives them.
pub(super) struct RecvSpec<'a> {
    pub api: RecvApi,
    pub bufs: &'a [Buf],
    pub flags: u32,
    pub name: Option<Buf>,
    pub control: Option<Buf>,
    pub count: bool,
    pub overlapped: Option<&'a Overlapped>,
    pub null_msg: bool,
    pub summary: bool,
}

impl Interp<'_> {
    fn recvmsg_fn(&self, s: api::SOCKET) -> Option<RecvMsgFn> {
        let guid = api::WSAID_WSARECVMSG;
        let mut f: api::LPFN_WSARECVMSG = None;
        let mut n = 0u32;
        // SAFETY: valid locals of the sizes given.
        unsafe {
            api::WSAIoctl(
                s,
                api::SIO_GET_EXTENSION_FUNCTION_POINTER,
                &guid as *const _ as *const core::ffi::c_void,
                16, // sizeof(GUID)
                &mut f as *mut _ as *mut core::ffi::c_void,
                size_of::<api::LPFN_WSARECVMSG>() as u32,
                &mut n,
                std::ptr::null_mut(),
                None,
            )
        };
        f
    }

    /// A receive, synchronous or overlapped.
    pub(super) unsafe fn recv(&mut self, r: &mut Record, s: api::SOCKET, spec: RecvSpec<'_>) {
        let which = spec.api;
        let memory = spec
            .bufs
            .iter()
            .map(|b| {
                vec![
                    FILL;
                    if b.null {
                        0
                    } else {
                        b.len.clamp(0, 1 << 20) as usize
                    }
                ]
                .into_boxed_slice()
            })
            .collect();
        let mut q = Req::new(s, ReqKind::Recv(which), memory);
        q.summary = spec.summary;
        q.point(
            &spec
                .bufs
                .iter()
                .map(|b| (b.len, b.null))
                .collect::<Vec<_>>(),
        );
        *q.namelen = spec.name.map_or(0, |n| n.len as i32);
        q.control = vec![
            FILL;
            spec.control.map_or(0, |c| if c.null {
                0
            } else {
                c.len.clamp(0, 1 << 16) as usize
            })
        ]
        .into_boxed_slice();
        *q.flags = spec.flags;
        let name_ptr = match spec.name {
            Some(n) if !n.null => q.name.as_mut_ptr() as *mut api::SOCKADDR,
            _ => std::ptr::null_mut(),
        };
        let namelen_ptr: *mut i32 = if spec.name.is_some() {
            &mut *q.namelen
        } else {
            std::ptr::null_mut()
        };
        *q.msg = api::WSAMSG {
            name: name_ptr,
            namelen: spec.name.map_or(0, |n| n.len as i32),
            lpBuffers: q.wsabufs.as_mut_ptr(),
            dwBufferCount: q.wsabufs.len() as u32,
            Control: api::WSABUF {
                len: spec.control.map_or(0, |c| c.len as u32),
                buf: match spec.control {
                    Some(c) if !c.null => q.control.as_mut_ptr(),
                    _ => std::ptr::null_mut(),
                },
            },
            dwFlags: spec.flags,
        };
        let (ovp, rt) = self.overlapped_args(&mut q, spec.overlapped);
        let np: *mut u32 = if spec.count {
            &mut *q.count
        } else {
            std::ptr::null_mut()
        };
        let b0 = q.wsabufs.first().map_or(std::ptr::null_mut(), |b| b.buf);
        let l0 = spec.bufs.first().map_or(0, |b| b.len as i32);
        let flags = spec.flags;
        // SAFETY: every pointer is the request's boxed memory (or NULL where the scenario
        // says), with the lengths the scenario gives; the boxes outlive the request.
        let ret = unsafe {
            match which {
                RecvApi::Recv => api::recv(s, b0, l0, flags as i32),
                RecvApi::Recvfrom => api::recvfrom(s, b0, l0, flags as i32, name_ptr, namelen_ptr),
                RecvApi::Wsarecv => api::WSARecv(
                    s,
                    q.wsabufs.as_ptr(),
                    q.wsabufs.len() as u32,
                    np,
                    &mut *q.flags,
                    ovp,
                    rt,
                ),
                RecvApi::Wsarecvfrom => api::WSARecvFrom(
                    s,
                    q.wsabufs.as_ptr(),
                    q.wsabufs.len() as u32,
                    np,
                    &mut *q.flags,
                    name_ptr,
                    namelen_ptr,
                    ovp,
                    rt,
                ),
                RecvApi::Wsarecvmsg => match self.recvmsg_fn(s) {
                    Some(f) => f(
                        s,
                        if spec.null_msg {
                            std::ptr::null_mut()
                        } else {
                            &mut *q.msg
                        },
                        np,
                        ovp,
                        rt,
                    ),
                    None => api::SOCKET_ERROR,
                },
            }
        };
        r.ret = i64::from(ret);
        if ret == api::SOCKET_ERROR {
            r.error = last_error();
        }
        let pending = ret == api::SOCKET_ERROR && r.error == api::WSA_IO_PENDING;
        if spec.count && *q.count != UNWRITTEN {
            r.bytes = Some(u64::from(*q.count));
        }
        if !pending {
            // What the call wrote at once (for a pending request: at `result`).
            self.describe(r, &q, spec.name.is_some());
        }
        self.keep(q, spec.overlapped);
    }
}
