//! Items grouped by a key as one list, a counting sort: a list per group was tens of thousands
//! of small allocations for a 24 MP photo.

/// Items `0..n` grouped by a key: each group's items in increasing order, the groups one after
/// another in one list.
pub(crate) struct Groups {
    /// Where each group's items start in `members` (one more entry than groups).
    start: Vec<usize>,
    members: Vec<u32>,
}

impl Groups {
    /// Items `0..n` grouped by `key`: the item's group (below `groups`), or `None` to leave it
    /// out.
    pub(crate) fn by_key(n: usize, groups: usize, key: impl Fn(usize) -> Option<usize>) -> Self {
        let mut start = vec![0usize; groups + 1];
        for g in (0..n).filter_map(&key) {
            start[g + 1] += 1;
        }
        for g in 0..groups {
            start[g + 1] += start[g];
        }
        let mut members = vec![0u32; start[groups]];
        let mut next = start.clone();
        for (i, g) in (0..n).filter_map(|i| key(i).map(|g| (i, g))) {
            members[next[g]] = i as u32;
            next[g] += 1;
        }
        Groups { start, members }
    }

    /// The items of group `g`, in increasing order.
    pub(crate) fn of(&self, g: usize) -> &[u32] {
        &self.members[self.start[g]..self.start[g + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_grouped_in_order_and_left_out_by_none() {
        // Items 0..7 by key: 0 → 2, 1 → out, 2 → 0, 3 → 2, 4 → out, 5 → 0, 6 → 2; group 1 empty.
        let keys = [Some(2), None, Some(0), Some(2), None, Some(0), Some(2)];
        let groups = Groups::by_key(keys.len(), 3, |i| keys[i]);
        assert_eq!(groups.of(0), [2, 5]);
        assert_eq!(groups.of(1), [] as [u32; 0]);
        assert_eq!(groups.of(2), [0, 3, 6]);
        let none = Groups::by_key(0, 2, |_| None);
        assert!(none.of(0).is_empty() && none.of(1).is_empty());
    }
}
