//! Events, completion ports, waits, APCs and cancellation.

use std::cell::RefCell;

use super::mem::{last_error, ws};
use super::Interp;
use crate::platform::{api, k32};
use crate::trace::{Packet, Record};

thread_local! {
    /// APCs that ran, by tag, in order.
    pub(super) static APCS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

unsafe extern "system" fn apc(tag: usize) {
    APCS.with(|a| a.borrow_mut().push(tag as u32));
}

/// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS.
const SKIP_PORT: u8 = 1;

impl Interp<'_> {
    /// The request an OVERLAPPED belongs to, or -1.
    pub(super) fn req_of(&self, ov: *const k32::OVERLAPPED) -> i64 {
        self.reqs
            .iter()
            .position(|q| std::ptr::eq(&*q.ov, ov))
            .map_or(-1, |x| x as i64)
    }

    pub(super) unsafe fn event(&mut self, r: &mut Record, id: &str, auto: bool) {
        // SAFETY: plain calls.
        let e = unsafe {
            if auto {
                k32::CreateEventW(std::ptr::null(), 0, 0, std::ptr::null())
            } else {
                api::WSACreateEvent() as k32::HANDLE
            }
        };
        r.ret = i64::from(!e.is_null());
        self.events.insert(id.to_string(), e);
    }

    pub(super) unsafe fn port(
        &mut self,
        r: &mut Record,
        id: &str,
        s: api::SOCKET,
        key: usize,
        skip: bool,
    ) {
        let existing = self.ports.get(id).copied().unwrap_or(std::ptr::null_mut());
        // SAFETY: a socket handle and a port handle (or NULL).
        let p = unsafe { k32::CreateIoCompletionPort(s as k32::HANDLE, existing, key, 0) };
        r.ret = i64::from(!p.is_null());
        if p.is_null() {
            r.error = k32::GetLastError() as i32;
        } else {
            self.ports.insert(id.to_string(), p);
            if skip {
                // SAFETY: a socket handle.
                let ok =
                    unsafe { k32::SetFileCompletionNotificationModes(s as k32::HANDLE, SKIP_PORT) };
                r.value = Some(i64::from(ok));
            }
        }
    }

    pub(super) unsafe fn wait(
        &mut self,
        r: &mut Record,
        events: &[String],
        all: bool,
        ms: u32,
        alertable: bool,
    ) {
        let hs: Vec<k32::HANDLE> = events.iter().map(|e| self.events[e]).collect();
        // SAFETY: the scenario's event handles.
        let w = unsafe {
            api::WSAWaitForMultipleEvents(
                hs.len() as u32,
                hs.as_ptr(),
                i32::from(all),
                ms,
                i32::from(alertable),
            )
        };
        r.ret = i64::from(w);
        if w == api::WSA_WAIT_FAILED {
            r.error = last_error();
        }
    }

    pub(super) unsafe fn cancel(&mut self, r: &mut Record, s: api::SOCKET, req: Option<usize>) {
        let ov = req.map_or(std::ptr::null(), |q| {
            &*self.reqs[q].ov as *const k32::OVERLAPPED
        });
        // SAFETY: a socket handle and one of its requests' OVERLAPPED (or NULL).
        let ok = unsafe { k32::CancelIoEx(s as k32::HANDLE, ov) };
        r.ret = i64::from(ok);
        if ok == 0 {
            r.error = k32::GetLastError() as i32;
        }
        self.host.settle();
    }

    pub(super) unsafe fn dequeue(
        &mut self,
        r: &mut Record,
        port: &str,
        ms: u32,
        ex: Option<u32>,
        alertable: bool,
    ) {
        let p = self.ports[port];
        let Some(count) = ex else {
            let (mut bytes, mut key) = (0xDEAD_u32, 0xDEAD_usize);
            let mut ov: *mut k32::OVERLAPPED = std::ptr::null_mut();
            // SAFETY: a port handle and locals.
            let ok =
                unsafe { k32::GetQueuedCompletionStatus(p, &mut bytes, &mut key, &mut ov, ms) };
            r.ret = i64::from(ok);
            if ok == 0 {
                r.error = k32::GetLastError() as i32;
            }
            if !ov.is_null() {
                r.packet = Some(Packet {
                    req: self.req_of(ov),
                    key: key as u64,
                    bytes,
                    status: None,
                });
            }
            return;
        };
        // SAFETY: OVERLAPPED_ENTRY is a plain C structure.
        let mut entries: Vec<k32::OVERLAPPED_ENTRY> = (0..count.max(1))
            .map(|_| unsafe { std::mem::zeroed() })
            .collect();
        let mut removed = 0xDEAD_u32;
        // SAFETY: a port handle and `count` entries (at least one, so the pointer is real).
        let ok = unsafe {
            k32::GetQueuedCompletionStatusEx(
                p,
                entries.as_mut_ptr(),
                count,
                &mut removed,
                ms,
                i32::from(alertable),
            )
        };
        r.ret = i64::from(ok);
        if ok == 0 {
            r.error = k32::GetLastError() as i32;
        }
        r.value = (removed != 0xDEAD).then_some(i64::from(removed));
        if ok != 0 {
            r.packets = Some(
                entries
                    .iter()
                    .take(removed as usize)
                    .map(|e| Packet {
                        req: self.req_of(e.lpOverlapped),
                        key: e.lpCompletionKey as u64,
                        bytes: e.dwNumberOfBytesTransferred,
                        status: Some(format!("{:#x}", e.Internal)),
                    })
                    .collect(),
            );
        }
    }

    pub(super) unsafe fn queue_apc(&mut self, r: &mut Record, tag: u32) {
        // SAFETY: the current thread's pseudo-handle and a function of the right type.
        let ok = unsafe { k32::QueueUserAPC(Some(apc), k32::GetCurrentThread(), tag as usize) };
        r.ret = i64::from(ok);
        if ok == 0 {
            r.error = k32::GetLastError() as i32;
        }
    }

    pub(super) unsafe fn last_error(&mut self, r: &mut Record, value: u32) {
        // SAFETY: plain calls.
        unsafe { api::WSASetLastError(value as i32) };
        r.value = Some(i64::from(k32::GetLastError()));
        (r.ret, r.error) = ws(0);
    }
}
