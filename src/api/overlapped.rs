//! Overlapped receives in the safe API: the same requests, events, completion ports and
//! completion routines as the `ws2` and `kernel32` faces, with owned buffers instead of
//! caller memory, so nothing here can dangle.
//!
//! ```
//! use winsock_sim::api::{Announce, Event, RecvMsgOptions, Socket, Wake};
//! use winsock_sim::{HostId, Sim};
//!
//! let sim = Sim::new();
//! let host = HostId::default();
//! let rx = Socket::bind_udp(&sim, host, "127.0.0.1:0".parse().unwrap()).unwrap();
//! let tx = Socket::bind_udp(&sim, host, "127.0.0.1:0".parse().unwrap()).unwrap();
//! let ev = Event::new(&sim, true, false);
//! let op = rx
//!     .recv_msg_overlapped(64, RecvMsgOptions::default(), Announce::event(&ev))
//!     .unwrap();
//! assert!(!op.is_complete());
//! tx.send_to(b"late", rx.local_addr().unwrap()).unwrap();
//! assert_eq!(ev.wait(None, false), Ok(Wake::Ready(())));
//! assert_eq!(op.wait().unwrap().data, b"late");
//! ```

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{msg_of, RecvMsg, RecvMsgOptions, Socket};
use crate::error::{Errno, Result};
use crate::io::port::Packet;
use crate::io::request::{Got, Notify, Posted, Sink};
use crate::io::status::{CancelledError, NtStatus};
use crate::io::wait::PortPoll;
use crate::kernel32::{dequeue, run_apcs, wait_events, EventWait};
use crate::net::topology::HostId;
use crate::sched::thread::Routine;
use crate::sched::time::Instant;
use crate::sim::block::{Wait, Waiting};
use crate::sim::thread_id;
use crate::sim::Sim;
use crate::stack::{NameReq, RecvArgs};
use crate::ws2::face::Cx;

/// What a completed overlapped receive produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The bytes copied (at most the buffer length).
    pub data: Vec<u8>,
    /// Sender, truncation, control messages and flags, as [`Socket::recv_msg`] reports them.
    pub msg: RecvMsg,
}

/// The outcome of an overlapped receive: a datagram (possibly truncated, as its `msg` says),
/// or the error the request failed with (for example WSA_OPERATION_ABORTED once cancelled,
/// WSAECONNRESET after an ICMP port unreachable).
pub type Outcome = Result<Received>;

/// A closure run as the completion routine, in the posting thread's next alertable wait.
pub type Callback = Box<dyn FnOnce(Outcome) + Send>;

/// How an overlapped receive announces its completion (the OVERLAPPED's hEvent, the
/// completion routine, and the low bit of hEvent that keeps it off the completion port).
#[derive(Default)]
pub struct Announce<'a> {
    event: Option<&'a Event>,
    routine: Option<Callback>,
    skip_port: bool,
}

impl<'a> Announce<'a> {
    /// Only through the socket's completion port, if it has one, and [`PendingRecv`].
    pub fn none() -> Announce<'static> {
        Announce::default()
    }

    /// Sets `event` at completion.
    pub fn event(event: &'a Event) -> Announce<'a> {
        Announce {
            event: Some(event),
            ..Announce::default()
        }
    }

    /// Runs `f` as the completion routine in this thread's next alertable wait
    /// ([`Sim::sleep_alertable`], an alertable [`Event::wait`] or [`CompletionPort::wait`], or
    /// SleepEx). Refused with WSAEINVAL on a socket with a completion port, as on Windows.
    pub fn routine(f: impl FnOnce(Outcome) + Send + 'static) -> Announce<'static> {
        Announce {
            routine: Some(Box::new(f)),
            ..Announce::default()
        }
    }

    /// Keeps the completion off the socket's completion port (hEvent with its low bit set).
    pub fn skip_port(mut self) -> Self {
        self.skip_port = true;
        self
    }
}

/// How a wait ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake<T> {
    /// What it waited for.
    Ready(T),
    /// The timeout passed (in virtual time).
    TimedOut,
    /// An alertable wait ran APCs (WAIT_IO_COMPLETION).
    Apcs,
}

/// A kernel event (CreateEventW / WSACreateEvent). Closed when dropped.
#[derive(Debug)]
pub struct Event {
    sim: Sim,
    handle: usize,
}

impl Event {
    /// A new event: manual-reset or auto-reset, signalled or not.
    pub fn new(sim: &Sim, manual_reset: bool, signalled: bool) -> Event {
        Event {
            sim: sim.clone(),
            handle: sim.with(|w| w.create_event(manual_reset, signalled)),
        }
    }

    /// The handle the `ws2` and `kernel32` faces know it by.
    pub fn handle(&self) -> usize {
        self.handle
    }

    /// SetEvent.
    pub fn set(&self) {
        self.sim.with(|w| w.set_event(self.handle));
    }

    /// ResetEvent.
    pub fn reset(&self) {
        self.sim.with(|w| w.reset_event(self.handle));
    }

    /// Whether it is signalled, without consuming an auto-reset event's signal.
    pub fn is_set(&self) -> bool {
        self.sim.with(|w| {
            w.event_id(self.handle)
                .and_then(|id| w.events.get(&id))
                .is_some_and(|e| e.signaled)
        })
    }

    /// WaitForSingleObjectEx: `None` waits for ever; an alertable wait runs this thread's
    /// APCs and returns [`Wake::Apcs`]. A wait that could never end fails with WSAEINTR and
    /// a [`crate::Diagnostic::WouldBlockForever`].
    pub fn wait(&self, timeout: Option<Duration>, alertable: bool) -> Result<Wake<()>> {
        let cx = cx(&self.sim);
        match wait_events(
            &cx,
            "WaitForSingleObjectEx",
            &[self.handle],
            false,
            until(&self.sim, timeout),
            alertable,
        ) {
            EventWait::Object(_) => Ok(Wake::Ready(())),
            EventWait::Timeout => Ok(Wake::TimedOut),
            EventWait::IoCompletion => Ok(Wake::Apcs),
            EventWait::Failed(_) => Err(Errno::Intr),
        }
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        self.sim.with(|w| w.close_object(self.handle));
    }
}

/// One completion-port packet.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The key the socket was associated with (or the one posted).
    pub key: usize,
    /// Bytes transferred.
    pub bytes: u32,
    /// The request's token ([`PendingRecv::token`]), or the OVERLAPPED address of a raw
    /// request, or what [`CompletionPort::post`] was given.
    pub token: usize,
    /// The request's final status (STATUS_BUFFER_OVERFLOW for a truncated datagram).
    pub status: NtStatus,
}

/// An I/O completion port. Closed when dropped.
#[derive(Debug)]
pub struct CompletionPort {
    sim: Sim,
    handle: usize,
}

impl CompletionPort {
    /// CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0).
    pub fn new(sim: &Sim) -> CompletionPort {
        CompletionPort {
            sim: sim.clone(),
            handle: sim.with(|w| w.create_port()),
        }
    }

    /// The handle the `kernel32` face knows it by.
    pub fn handle(&self) -> usize {
        self.handle
    }

    /// Associates `socket` under `key`; WSA_INVALID_PARAMETER if it already has a port.
    pub fn associate(&self, socket: &Socket, key: usize) -> Result<()> {
        self.sim
            .with(|w| w.associate(socket.handle(), self.handle, key))
            .map_err(|_| Errno::InvalidParameter)
    }

    /// PostQueuedCompletionStatus.
    pub fn post(&self, bytes: u32, key: usize, token: usize) -> Result<()> {
        self.sim
            .with(|w| w.post_to_port(self.handle, bytes, key, token))
    }

    /// GetQueuedCompletionStatusEx: up to `max` packets (at least 1), in the order they were
    /// queued. A wait that could never end fails with WSAEINTR and a diagnostic.
    pub fn wait(
        &self,
        max: usize,
        timeout: Option<Duration>,
        alertable: bool,
    ) -> Result<Wake<Vec<Completion>>> {
        let cx = cx(&self.sim);
        let r = dequeue(
            &cx,
            "GetQueuedCompletionStatusEx",
            self.handle as _,
            max.max(1),
            until(&self.sim, timeout),
            alertable,
        )
        .map_err(|_| Errno::InvalidHandle)?;
        match r {
            Wait::Ready(PortPoll::Packets(p)) => {
                Ok(Wake::Ready(p.iter().map(completion).collect()))
            }
            Wait::Ready(_) => Err(Errno::InvalidHandle),
            Wait::TimedOut => Ok(Wake::TimedOut),
            Wait::Apc => Ok(Wake::Apcs),
            Wait::Closed | Wait::Deadlock => Err(Errno::Intr),
        }
    }

    /// GetQueuedCompletionStatus: one packet, or `None` when the timeout passed.
    pub fn get(&self, timeout: Option<Duration>) -> Result<Option<Completion>> {
        match self.wait(1, timeout, false)? {
            Wake::Ready(p) => Ok(p.first().copied()),
            Wake::TimedOut | Wake::Apcs => Ok(None),
        }
    }
}

impl Drop for CompletionPort {
    fn drop(&mut self) {
        self.sim.with(|w| w.close_object(self.handle));
    }
}

fn completion(p: &Packet) -> Completion {
    Completion {
        key: p.key,
        bytes: p.bytes,
        token: p.overlapped,
        status: p.status,
    }
}

/// The face context the kernel32 helpers take; these calls do not depend on a host.
fn cx(sim: &Sim) -> Cx {
    Cx::of(sim, HostId::default())
}

fn until(sim: &Sim, timeout: Option<Duration>) -> Instant {
    timeout.map_or(Instant::NEVER, |d| sim.now() + d)
}

/// The result slot a request writes at completion.
#[derive(Debug, Default)]
struct Slot {
    done: Option<Outcome>,
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes a request's result into its slot.
struct SlotSink {
    slot: Arc<Mutex<Slot>>,
    cancelled: CancelledError,
}

impl Sink for SlotSink {
    fn pending(&mut self) {}

    fn finish(&mut self, status: NtStatus, _bytes: usize, got: Option<Got<'_>>) {
        let outcome = match (status.to_errno(self.cancelled), got) {
            // A truncated datagram is still a datagram: the flags in `msg` say so.
            (None | Some(Errno::MsgSize), Some(Got { ok, data: [a, b] })) => Ok(Received {
                data: [a, b].concat(),
                msg: msg_of(ok),
            }),
            (Some(e), _) => Err(e),
            (None, None) => Err(Errno::Inval),
        };
        lock(&self.slot).done = Some(outcome);
    }
}

/// An overlapped receive. Dropping it neither cancels nor waits for the request: its result
/// is simply not read (use [`PendingRecv::cancel`] to cancel).
#[derive(Debug)]
pub struct PendingRecv {
    sim: Sim,
    socket: usize,
    token: usize,
    slot: Arc<Mutex<Slot>>,
}

impl PendingRecv {
    /// The request's identity: the `token` of its completion-port packet. Tokens are odd, so
    /// they never equal the address of an OVERLAPPED of the raw face.
    pub fn token(&self) -> usize {
        self.token
    }

    /// Whether it has completed.
    pub fn is_complete(&self) -> bool {
        lock(&self.slot).done.is_some()
    }

    /// The outcome, once complete (WSAGetOverlappedResult with fWait FALSE).
    pub fn result(&self) -> Option<Outcome> {
        lock(&self.slot).done.clone()
    }

    /// Waits for the outcome (WSAGetOverlappedResult with fWait TRUE: not alertable). A wait
    /// that could never end fails with WSA_IO_INCOMPLETE and a diagnostic.
    pub fn wait(&self) -> Outcome {
        let what = Waiting {
            call: "WSAGetOverlappedResult",
            handle: self.socket,
            key: None,
            alertable: None,
        };
        let slot = &self.slot;
        match self
            .sim
            .wait(what, Instant::NEVER, |_| lock(slot).done.clone())
        {
            Wait::Ready(r) => r,
            _ => Err(Errno::IoIncomplete),
        }
    }

    /// CancelIoEx for this request: true if it was still pending (it then completes with
    /// STATUS_CANCELLED).
    pub fn cancel(&self) -> bool {
        let filter = crate::io::request::CancelFilter {
            thread: None,
            overlapped: Some(self.token),
        };
        self.sim
            .with(|w| w.cancel_io(self.socket, filter))
            .is_ok_and(|n| n > 0)
    }
}

impl Socket {
    /// An overlapped WSARecvMsg into a buffer of `len` bytes. It completes at once if a
    /// datagram is queued (the announcement still happens: the event is set, the routine
    /// queued, the port packet posted unless the socket skips it on success), or later when
    /// one arrives. Errors that Windows reports when posting (WSAEINVAL on an unbound
    /// socket or for a routine on a socket with a port, a queued ICMP error) are returned
    /// here.
    pub fn recv_msg_overlapped(
        &self,
        len: usize,
        opts: RecvMsgOptions,
        announce: Announce<'_>,
    ) -> Result<PendingRecv> {
        let _span = tracing::debug_span!(
            "Socket::recv_msg_overlapped",
            socket = self.handle,
            len,
            peek = opts.peek,
            control_len = opts.control_len
        )
        .entered();
        super::traced(self.post_recv_msg(len, opts, announce))
    }

    fn post_recv_msg(
        &self,
        len: usize,
        opts: RecvMsgOptions,
        announce: Announce<'_>,
    ) -> Result<PendingRecv> {
        let sim = &self.sim;
        let args = RecvArgs {
            call: "WSARecvMsg",
            flags: if opts.peek { super::MSG_PEEK } else { 0 },
            cap: len,
            name: NameReq::None,
            control: Some(opts.control_len),
            msg: true,
        };
        let slot = Arc::new(Mutex::new(Slot::default()));
        let thread = thread_id(sim);
        sim.with(|w| {
            let id = w.next_object_id();
            let token = (id as usize) << 1 | 1;
            let routine = announce.routine.map(|f| {
                let slot = slot.clone();
                w.callbacks.insert(
                    id,
                    Box::new(move || {
                        let outcome = lock(&slot).done.clone().unwrap_or(Err(Errno::Inval));
                        f(outcome)
                    }),
                );
                Routine::Callback(id)
            });
            let notify = Notify {
                thread: Some(thread),
                overlapped: token,
                event: announce.event.map(|e| e.handle),
                routine,
                to_port: !announce.skip_port,
            };
            let sink = SlotSink {
                slot: slot.clone(),
                cancelled: w.cfg.cancelled_error,
            };
            match w.post_recv(self.handle, args, notify, Box::new(sink)) {
                Ok(Posted::Pending | Posted::Done { .. }) => Ok(token),
                Err(e) => {
                    w.callbacks.remove(id);
                    Err(e)
                }
            }
        })
        .map(|token| PendingRecv {
            sim: sim.clone(),
            socket: self.handle,
            token,
            slot,
        })
    }
}

impl Sim {
    /// An alertable sleep (SleepEx with bAlertable TRUE) on the calling thread: runs its due
    /// APCs (completion routines, QueueUserAPC) and returns true as soon as any ran, or
    /// false when `d` of virtual time has passed. `None` sleeps until an APC is due.
    pub fn sleep_alertable(&self, d: Option<Duration>) -> bool {
        let tid = thread_id(self);
        let what = Waiting {
            call: "SleepEx",
            handle: 0,
            key: None,
            alertable: Some(tid),
        };
        match self.wait(what, until(self, d), |_| None::<()>) {
            Wait::Apc => run_apcs(self, tid, false),
            _ => false,
        }
    }
}
