//! Environment ids and the free list of environment slots (JOS's `env_alloc` rules).
//!
//! An id is `generation | index`: the low `LOG2_NENV` bits name the slot in the environment
//! table, the bits above count how often the slot has been reused, starting at 0x1000. So the
//! first environments are 0x1000, 0x1001, ..., and a stale id of a freed environment never
//! names the slot's next occupant. Freed slots go to the *front* of the free list and are
//! reused first, with the generation bumped: a freed 0x1001 comes back as 0x2001.
//!
//! Pure logic, unit-tested on the host.
#![deny(unsafe_code)]

use abi::{EnvId, NENV};

/// The generation step, JOS's `1 << ENVGENSHIFT`: not the lowest bit above the index (that is
/// `NENV`, 0x400) but bit 12, so that ids read well in hex: 0x1000, 0x1001, then 0x2001.
const GENERATION_STEP: u32 = 1 << 12;
const _: () = assert!(GENERATION_STEP as usize >= NENV);

/// The slot an id names (whether or not the id is current).
pub fn index_of(id: EnvId) -> usize {
    id as usize & (NENV - 1)
}

/// The id for the next occupant of slot `index`, whose previous id was `previous` (0 if the slot
/// was never used). Ids stay positive as a signed 32-bit number (JOS's `envid_t` is an `int`):
/// when the generation would overflow it starts again at the first one.
pub fn next_id(previous: EnvId, index: usize) -> EnvId {
    assert!(index < NENV, "envid: slot {index} out of range");
    let mut generation = previous.wrapping_add(GENERATION_STEP) & !(NENV as u32 - 1);
    if generation == 0 || generation > i32::MAX as u32 {
        generation = GENERATION_STEP;
    }
    generation | index as u32
}

/// The free environment slots: a list threaded through an array, front first.
pub struct FreeList {
    next: [u16; NENV],
    head: u16,
}

/// The end-of-list marker.
const NONE: u16 = u16::MAX;

impl Default for FreeList {
    fn default() -> Self {
        Self::new()
    }
}

impl FreeList {
    /// Every slot free, in index order (so the first ids are 0x1000, 0x1001, ...).
    pub const fn new() -> FreeList {
        let mut next = [NONE; NENV];
        let mut i = 0;
        while i + 1 < NENV {
            next[i] = (i + 1) as u16;
            i += 1;
        }
        FreeList { next, head: 0 }
    }

    /// Takes the slot at the front, if any is free.
    pub fn pop(&mut self) -> Option<usize> {
        if self.head == NONE {
            return None;
        }
        let slot = self.head as usize;
        self.head = self.next[slot];
        self.next[slot] = NONE;
        Some(slot)
    }

    /// Puts a freed slot at the front.
    pub fn push_front(&mut self, slot: usize) {
        assert!(slot < NENV, "envid: slot {slot} out of range");
        self.next[slot] = self.head;
        self.head = slot as u16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_ids_in_creation_order() {
        let mut free = FreeList::new();
        let a = free.pop().unwrap();
        let b = free.pop().unwrap();
        assert_eq!(next_id(0, a), 0x1000);
        assert_eq!(next_id(0, b), 0x1001);
    }

    #[test]
    fn freed_slot_is_reused_first_with_a_new_generation() {
        let mut free = FreeList::new();
        let ids: Vec<_> = (0..3).map(|_| next_id(0, free.pop().unwrap())).collect();
        assert_eq!(ids, [0x1000, 0x1001, 0x1002]);
        free.push_front(index_of(0x1001));
        let slot = free.pop().unwrap();
        assert_eq!(slot, 1);
        assert_eq!(next_id(0x1001, slot), 0x2001);
        assert_eq!(
            next_id(0, free.pop().unwrap()),
            0x1003,
            "then the untouched slots"
        );
    }

    #[test]
    fn generation_wraps_to_the_first() {
        let last = 0x7fff_f000 | 5;
        assert_eq!(next_id(last, 5), 0x1005);
        assert_eq!(next_id(0xffff_f3ff, 0x3ff), 0x13ff);
    }

    #[test]
    fn runs_out_after_nenv() {
        let mut free = FreeList::new();
        for i in 0..NENV {
            assert_eq!(free.pop(), Some(i));
        }
        assert_eq!(free.pop(), None);
        free.push_front(7);
        assert_eq!(free.pop(), Some(7));
    }

    #[test]
    fn index_of_ignores_generation() {
        assert_eq!(index_of(0x3000 | 42), 42);
    }
}
