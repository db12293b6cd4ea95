//! Event objects (WSACreateEvent, CreateEventW).

use std::collections::VecDeque;

use super::handles::Object;
use crate::stack::World;

/// An event.
#[derive(Debug)]
pub(crate) struct Event {
    pub manual_reset: bool,
    pub signaled: bool,
    /// Waiters on an auto-reset event, first come first served (tickets).
    pub waiters: VecDeque<u64>,
}

impl World {
    /// A new event; WSACreateEvent makes a manual-reset, non-signaled one.
    pub fn create_event(&mut self, manual_reset: bool, signaled: bool) -> usize {
        let id = self.next_object_id();
        self.events.insert(
            id,
            Event {
                manual_reset,
                signaled,
                waiters: VecDeque::new(),
            },
        );
        self.handles.insert(Object::Event(id))
    }

    /// The event behind a handle.
    pub fn event_id(&self, h: usize) -> Option<u64> {
        match self.handles.get(h) {
            Some(Object::Event(id)) => Some(id),
            _ => None,
        }
    }

    /// SetEvent / WSASetEvent: false for a handle that is not an event.
    pub fn set_event(&mut self, h: usize) -> bool {
        let Some(id) = self.event_id(h) else {
            return false;
        };
        if let Some(e) = self.events.get_mut(&id) {
            e.signaled = true;
        }
        self.sched.wake_all();
        true
    }

    /// ResetEvent / WSAResetEvent.
    pub fn reset_event(&mut self, h: usize) -> bool {
        let Some(id) = self.event_id(h) else {
            return false;
        };
        if let Some(e) = self.events.get_mut(&id) {
            e.signaled = false;
        }
        true
    }
}
