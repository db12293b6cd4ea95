//! The trace format: one record per step with every result a program can observe (return
//! value, error, byte count, flags, sender, name length, the bytes each buffer received,
//! control bytes, OVERLAPPED fields, completion-routine calls in order, port packets).
//! Addresses are given by socket name ("rx") where they are one of the scenario's sockets,
//! since ports differ from run to run.
//!
//! This file has no dependency but serde: the Windows executor includes it as it is.

use serde::{Deserialize, Serialize};

/// A trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The scenario's name.
    pub scenario: String,
    /// Who played it: "sim:Windows", "sim:Wine8", "windows", "wine".
    pub executor: String,
    /// One record per step, in order.
    pub records: Vec<Record>,
}

/// A completion routine call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutineCall {
    /// The request (numbered in posting order), or -1 for an unknown OVERLAPPED.
    pub req: i64,
    /// dwError.
    pub error: u32,
    /// cbTransferred.
    pub bytes: u32,
    /// dwFlags.
    pub flags: u32,
}

/// A completion-port packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// The request, or -1 for none.
    pub req: i64,
    /// The completion key.
    pub key: u64,
    /// Bytes transferred.
    pub bytes: u32,
    /// The entry's status (OVERLAPPED.Internal, hex; GetQueuedCompletionStatusEx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What one step observed. Fields that do not apply are absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The step's index.
    pub step: usize,
    /// The step's op.
    pub op: String,
    /// The return value.
    pub ret: i64,
    /// WSAGetLastError / GetLastError after a failure, else 0.
    pub error: i32,
    /// A byte count written (lpNumberOfBytesRecvd, lpcbTransfer, InternalHigh...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Flags written (lpFlags, WSAMSG.dwFlags, lpdwFlags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    /// The sender written to the name buffer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// getsockname's port, where it is not an ephemeral one (below 1024: a raw socket's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The name length written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namelen: Option<i32>,
    /// What each buffer received (hex, up to its last byte that is not the 0xCC fill).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<String>>,
    /// The control bytes written (hex) and the new Control.len.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// The new Control.len.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_len: Option<u32>,
    /// OVERLAPPED.Internal (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<String>,
    /// OVERLAPPED.InternalHigh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_high: Option<u64>,
    /// A value read back (getsockopt, ioctl output, FIONREAD, a wait's result, an event's
    /// state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// A length read back (getsockopt's optlen, an ioctl's byte count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub len: Option<i64>,
    /// Completion routines that ran during the step, in the order they ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routines: Option<Vec<RoutineCall>>,
    /// The packet dequeued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet: Option<Packet>,
    /// The packets GetQueuedCompletionStatusEx removed, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<Vec<Packet>>,
    /// APCs that ran during the step (their tags), in the order they ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apcs: Option<Vec<u32>>,
    /// Catalogue entries listed: "family/type/protocol/dwServiceFlags1 (hex)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<String>>,
}
