// @file 15 hidden
//! Fuzzing of the MP-table parser on the host (see host-tests' `fuzz.rs` for the driver):
//! random tables, well formed, then damaged, with the checksums put right half the time; the
//! pointer damaged now and then too.

use super::*;
use crate::fuzz::{BYTES_PER_PROBE, Counting, Rng, mutate, run};

/// A random well-formed configuration table: 1 to 40 processors (one of them the BSP, random
/// flags now and then), buses, I/O APICs and interrupt assignments.
fn random_table(rng: &mut Rng) -> Table {
    let n = 1 + rng.below(40);
    let bsp = rng.below(n);
    let mut table = Table::new();
    for i in 0..n {
        let flags = match (i == bsp, rng.one_in(8)) {
            (true, _) => BP,
            (false, true) => rng.byte() & 3,
            (false, false) => EN,
        };
        table = table.cpu(rng.byte(), flags);
        table = match rng.below(8) {
            0 => table.bus(rng.byte(), b"ISA   "),
            1 => table.ioapic(rng.byte(), 0xfec0_0000),
            2 => table.interrupt(IO_INTERRUPT, 0, 0, 0, rng.byte(), rng.byte()),
            3 => table.interrupt(LOCAL_INTERRUPT, 1, 0, 0, 0, 1),
            _ => table,
        };
    }
    table
}

#[test]
fn fuzz_mp_parser() {
    // One image for every input: each writes its pointer and table, then clears them.
    let mut image = Image::new(EBDA_SEGMENT, BASE_KIB);
    run("mp", 3000, |rng| {
        let mut bytes = random_table(rng).bytes();
        let mut fp_at = ROM_POINTER;
        image.pointer(fp_at, TABLE as u32, 0);
        if !rng.one_in(8) {
            mutate(rng, &mut bytes);
            if rng.one_in(2) && bytes.len() > 7 {
                fix_checksum(&mut bytes, 7);
            }
        }
        if rng.one_in(8) {
            // A pointer naming any table address and configuration type, in the EBDA.
            image.put(fp_at, &[0; 16]);
            fp_at = EBDA + 16 * rng.below(64);
            image.pointer(fp_at, rng.next() as u32 & 0xf_ffff, rng.below(9) as u8);
        }
        image.put(TABLE, &bytes);
        let counting = Counting::new(&image);
        let smp = probe(&counting);
        assert!((1..=MAX_CPUS).contains(&smp.cpus().len()));
        assert!(smp.cpus()[0].bsp && smp.cpus()[1..].iter().all(|c| !c.bsp));
        assert!(notes(&smp).iter().all(|n| n.starts_with("SMP: ")));
        assert!(counting.bytes.get() <= BYTES_PER_PROBE, "unbounded reading");
        let refused = counting.refused.get();
        image.put(TABLE, &vec![0; bytes.len()]);
        image.put(fp_at, &[0; 16]);
        (smp.error().is_none(), refused)
    });
}
