//! Asynchronous I/O in the style of the NT I/O manager: overlapped requests, the three ways
//! their completion is announced (an event, a completion routine queued as an APC to the
//! issuing thread, a completion-port packet), cancellation, and the kernel objects involved.

pub(crate) mod event;
pub(crate) mod handles;
pub(crate) mod idmap;
pub(crate) mod port;
pub(crate) mod request;
pub mod status;
pub(crate) mod upcall;
pub(crate) mod wait;
