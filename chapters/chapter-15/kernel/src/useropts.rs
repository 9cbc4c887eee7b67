//! Program options: the option words of the kernel command line (those with a `=`), handed to
//! every program the kernel starts, as Unix hands a program its arguments.
//!
//! The kernel copies the words, one space between two, to the top of the new environment's
//! stack page, right below `USTACKTOP`, and starts the environment with the stack pointer below
//! them (16-byte aligned, as before), their address in `rdi` and their length in `rsi`: the
//! first two arguments of the library's `libmain`. A program reads its own options there, named
//! after it by convention (`fuzz.calls=5000`), and ignores the rest, as the kernel ignores the
//! options it does not know.
#![deny(unsafe_code)]

use abi::EnvId;
use abi::layout::USTACKTOP;

use crate::env::EnvTable;
use crate::envid;
use crate::pgtable::PteFlags;
use crate::pmem;
use crate::usermem::UserRange;

/// The most option bytes a program gets: a small part of its one-page stack.
pub const MAX_LEN: usize = 512;

/// The option words of `cmdline`, one space between two, or `None` if they are longer than
/// [`MAX_LEN`].
pub fn collect(cmdline: &str, buf: &mut [u8; MAX_LEN]) -> Option<usize> {
    let mut len = 0;
    for word in cmdline.split_whitespace().filter(|w| w.contains('=')) {
        let start = if len == 0 { 0 } else { len + 1 };
        let end = start + word.len();
        if end > MAX_LEN {
            return None;
        }
        if start > 0 {
            buf[len] = b' ';
        }
        buf[start..end].copy_from_slice(word.as_bytes());
        len = end;
    }
    Some(len)
}

/// Copies `options` onto the stack of the new environment `id`, which has not run yet, and
/// points its stack pointer, `rdi` and `rsi` at them.
pub fn pass(envs: &mut EnvTable, id: EnvId, options: &[u8]) {
    let slot = envid::index_of(id);
    let at = USTACKTOP - options.len() as u64;
    let root = envs.get(slot).root();
    if !options.is_empty() {
        pmem::with(|mem| {
            // The loader has just mapped the stack page, user-writable, and the options fit in it.
            let range = UserRange::new(at, options.len() as u64)
                .check(mem, root, PteFlags::WRITABLE)
                .unwrap_or_else(|_| panic!("useropts: the new environment's stack is not mapped"));
            range.write(mem, root, options);
        });
    }
    let tf = &mut envs.get_mut(slot).tf;
    tf.rsp = at & !15;
    tf.regs.rdi = at;
    tf.regs.rsi = options.len() as u64;
}
