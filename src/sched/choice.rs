//! Choices Windows leaves open (for example the order in which ready completion routines
//! run). Each is made here: from the seed, in first-come order, or replayed from a list (for
//! exploring every order of a small scenario). Every choice is recorded in the trace.

use super::rng::Rng;

/// How a simulation makes the choices Windows leaves open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Choices {
    /// Drawn from the simulation's seed (the default).
    #[default]
    Seeded,
    /// Always the first option: completion routines run in completion order.
    InOrder,
    /// Given in advance: choice `i` takes `values[i]` (clamped to the options it has),
    /// and the first option once the list runs out. Used by [`crate::explore`].
    Replay(Vec<usize>),
}

/// The chooser of one simulation.
#[derive(Clone, Debug)]
pub(crate) struct Chooser {
    mode: Choices,
    rng: Rng,
    /// Every choice made: (value, number of options).
    pub made: Vec<(usize, usize)>,
}

/// Scheduling choices draw from their own stream, derived from the seed, so that adding a
/// choice point does not shift which datagrams the fault rules drop.
const STREAM: u64 = 0x5EED_C401_CE00_0001;

impl Chooser {
    pub fn new(mode: Choices, seed: u64) -> Self {
        Chooser {
            mode,
            rng: Rng::new(seed ^ STREAM),
            made: Vec::new(),
        }
    }

    /// Picks one of `n` options (`n >= 1`).
    pub fn choose(&mut self, n: usize) -> usize {
        debug_assert!(n >= 1);
        let v = match &self.mode {
            Choices::Seeded => self.rng.below(n as u64) as usize,
            Choices::InOrder => 0,
            Choices::Replay(values) => values.get(self.made.len()).copied().unwrap_or(0).min(n - 1),
        };
        self.made.push((v, n));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_follows_its_list_then_takes_the_first_option() {
        let mut c = Chooser::new(Choices::Replay(vec![2, 9]), 0);
        assert_eq!((c.choose(3), c.choose(2), c.choose(4)), (2, 1, 0));
        assert_eq!(c.made, vec![(2, 3), (1, 2), (0, 4)]);
    }

    #[test]
    fn in_order_always_takes_the_first_and_seeded_repeats() {
        let mut c = Chooser::new(Choices::InOrder, 9);
        assert_eq!((c.choose(4), c.choose(2)), (0, 0));
        let draw = |seed| {
            let mut c = Chooser::new(Choices::Seeded, seed);
            (0..8).map(|_| c.choose(5)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }
}
