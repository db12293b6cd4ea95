//! Simulated threads: every OS thread that takes part in a simulation is one, with an id, an
//! APC queue, and the state the contract checker needs.

use std::collections::VecDeque;

use windows_sys::Win32::Foundation::PAPCFUNC;
use windows_sys::Win32::System::IO::OVERLAPPED;

use crate::net::ports::SockKey;

/// A simulated thread's id (what GetCurrentThreadId returns inside the simulation).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub(crate) u32);

impl ThreadId {
    /// The numeric id.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl core::fmt::Display for ThreadId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "t{}", self.0)
    }
}

/// What a completion routine is.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Routine {
    /// The caller's LPWSAOVERLAPPED_COMPLETION_ROUTINE (the `ws2` face).
    Raw(unsafe extern "system" fn(u32, u32, *mut OVERLAPPED, u32)),
    /// A closure of the safe API, kept in the world's callback table under this id.
    Callback(u64),
    /// A routine the provider runs itself: at completion it calls `queue_apc` (WPUQueueApc)
    /// with the WSATHREADID it captured, `(ThreadHandle, Reserved)`, and its APC function
    /// then calls `client` (LPWSPRECVFROM page).
    Upcall {
        queue_apc: crate::io::upcall::QueueApcFn,
        thread: (usize, usize),
        client: crate::io::upcall::ClientRoutine,
    },
}

/// An asynchronous procedure call waiting for its thread's next alertable wait.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Apc {
    /// A completion routine of an overlapped request.
    Completion {
        routine: Routine,
        error: u32,
        bytes: u32,
        overlapped: usize,
        flags: u32,
        /// Routines of one socket never nest (WSARecvMsg page).
        sock: SockKey,
    },
    /// QueueUserAPC.
    User { func: PAPCFUNC, data: usize },
}

/// The simulation's threads by id, in id order (as the `BTreeMap` it replaces iterates). Ids
/// are handed out 1, 2, 3, ..., so thread `n` is normally at index `n - 1`: the face looks
/// its thread up several times per call, and this finds it without a search.
#[derive(Debug, Default)]
pub(crate) struct Threads(Vec<(ThreadId, SimThread)>);

impl Threads {
    fn index(&self, id: &ThreadId) -> Result<usize, usize> {
        let guess = (id.0 as usize).wrapping_sub(1);
        match self.0.get(guess) {
            Some((t, _)) if t == id => Ok(guess),
            _ => self.0.binary_search_by_key(id, |(t, _)| *t),
        }
    }

    pub fn get(&self, id: &ThreadId) -> Option<&SimThread> {
        self.index(id).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, id: &ThreadId) -> Option<&mut SimThread> {
        let i = self.index(id).ok()?;
        Some(&mut self.0[i].1)
    }

    pub fn contains_key(&self, id: &ThreadId) -> bool {
        self.index(id).is_ok()
    }

    pub fn insert(&mut self, id: ThreadId, t: SimThread) -> Option<SimThread> {
        match self.index(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, t)),
            Err(i) => {
                self.0.insert(i, (id, t));
                None
            }
        }
    }

    /// The threads in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&ThreadId, &SimThread)> {
        self.0.iter().map(|(id, t)| (id, t))
    }
}

/// The sockets whose completion routines a thread is running: rarely more than one, so a
/// list (which keeps its memory between routines, where a `BTreeSet` allocates a node for its
/// first element every time).
#[derive(Default)]
pub(crate) struct Running(Vec<SockKey>);

impl Running {
    pub fn contains(&self, sock: &SockKey) -> bool {
        self.0.contains(sock)
    }

    pub fn insert(&mut self, sock: SockKey) {
        if !self.contains(&sock) {
            self.0.push(sock);
        }
    }

    pub fn remove(&mut self, sock: &SockKey) {
        self.0.retain(|s| s != sock);
    }
}

/// As the set it is.
impl core::fmt::Debug for Running {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut sorted = self.0.clone();
        sorted.sort();
        f.debug_set().entries(sorted).finish()
    }
}

/// One simulated thread.
#[derive(Debug, Default)]
pub(crate) struct SimThread {
    pub apcs: VecDeque<Apc>,
    pub alive: bool,
    /// Sockets whose completion routine this thread is running now.
    pub running_routines: Running,
    /// Depth of APCs run from inside a blocking Winsock call (contract checker).
    pub apc_in_blocking_call: u32,
    /// The socket this thread is blocked receiving on, if any (contract checker).
    pub receiving_on: Option<SockKey>,
    /// Its thread handle for WSATHREADID (made on first use; 0 until then).
    pub handle: usize,
}

impl SimThread {
    pub fn new() -> Self {
        SimThread {
            alive: true,
            ..Default::default()
        }
    }

    /// Whether an APC can run now: user APCs always; a completion routine unless a routine of
    /// the same socket is already running on this thread.
    pub fn runnable(&self, a: &Apc) -> bool {
        match a {
            Apc::User { .. } => true,
            Apc::Completion { sock, .. } => !self.running_routines.contains(sock),
        }
    }

    pub fn has_runnable_apc(&self) -> bool {
        self.apcs.iter().any(|a| self.runnable(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_found_by_id_in_id_order() {
        let mut t = Threads::default();
        for id in [1, 2, 4, 3] {
            assert!(t.insert(ThreadId(id), SimThread::new()).is_none());
        }
        assert!(t.insert(ThreadId(2), SimThread::default()).is_some());
        assert!(!t.get(&ThreadId(2)).unwrap().alive);
        t.get_mut(&ThreadId(4)).unwrap().handle = 7;
        assert_eq!(t.get(&ThreadId(4)).map(|x| x.handle), Some(7));
        assert!(t.contains_key(&ThreadId(3)) && !t.contains_key(&ThreadId(5)));
        let ids: Vec<u32> = t.iter().map(|(id, _)| id.get()).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
    }
}
