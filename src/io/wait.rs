//! Waiting on events and completion ports from several threads, deterministically: a waiter
//! registers a ticket, and only the waiter whose turn it is may consume what it waits for
//! (the first waiter of an auto-reset event; the last waiter of a completion port).
//! Without tickets, whichever OS thread happened to run first would win.

use super::port::Packet;
use crate::stack::World;

/// What a poll of a completion port found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PortPoll {
    /// Packets for this waiter (at most the number it asked for).
    Packets(Vec<Packet>),
    /// The port was closed (ERROR_ABANDONED_WAIT_0).
    Abandoned,
    /// Nothing for this waiter now.
    Nothing,
}

impl World {
    /// A fresh waiter ticket.
    pub fn new_ticket(&mut self) -> u64 {
        self.next_object_id()
    }

    /// Queues `ticket` on each auto-reset event among `events`.
    pub fn register_event_waits(&mut self, events: &[u64], ticket: u64) {
        for id in events {
            if let Some(e) = self.events.get_mut(id) {
                if !e.manual_reset && !e.waiters.contains(&ticket) {
                    e.waiters.push_back(ticket);
                }
            }
        }
    }

    pub fn unregister_event_waits(&mut self, events: &[u64], ticket: u64) {
        for id in events {
            if let Some(e) = self.events.get_mut(id) {
                e.waiters.retain(|t| *t != ticket);
            }
        }
        self.sched.wake_all();
    }

    fn event_ready(&self, id: u64, ticket: u64) -> bool {
        self.events
            .get(&id)
            .is_some_and(|e| e.signaled && (e.manual_reset || e.waiters.front() == Some(&ticket)))
    }

    fn consume(&mut self, id: u64) {
        if let Some(e) = self.events.get_mut(&id) {
            if !e.manual_reset {
                e.signaled = false;
            }
        }
    }

    /// A wait on events: wait-any gives the lowest index that is signaled for this waiter;
    /// wait-all needs every one. Auto-reset events are reset by the wait they satisfy.
    pub fn poll_events(&mut self, events: &[u64], wait_all: bool, ticket: u64) -> Option<usize> {
        if wait_all {
            if events.iter().all(|&id| self.event_ready(id, ticket)) {
                for &id in events {
                    self.consume(id);
                }
                return Some(0);
            }
            return None;
        }
        let i = events.iter().position(|&id| self.event_ready(id, ticket))?;
        self.consume(events[i]);
        Some(i)
    }

    pub fn register_port_wait(&mut self, port: u64, ticket: u64) {
        if let Some(p) = self.cports.get_mut(&port) {
            p.waiters.push(ticket);
        }
    }

    pub fn unregister_port_wait(&mut self, port: u64, ticket: u64) {
        if let Some(p) = self.cports.get_mut(&port) {
            p.waiters.retain(|t| *t != ticket);
        }
        self.sched.wake_all();
    }

    /// Up to `max` packets, if it is this waiter's turn.
    pub fn poll_port(&mut self, port: u64, ticket: u64, max: usize) -> PortPoll {
        let Some(p) = self.cports.get_mut(&port) else {
            return PortPoll::Abandoned;
        };
        if p.closed {
            return PortPoll::Abandoned;
        }
        if p.queue.is_empty() || p.waiters.last() != Some(&ticket) {
            return PortPoll::Nothing;
        }
        let n = max.min(p.queue.len());
        PortPoll::Packets(p.queue.drain(..n).collect())
    }
}
