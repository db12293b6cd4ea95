//! A map keyed by ids the world hands out in increasing order (pending requests, provider
//! completions), iterated in ascending id order as a `BTreeMap` is, so that what is
//! observable (traces, recorded choices) does not depend on the container.
//!
//! Few entries are live at a time, and most are removed oldest first; a sorted ring suits
//! that, and unlike a `BTreeMap` it keeps its memory when it empties, so posting and
//! completing a request allocates nothing here.

use std::collections::VecDeque;

pub(crate) struct IdMap<T> {
    /// Sorted by id.
    items: VecDeque<(u64, T)>,
}

impl<T> IdMap<T> {
    pub const fn new() -> Self {
        IdMap {
            items: VecDeque::new(),
        }
    }

    #[inline]
    fn find(&self, id: u64) -> Result<usize, usize> {
        // Ids are mostly looked up at the front (the oldest entry) or the back (the newest).
        match (self.items.front(), self.items.back()) {
            (Some(&(k, _)), _) if k == id => Ok(0),
            (_, Some(&(k, _))) if k == id => Ok(self.items.len() - 1),
            (_, Some(&(k, _))) if k < id => Err(self.items.len()),
            _ => self.items.binary_search_by_key(&id, |&(k, _)| k),
        }
    }

    /// Inserts `v` under `id`, returning the value it replaces.
    pub fn insert(&mut self, id: u64, v: T) -> Option<T> {
        // The usual case: a new id, the largest yet.
        if self.items.back().is_none_or(|&(k, _)| k < id) {
            self.items.push_back((id, v));
            return None;
        }
        match self.find(id) {
            Err(i) if i == self.items.len() => {
                self.items.push_back((id, v));
                None
            }
            Ok(i) => Some(std::mem::replace(&mut self.items[i].1, v)),
            Err(i) => {
                self.items.insert(i, (id, v));
                None
            }
        }
    }

    pub fn remove(&mut self, id: &u64) -> Option<T> {
        let i = self.find(*id).ok()?;
        let taken = if i == 0 {
            self.items.pop_front()
        } else {
            self.items.remove(i)
        };
        taken.map(|(_, v)| v)
    }

    pub fn get(&self, id: &u64) -> Option<&T> {
        self.find(*id).ok().map(|i| &self.items[i].1)
    }

    pub fn get_mut(&mut self, id: &u64) -> Option<&mut T> {
        let i = self.find(*id).ok()?;
        Some(&mut self.items[i].1)
    }

    /// The entries in ascending id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&u64, &T)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    /// The values in ascending id order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.items.iter().map(|(_, v)| v)
    }

    /// The value, when there is exactly one entry.
    pub fn only_mut(&mut self) -> Option<&mut T> {
        match self.items.len() {
            1 => self.items.front_mut().map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }

    pub fn retain(&mut self, mut f: impl FnMut(&u64, &mut T) -> bool) {
        self.items.retain_mut(|(k, v)| f(k, v));
    }
}

impl<T> Default for IdMap<T> {
    fn default() -> Self {
        IdMap::new()
    }
}

impl<T> core::ops::Index<&u64> for IdMap<T> {
    type Output = T;

    fn index(&self, id: &u64) -> &T {
        self.get(id).expect("no entry with this id")
    }
}

/// As a `BTreeMap` prints itself.
impl<T: core::fmt::Debug> core::fmt::Debug for IdMap<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_an_ordered_map() {
        let mut m = IdMap::new();
        for id in [3, 1, 4, 5, 9, 2, 6] {
            assert_eq!(m.insert(id, id * 10), None);
        }
        assert_eq!(m.insert(4, 44), Some(40));
        assert_eq!(m.remove(&1), Some(10));
        assert_eq!(m.remove(&1), None);
        assert_eq!(m.get(&7), None);
        *m.get_mut(&9).unwrap() += 1;
        m.retain(|k, _| *k != 5);
        let all: Vec<(u64, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(all, [(2, 20), (3, 30), (4, 44), (6, 60), (9, 91)]);
        assert_eq!(m[&3], 30);
        assert_eq!(format!("{m:?}"), "{2: 20, 3: 30, 4: 44, 6: 60, 9: 91}");
    }
}
