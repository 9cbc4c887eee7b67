//! The round-robin rule: which environment a CPU runs next (JOS's `sched_yield`).
//!
//! Search the environment table circularly, starting just after the environment this CPU ran
//! last, for the first runnable one. Never pick an environment that is running on another CPU
//! (two CPUs on one set of registers and one kernel stack would corrupt both). If none is
//! runnable, keep running the environment this CPU ran last, if it is still running here.
//! Otherwise there is nothing for this CPU to do.
//!
//! Pure logic over a view of the table, unit-tested on the host; `sched.rs` applies it.
#![deny(unsafe_code)]

/// What the rule needs to know about a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotState {
    /// Ready to run.
    Runnable,
    /// Running on the given CPU.
    RunningOn(usize),
    /// Free, not runnable, or on its way out.
    Other,
}

/// The slot CPU `me` should run next, of the `n` slots whose states `state` gives, when it last
/// ran slot `last` (if any).
pub fn pick_next(
    n: usize,
    state: impl Fn(usize) -> SlotState,
    last: Option<usize>,
    me: usize,
) -> Option<usize> {
    let start = last.map_or(0, |l| l + 1);
    let runnable = (0..n)
        .map(|i| (start + i) % n)
        .find(|&s| state(s) == SlotState::Runnable);
    runnable.or(last.filter(|&l| state(l) == SlotState::RunningOn(me)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use SlotState::*;

    fn pick(states: &[SlotState], last: Option<usize>, me: usize) -> Option<usize> {
        pick_next(states.len(), |i| states[i], last, me)
    }

    #[test]
    fn starts_after_the_last_one_and_wraps() {
        let s = [Runnable, Other, Runnable, RunningOn(0), Runnable];
        assert_eq!(pick(&s, Some(3), 0), Some(4));
        assert_eq!(pick(&s, Some(4), 0), Some(0), "wraps around");
        assert_eq!(pick(&s, None, 0), Some(0), "no last: from the start");
        assert_eq!(pick(&s, Some(0), 0), Some(2));
    }

    #[test]
    fn never_takes_one_running_elsewhere() {
        let s = [RunningOn(1), Other, RunningOn(2)];
        assert_eq!(pick(&s, Some(1), 0), None);
        assert_eq!(pick(&s, Some(0), 1), Some(0), "its own may continue");
        assert_eq!(pick(&s, Some(0), 2), None, "but not another CPU's");
    }

    #[test]
    fn reruns_its_own_only_when_nothing_else_is_runnable() {
        let s = [RunningOn(0), Other];
        assert_eq!(pick(&s, Some(0), 0), Some(0));
        let s = [RunningOn(0), Runnable];
        assert_eq!(pick(&s, Some(0), 0), Some(1));
    }

    #[test]
    fn the_last_slot_itself_comes_last() {
        // The last one, runnable again (it yielded), is considered after all others.
        let s = [Runnable, Runnable, Runnable];
        assert_eq!(pick(&s, Some(1), 0), Some(2));
        let s = [Other, Runnable, Other];
        assert_eq!(pick(&s, Some(1), 0), Some(1));
    }

    #[test]
    fn empty_table() {
        assert_eq!(pick(&[], None, 0), None);
    }
}
