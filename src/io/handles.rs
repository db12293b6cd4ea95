//! One handle namespace for every kernel object of a simulation, as on Windows: a socket, an
//! event, a completion port and a thread handle are all HANDLE values from the same table, so
//! passing an event to recv is WSAENOTSOCK and a socket to SetEvent is ERROR_INVALID_HANDLE.

use slab::Slab;

use crate::net::ports::SockKey;
use crate::sched::thread::ThreadId;

/// The first handle value; handles are multiples of 4, as kernel handles are, and a closed
/// handle's value is reused by the next object.
pub(crate) const HANDLE_BASE: usize = 0x100;

/// What a handle refers to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    Socket(SockKey),
    Event(u64),
    Port(u64),
    Thread(ThreadId),
}

#[derive(Debug, Default)]
pub(crate) struct Handles {
    table: Slab<Object>,
}

impl Handles {
    /// A new handle for `obj`.
    pub fn insert(&mut self, obj: Object) -> usize {
        HANDLE_BASE + 4 * self.table.insert(obj)
    }

    #[inline]
    fn slot(h: usize) -> Option<usize> {
        h.checked_sub(HANDLE_BASE)
            .filter(|d| d % 4 == 0)
            .map(|d| d / 4)
    }

    /// The object behind `h`.
    #[inline]
    pub fn get(&self, h: usize) -> Option<Object> {
        self.table.get(Self::slot(h)?).copied()
    }

    /// Closes `h`, returning what it referred to.
    pub fn remove(&mut self, h: usize) -> Option<Object> {
        let slot = Self::slot(h)?;
        self.table.contains(slot).then(|| self.table.remove(slot))
    }
}

impl crate::stack::World {
    /// Closes an event, port or thread handle (CloseHandle, WSACloseEvent, the safe API's
    /// drops). Threads waiting on a closed port fail with ERROR_ABANDONED_WAIT_0; a request
    /// that names a closed event just has no event to set. False if `h` is no such handle.
    pub fn close_object(&mut self, h: usize) -> bool {
        match self.handles.get(h) {
            Some(Object::Event(id)) => {
                self.handles.remove(h);
                self.events.remove(&id);
            }
            Some(Object::Port(id)) => {
                self.handles.remove(h);
                if let Some(p) = self.cports.get_mut(&id) {
                    p.closed = true;
                }
            }
            Some(Object::Thread(_)) => {
                self.handles.remove(h);
            }
            Some(Object::Socket(_)) | None => return false,
        }
        self.sched.wake_all();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_multiples_of_four_and_reused() {
        let mut h = Handles::default();
        let a = h.insert(Object::Event(1));
        let b = h.insert(Object::Port(2));
        assert_eq!((a, b), (0x100, 0x104));
        assert_eq!(h.remove(a), Some(Object::Event(1)));
        assert_eq!(h.get(a), None);
        assert_eq!(h.insert(Object::Event(3)), a);
        assert_eq!(h.get(0x102), None);
        assert_eq!(h.get(0), None);
    }
}
