//! The driver of the host fuzzing of the firmware-table parsers (`mp_fuzz.rs`, `acpi_fuzz.rs`):
//! a seeded pseudo-random generator, byte damage, and a reader that counts what a parser asks.
//! Stable Rust only: each fuzz test makes its inputs itself, from a good table damaged at
//! random or from random bytes, and checks that the parser never panics, does bounded work and
//! returns a well-formed result or an error.
//!
//! The number of inputs and the seed come from `PARSER_FUZZ_INPUTS` and `PARSER_FUZZ_SEED`
//! (`cargo xtask fuzz parsers` sets them); the test suite's runs use the defaults.

use std::cell::Cell;
use std::time::Instant;

use crate::mp::PhysMem;

/// xorshift64*: small, fast, and the same sequence for the same seed everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64's finaliser, so that nearby seeds give unrelated sequences (never 0).
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// Damages `bytes`: a few bytes set to random or boundary values, and now and then the whole
/// cut short or lengthened with random bytes.
pub fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(6) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len() as u64) as usize;
        bytes[at] = match rng.below(4) {
            0 => 0,
            1 => 0xff,
            2 => bytes[at] ^ 1 << rng.below(8),
            _ => rng.byte(),
        };
    }
    if rng.one_in(16) {
        let len = rng.below(bytes.len() as u64 + 1) as usize;
        bytes.truncate(len);
    }
    if rng.one_in(16) {
        for _ in 0..rng.below(64) {
            bytes.push(rng.byte());
        }
    }
}

/// Memory that forwards to another and counts the reads, the bytes asked for and the reads
/// refused (outside the memory: the parser then gets `false`, and must cope).
pub struct Counting<'a> {
    mem: &'a dyn PhysMem,
    pub reads: Cell<u64>,
    pub bytes: Cell<u64>,
    pub refused: Cell<u64>,
}

impl<'a> Counting<'a> {
    pub fn new(mem: &'a dyn PhysMem) -> Counting<'a> {
        Counting {
            mem,
            reads: Cell::new(0),
            bytes: Cell::new(0),
            refused: Cell::new(0),
        }
    }
}

impl PhysMem for Counting<'_> {
    fn read(&self, pa: u64, buf: &mut [u8]) -> bool {
        self.reads.set(self.reads.get() + 1);
        self.bytes.set(self.bytes.get() + buf.len() as u64);
        let ok = self.mem.read(pa, buf);
        if !ok {
            self.refused.set(self.refused.get() + 1);
        }
        ok
    }
}

/// The most bytes one probe may ask for: the searches (a few thousand 16- or 20-byte reads)
/// and each table checked once or twice at its longest. More would mean a walk that does not
/// end when the table does.
pub const BYTES_PER_PROBE: u64 = 2 << 20;

/// Runs `one` on `PARSER_FUZZ_INPUTS` inputs (else `default`) from `PARSER_FUZZ_SEED` (else a
/// fixed seed); `one` makes an input, probes, checks, and returns the reads refused. Prints one
/// line: the parser, the inputs, the seed, how many probes succeeded, the reads refused and
/// the time.
pub fn run(name: &str, default: u64, mut one: impl FnMut(&mut Rng) -> (bool, u64)) {
    let setting = |var: &str| std::env::var(var).ok().and_then(|v| v.parse::<u64>().ok());
    let inputs = setting("PARSER_FUZZ_INPUTS").unwrap_or(default);
    let seed = setting("PARSER_FUZZ_SEED").unwrap_or(1);
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let (mut parsed, mut refused) = (0u64, 0u64);
    for _ in 0..inputs {
        let (ok, r) = one(&mut rng);
        parsed += u64::from(ok);
        refused += r;
    }
    println!(
        "fuzz {name}: {inputs} inputs, seed {seed}: {parsed} parsed, {} rejected, {refused} \
         reads refused, {:.1} s",
        inputs - parsed,
        start.elapsed().as_secs_f64()
    );
}
