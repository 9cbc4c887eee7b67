//! The legacy 8259A interrupt controllers, silenced.
//!
//! At power-on the PICs deliver IRQs 0-15 on vectors 8-15 and 0x70-0x77, the first range
//! colliding with CPU exceptions (IRQ 0, the timer, would look like a double fault). We remap
//! them to vectors 32-47 and mask every line: this kernel takes no device interrupts yet, and the
//! local APIC (chapter 2) takes over interrupt delivery later.

use pic8259::ChainedPics;

use crate::trap::vector;

/// Remaps both PICs to vectors 32-47 and masks all their lines.
pub fn init() {
    // SAFETY: the offsets 32 and 40 are outside the CPU exception range, and the ports
    // 0x20/0x21/0xa0/0xa1 are the PICs on every PC.
    unsafe {
        let mut pics = ChainedPics::new(vector::IRQ0, vector::IRQ0 + 8);
        pics.initialize();
        pics.write_masks(0xff, 0xff);
    }
}
