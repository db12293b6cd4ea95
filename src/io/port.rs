//! I/O completion ports.

use std::collections::VecDeque;

use super::handles::Object;
use super::status::NtStatus;
use crate::error::{Errno, Result};
use crate::stack::World;

/// One completion packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Packet {
    pub key: usize,
    pub bytes: u32,
    pub overlapped: usize,
    pub status: NtStatus,
}

/// A completion port: packets first in first out, waiting threads last in first out (the
/// thread that waited last is woken first, as Windows does to keep caches warm).
#[derive(Debug, Default)]
pub(crate) struct CompletionPort {
    pub queue: VecDeque<Packet>,
    /// Tickets of threads waiting in GetQueuedCompletionStatus(Ex), oldest first.
    pub waiters: Vec<u64>,
    /// The handle was closed: waiters fail with ERROR_ABANDONED_WAIT_0.
    pub closed: bool,
}

impl World {
    /// CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, ...).
    pub fn create_port(&mut self) -> usize {
        let id = self.next_object_id();
        self.cports.insert(id, CompletionPort::default());
        self.handles.insert(Object::Port(id))
    }

    pub fn port_id(&self, h: usize) -> Option<u64> {
        match self.handles.get(h) {
            Some(Object::Port(id)) => Some(id),
            _ => None,
        }
    }

    /// CreateIoCompletionPort(socket, port, key, ...): a handle belongs to one port at most
    /// (ERROR_INVALID_PARAMETER for a second).
    pub fn associate(
        &mut self,
        socket: usize,
        port: usize,
        key: usize,
    ) -> core::result::Result<(), u32> {
        use windows_sys::Win32::Foundation::{ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER};
        let port_id = self.port_id(port).ok_or(ERROR_INVALID_HANDLE)?;
        let sock = self.sock_mut(socket).map_err(|_| ERROR_INVALID_HANDLE)?;
        if sock.port.is_some() {
            return Err(ERROR_INVALID_PARAMETER);
        }
        sock.port = Some((port_id, key));
        Ok(())
    }

    /// Queues a packet; false if the port is gone.
    pub fn post_packet(&mut self, port_id: u64, p: Packet) -> bool {
        match self.cports.get_mut(&port_id) {
            Some(port) if !port.closed => {
                port.queue.push_back(p);
                self.sched.wake_all();
                true
            }
            _ => false,
        }
    }

    /// PostQueuedCompletionStatus.
    pub fn post_to_port(
        &mut self,
        port: usize,
        bytes: u32,
        key: usize,
        overlapped: usize,
    ) -> Result<()> {
        let id = self.port_id(port).ok_or(Errno::InvalidHandle)?;
        let ok = self.post_packet(
            id,
            Packet {
                key,
                bytes,
                overlapped,
                status: NtStatus::SUCCESS,
            },
        );
        if ok {
            Ok(())
        } else {
            Err(Errno::InvalidHandle)
        }
    }
}
