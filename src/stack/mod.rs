//! The simulated stack: all state of one simulation and the operations on it. Everything here
//! is safe Rust and reports caller errors as [`Errno`] values; the `ws2` face and the safe API
//! both call into it with the simulation's lock held.

mod circuit;
mod control;
mod deliver;
mod lifecycle;
mod names;
mod recv;
mod recv_plain;
mod route_cache;
mod send;

use std::collections::BTreeMap;
use std::time::Duration;

use slab::Slab;

use std::collections::BTreeMap as Map;

use crate::diag::{Diagnostic, DiagnosticRecord};
use crate::error::{Errno, Result};
use crate::io::event::Event as SimEvent;
use crate::io::handles::{Handles, Object};
use crate::io::idmap::IdMap;
use crate::io::port::CompletionPort;
use crate::io::request::Request;
use crate::io::status::{CancelledError, CloseStatus};
use crate::ledger::{DropReason, DropRecord, Ledger};
use crate::net::fault::FaultRule;
use crate::net::packet::DatagramId;
use crate::net::ports::{PortTable, SockKey};
use crate::net::topology::{Host, HostId};
use crate::net::PathProps;
use crate::sched::choice::{Choices, Chooser};
use crate::sched::rng::Rng;
use crate::sched::thread::{SimThread, ThreadId, Threads};
use crate::sched::{Advance, Sched};
use crate::socket::Socket;
use crate::trace::{Event, Trace};

pub(crate) use circuit::Disconnect;
pub(crate) use lifecycle::resolve as lifecycle_resolve;
pub(crate) use recv::{
    recv_one, take_of, NameReq, Out, RecvArgs, RecvOk, RecvPoll, Take, MSG_PEEK,
};
pub(crate) use recv_plain::Plain;
pub(crate) use route_cache::CachedRoute;
pub(crate) use send::{Dest, SendArgs};

/// Settings fixed when a simulation is built.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub trace: bool,
    /// Hosts answer datagrams to unbound ports with ICMP port unreachable (as Windows does on
    /// loopback and on networks that do not filter ICMP).
    pub port_unreachable: bool,
    pub default_rcvbuf: u32,
    pub lan_latency: Duration,
    pub paths: BTreeMap<(HostId, HostId), PathProps>,
    /// How choices Windows leaves open are made.
    pub choices: Choices,
    /// The Winsock error of a cancelled request.
    pub cancelled_error: CancelledError,
    /// The status closesocket gives pending receives.
    pub close_status: CloseStatus,
    /// Overlapped requests one socket may have outstanding before WSAEWOULDBLOCK.
    pub max_outstanding: usize,
    /// The simulator's reliable message protocols are in the catalogue.
    pub message_protocols: bool,
    /// Whose behaviour to reproduce.
    pub personality: Personality,
}

impl Config {
    /// The simulation reproduces Wine 8 (CONTRACT.md, section W).
    pub fn wine8(&self) -> bool {
        self.personality == Personality::Wine8
    }
}

/// Whose behaviour the simulation reproduces where implementations differ.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Personality {
    /// Real Windows (the default): Windows' own behaviour, as Wine's conformance tests assert
    /// it on Windows, then Microsoft's documentation.
    #[default]
    Windows,
    /// Wine 8.0 (Debian bookworm's wine64), as the differential executor observes it.
    Wine8,
}

/// Closures the safe API runs as completion routines, by id.
#[derive(Default)]
pub(crate) struct Callbacks(Map<u64, Box<dyn FnOnce() + Send>>);

impl Callbacks {
    pub fn insert(&mut self, id: u64, f: Box<dyn FnOnce() + Send>) {
        self.0.insert(id, f);
    }

    pub fn remove(&mut self, id: u64) -> Option<Box<dyn FnOnce() + Send>> {
        self.0.remove(&id)
    }
}

impl core::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// The whole state of a simulation.
#[derive(Debug)]
pub(crate) struct World {
    pub cfg: Config,
    pub sched: Sched,
    pub rng: Rng,
    pub hosts: Vec<Host>,
    pub faults: Vec<FaultRule>,
    pub bindings: PortTable,
    pub sockets: Slab<Socket>,
    pub handles: Handles,
    pub events: Map<u64, SimEvent>,
    pub cports: Map<u64, CompletionPort>,
    pub threads: Threads,
    pub requests: IdMap<Request>,
    /// Completions whose routines a provider runs itself (WPUQueueApc).
    pub provider_apcs: crate::io::upcall::ProviderApcs,
    /// The WPUQueueApc upcall the base provider was given at WSPStartup.
    pub base_queue_apc: crate::io::upcall::QueueApcOpt,
    /// The protocol catalogue and the providers started from it.
    pub catalog: crate::catalog::Catalog,
    /// The safe API's completion closures, by id (see [`crate::sched::thread::Routine`]).
    pub callbacks: Callbacks,
    pub chooser: Chooser,
    next_object: u64,
    next_request: u64,
    next_thread: u32,
    next_generation: u64,
    next_datagram: u64,
    /// Moves whenever a cached route may have become wrong (see `route_cache`).
    pub route_epoch: u64,
    pub ledger: Ledger,
    pub trace: Trace,
    /// What was sent, when `SimBuilder::capture` is on (`net::capture`).
    pub capture: Option<Vec<crate::net::capture::Captured>>,
    pub diagnostics: Vec<DiagnosticRecord>,
    /// WSAStartup reference count.
    pub startup: u32,
    /// A panic was caught at the face: the state can no longer be trusted.
    pub broken: bool,
}

impl World {
    pub fn new(cfg: Config, seed: u64, hosts: Vec<Host>, faults: Vec<FaultRule>) -> Self {
        World {
            chooser: Chooser::new(cfg.choices.clone(), seed),
            handles: Handles::default(),
            events: Map::new(),
            cports: Map::new(),
            threads: Threads::default(),
            requests: IdMap::new(),
            catalog: crate::catalog::Catalog::new(cfg.message_protocols, cfg.wine8()),
            provider_apcs: Default::default(),
            base_queue_apc: None,
            callbacks: Callbacks::default(),
            next_object: 0,
            next_request: 0,
            next_thread: 0,
            trace: Trace::new(cfg.trace),
            capture: None,
            cfg,
            sched: Sched::default(),
            rng: Rng::new(seed),
            hosts,
            faults,
            bindings: PortTable::default(),
            sockets: Slab::new(),
            next_generation: 0,
            next_datagram: 0,
            route_epoch: 0,
            ledger: Ledger::default(),
            diagnostics: Vec::new(),
            startup: 0,
            broken: false,
        }
    }

    pub fn now(&self) -> crate::sched::time::Instant {
        self.sched.now
    }

    #[inline]
    pub fn record(&mut self, event: impl FnOnce() -> Event) {
        self.trace.push(self.sched.now, event);
    }

    pub fn diagnose(&mut self, d: Diagnostic) {
        let text = d.to_string();
        self.record(|| Event::Diagnostic { text });
        self.diagnostics.push(DiagnosticRecord {
            time: self.sched.now,
            diagnostic: d,
        });
    }

    fn new_datagram_id(&mut self) -> DatagramId {
        self.next_datagram += 1;
        DatagramId(self.next_datagram)
    }

    pub fn drop_datagram(&mut self, datagram: DatagramId, host: HostId, reason: DropReason) {
        self.record(|| Event::Drop { datagram, reason });
        self.ledger.drops.push(DropRecord {
            time: self.sched.now,
            datagram,
            host,
            reason,
        });
    }

    pub fn host(&self, id: HostId) -> &Host {
        &self.hosts[id.0 as usize]
    }

    pub fn host_mut(&mut self, id: HostId) -> &mut Host {
        &mut self.hosts[id.0 as usize]
    }

    pub fn path(&self, from: HostId, to: HostId) -> PathProps {
        if from == to {
            return PathProps::direct(Duration::ZERO);
        }
        self.cfg
            .paths
            .get(&(from, to))
            .copied()
            .unwrap_or(PathProps::direct(self.cfg.lan_latency))
    }

    /// The socket behind a handle: WSAENOTSOCK for anything else.
    pub fn key_of(&self, handle: usize) -> Result<SockKey> {
        match self.handles.get(handle) {
            Some(Object::Socket(key)) if self.sock_by_key(key).is_some() => Ok(key),
            _ => Err(Errno::NotSock),
        }
    }

    /// A fresh id for an event, port or request.
    /// The next overlapped receive's number (1, 2, ...): its key in `requests` and its name
    /// in the trace.
    pub fn next_request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    pub fn next_object_id(&mut self) -> u64 {
        self.next_object += 1;
        self.next_object
    }

    /// Registers a new simulated thread.
    pub fn new_thread(&mut self) -> ThreadId {
        self.next_thread += 1;
        let t = ThreadId(self.next_thread);
        self.threads.insert(t, SimThread::new());
        t
    }

    /// A handle for thread `tid` (the ThreadHandle of its WSATHREADID), made once.
    pub fn thread_handle(&mut self, tid: ThreadId) -> usize {
        match self.threads.get(&tid).map(|t| t.handle) {
            Some(h) if h != 0 => h,
            Some(_) => {
                let h = self.handles.insert(Object::Thread(tid));
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.handle = h;
                }
                h
            }
            None => 0,
        }
    }

    pub fn sock(&self, handle: usize) -> Result<&Socket> {
        let key = self.key_of(handle)?;
        Ok(&self.sockets[key.slot])
    }

    pub fn sock_mut(&mut self, handle: usize) -> Result<&mut Socket> {
        let key = self.key_of(handle)?;
        Ok(&mut self.sockets[key.slot])
    }

    /// The socket for a key, if it still exists (a closed socket's slot may hold a new one).
    pub fn sock_by_key(&self, key: SockKey) -> Option<&Socket> {
        self.sockets.get(key.slot).filter(|s| s.key == key)
    }

    pub fn sock_by_key_mut(&mut self, key: SockKey) -> Option<&mut Socket> {
        self.sockets.get_mut(key.slot).filter(|s| s.key == key)
    }

    /// Runs every timer that is due now.
    #[inline]
    pub fn run_due(&mut self) {
        while let Some(t) = self.sched.pop_due() {
            self.fire(t);
        }
    }

    /// Moves virtual time to `to` (if later), running timers on the way in order.
    pub fn advance_to(&mut self, to: crate::sched::time::Instant) {
        loop {
            match self.sched.next_timer() {
                Some(at) if at <= to => {
                    if at > self.sched.now {
                        self.sched.now = at;
                        self.record(|| Event::Advance { to: at });
                    }
                    self.run_due();
                }
                _ => break,
            }
        }
        if to > self.sched.now {
            self.sched.now = to;
            self.record(|| Event::Advance { to });
        }
        self.sched.wake_all();
    }

    /// If every participating thread is blocked, moves time on or declares a deadlock.
    /// Returns whether anything changed (the caller then wakes the waiting threads).
    pub fn maybe_advance(&mut self) -> bool {
        if !self.provider_apcs.deferred.is_empty() {
            // Upcalls still to make: whoever holds the lock makes them before it blocks.
            return false;
        }
        match self.sched.decide() {
            Advance::NotAllBlocked => false,
            Advance::To(t) => {
                self.advance_to(t);
                true
            }
            Advance::Deadlock => {
                self.sched.declare_deadlock();
                true
            }
        }
    }

    fn next_generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }
}
