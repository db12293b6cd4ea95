//! The trace: every observable thing the simulation did, in order, with its virtual time.
//! Its text form is the determinism contract: the same seed and the same calls give the same
//! bytes on any OS.

use core::fmt;
use std::net::SocketAddr;

use crate::error::Errno;
use crate::ledger::DropReason;
use crate::net::fault::Fault;
use crate::net::packet::{DatagramId, IcmpKind};
use crate::net::topology::HostId;
use crate::sched::time::Instant;

/// One event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A socket was created.
    Socket {
        /// Its handle.
        handle: usize,
        /// Its host.
        host: HostId,
        /// "udp4", "raw6:1", "stream4", ...
        what: String,
    },
    /// A socket was bound (explicitly or implicitly).
    Bind {
        /// The socket.
        handle: usize,
        /// The address it got.
        addr: SocketAddr,
        /// Bound by a send or connect rather than by bind().
        implicit: bool,
    },
    /// A socket was connected (`Some`) or disconnected (`None`).
    Connect {
        /// The socket.
        handle: usize,
        /// The peer.
        peer: Option<SocketAddr>,
    },
    /// A socket was closed.
    Close {
        /// The socket.
        handle: usize,
    },
    /// A socket sent a datagram.
    Send {
        /// The socket.
        handle: usize,
        /// The datagram.
        datagram: DatagramId,
        /// Source on the wire.
        src: SocketAddr,
        /// Destination.
        dst: SocketAddr,
        /// Payload length.
        len: usize,
    },
    /// A fault rule fired on a datagram.
    Fault {
        /// The rule's index.
        rule: usize,
        /// What it did.
        fault: Fault,
        /// The datagram.
        datagram: DatagramId,
    },
    /// A datagram was copied (duplication fault or broadcast/multicast fan-out).
    Copy {
        /// The original.
        of: DatagramId,
        /// The copy.
        copy: DatagramId,
    },
    /// A datagram was queued on a socket.
    Queue {
        /// The datagram.
        datagram: DatagramId,
        /// The receiving socket.
        handle: usize,
    },
    /// A datagram was dropped.
    Drop {
        /// The datagram.
        datagram: DatagramId,
        /// Why.
        reason: DropReason,
    },
    /// An ICMP error was generated about a datagram.
    Icmp {
        /// Which error.
        kind: IcmpKind,
        /// The datagram it is about.
        about: DatagramId,
    },
    /// An ICMP error reached a socket and was queued as a pending error, or ignored.
    IcmpArrive {
        /// Which error.
        kind: IcmpKind,
        /// The socket, if one still had the address.
        handle: Option<usize>,
        /// Whether it was queued (reporting on) or ignored.
        queued: bool,
    },
    /// A receive call finished.
    Recv {
        /// The socket.
        handle: usize,
        /// Which function.
        call: &'static str,
        /// The datagram, if one was delivered (also on a truncation error).
        datagram: Option<DatagramId>,
        /// Bytes copied.
        bytes: usize,
        /// Output flags.
        flags: u32,
        /// The error, if the call failed.
        error: Option<Errno>,
    },
    /// An overlapped receive went pending.
    Pending {
        /// The socket.
        handle: usize,
        /// The request's number: overlapped receives are numbered from 1 in the order they
        /// were posted (an OVERLAPPED's address would make traces differ from run to run).
        request: u64,
    },
    /// An overlapped receive completed.
    Complete {
        /// The socket.
        handle: usize,
        /// The request's number (see [`Event::Pending`]).
        request: u64,
        /// The final status.
        status: crate::io::status::NtStatus,
        /// Bytes transferred.
        bytes: usize,
        /// The datagram it took, if any.
        datagram: Option<DatagramId>,
    },
    /// A choice Windows leaves open was made.
    Choice {
        /// What was chosen.
        what: &'static str,
        /// The option taken.
        picked: usize,
        /// Out of how many.
        of: usize,
    },
    /// Virtual time moved.
    Advance {
        /// To this time.
        to: Instant,
    },
    /// A diagnostic was raised.
    Diagnostic {
        /// Its text.
        text: String,
    },
    /// A reliable message circuit's graceful close reached the socket at its other end.
    Disconnect {
        /// That socket.
        handle: usize,
        /// The closing socket's address, as on the wire.
        from: std::net::SocketAddr,
    },
    /// A host's network went down or came back.
    NetworkState {
        /// The host.
        host: HostId,
        /// Down (true) or up.
        down: bool,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Socket { handle, host, what } => {
                write!(f, "socket {handle:#x} {what} on {host}")
            }
            Event::Bind {
                handle,
                addr,
                implicit,
            } => {
                write!(
                    f,
                    "bind {handle:#x} {addr}{}",
                    if *implicit { " (implicit)" } else { "" }
                )
            }
            Event::Connect {
                handle,
                peer: Some(p),
            } => write!(f, "connect {handle:#x} {p}"),
            Event::Connect { handle, peer: None } => write!(f, "disconnect {handle:#x}"),
            Event::Close { handle } => write!(f, "close {handle:#x}"),
            Event::Send {
                handle,
                datagram,
                src,
                dst,
                len,
            } => {
                write!(f, "send {handle:#x} {datagram} {src} -> {dst} len {len}")
            }
            Event::Fault {
                rule,
                fault,
                datagram,
            } => {
                write!(f, "fault rule {rule} {} {datagram}", fault.name())
            }
            Event::Copy { of, copy } => write!(f, "copy {of} -> {copy}"),
            Event::Queue { datagram, handle } => write!(f, "queue {datagram} on {handle:#x}"),
            Event::Drop { datagram, reason } => write!(f, "drop {datagram} {}", reason.name()),
            Event::Icmp { kind, about } => write!(f, "icmp {} about {about}", kind.name()),
            Event::IcmpArrive {
                kind,
                handle,
                queued,
            } => match handle {
                Some(h) => write!(
                    f,
                    "icmp {} at {h:#x} {}",
                    kind.name(),
                    if *queued { "queued" } else { "ignored" }
                ),
                None => write!(f, "icmp {} ignored (no socket)", kind.name()),
            },
            Event::Recv {
                handle,
                call,
                datagram,
                bytes,
                flags,
                error,
            } => {
                write!(f, "{call} {handle:#x}")?;
                if let Some(d) = datagram {
                    write!(f, " {d}")?;
                }
                write!(f, " bytes {bytes} flags {flags:#x}")?;
                match error {
                    Some(e) => write!(f, " -> {}", e.name()),
                    None => write!(f, " -> ok"),
                }
            }
            Event::Pending { handle, request } => {
                write!(f, "pending {handle:#x} r{request}")
            }
            Event::Complete {
                handle,
                request,
                status,
                bytes,
                datagram,
            } => {
                write!(f, "complete {handle:#x} r{request} {status} bytes {bytes}")?;
                match datagram {
                    Some(d) => write!(f, " {d}"),
                    None => Ok(()),
                }
            }
            Event::Choice { what, picked, of } => write!(f, "choice {what}: {picked} of {of}"),
            Event::Advance { to } => write!(f, "advance to {to}"),
            Event::Diagnostic { text } => write!(f, "diagnostic: {text}"),
            Event::Disconnect { handle, from } => {
                write!(f, "disconnect {handle:#x} from {from}")
            }
            Event::NetworkState { host, down } => {
                write!(f, "network {host} {}", if *down { "down" } else { "up" })
            }
        }
    }
}

/// An event with its time.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// When it happened.
    pub time: Instant,
    /// What happened.
    pub event: Event,
}

/// The recorded trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    enabled: bool,
    records: Vec<Record>,
}

impl Trace {
    pub(crate) fn new(enabled: bool) -> Self {
        Trace {
            enabled,
            records: Vec::new(),
        }
    }

    /// Records the event `event` builds, if the trace is on (it is built only then).
    #[inline(always)]
    pub(crate) fn push(&mut self, time: Instant, event: impl FnOnce() -> Event) {
        if self.enabled {
            self.push_event(time, event());
        }
    }

    #[inline(never)]
    fn push_event(&mut self, time: Instant, event: Event) {
        // The same event for a `tracing` subscriber (a user's test log), at TRACE level.
        tracing::trace!(target: "winsock_sim::trace", %time, "{event}");
        self.records.push(Record { time, event });
    }

    /// The records, oldest first.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The trace as text, one event a line: `<seconds.nanoseconds> <event>`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for r in &self.records {
            use fmt::Write;
            let _ = writeln!(s, "{} {}", r.time, r.event);
        }
        s
    }
}
