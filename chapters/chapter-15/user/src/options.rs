//! The program's options: the kernel command line's option words (`fuzz.calls=5000`), which the
//! kernel copies to the top of the stack and hands to `libmain` in `rdi` and `rsi` (see the
//! kernel's `useropts.rs`). `libmain` records where they are; [`get`] and [`number`] read one.
//!
//! The bytes lie above the stack pointer the program started with, where no code of the
//! program ever writes, and a fork copies or shares them with the rest of the stack: they stay
//! as the kernel wrote them for the environment's whole life.

use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Where the option words are, and their length: empty until `libmain` records them.
static WORDS: AtomicPtr<u8> = AtomicPtr::new(core::ptr::null_mut());
static LEN: AtomicUsize = AtomicUsize::new(0);

/// Records the option words the kernel passed; called by `libmain` only, before `main`.
pub(crate) fn record(words: *const u8, len: usize) {
    WORDS.store(words.cast_mut(), Ordering::Relaxed);
    LEN.store(len, Ordering::Relaxed);
}

/// Every option word, one space between two (empty if there are none).
pub fn all() -> &'static str {
    let words = WORDS.load(Ordering::Relaxed);
    if words.is_null() {
        return "";
    }
    // SAFETY: `libmain` recorded the address and length the kernel passed: bytes on this
    // environment's stack page, above its initial stack pointer, which nothing changes (see
    // above) for as long as the environment lives.
    let bytes = unsafe { core::slice::from_raw_parts(words, LEN.load(Ordering::Relaxed)) };
    core::str::from_utf8(bytes).unwrap_or("")
}

/// The value of the option `name` (the word `name=value`), if the command line has one.
pub fn get(name: &str) -> Option<&'static str> {
    all().split(' ').find_map(|word| {
        let (key, value) = word.split_once('=')?;
        (key == name).then_some(value)
    })
}

/// The value of the option `name` as a number, decimal or `0x` hexadecimal; `None` if it is
/// missing, and a panic naming the option if it is no number.
pub fn number(name: &str) -> Option<u64> {
    let value = get(name)?;
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    match parsed {
        Ok(n) => Some(n),
        Err(_) => panic!("option {name}={value} is no number"),
    }
}
