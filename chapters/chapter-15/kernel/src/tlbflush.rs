//! How a CPU forgets translations it has cached: one page at a time or everything at once.
//!
//! `invlpg` (Intel SDM Vol. 3A, 4.10.4.1) drops the translations of one page; writing CR3
//! drops every translation that is not global (the kernel maps user pages never global). Which
//! is cheaper depends on how many pages changed: this file is the rule a target of a shootdown
//! (`shootdown.rs`) follows, kept apart so that it is tested on the host.
#![deny(unsafe_code)]

/// Above this many pages, a target flushes its whole TLB (reloads CR3) instead of the pages one
/// `invlpg` each. Every `invlpg` costs about as much as refilling a few TLB entries, and a full
/// flush costs a refill of everything the program uses afterwards; Linux settled on 33 pages
/// (`tlb_single_page_flush_ceiling`, measured on Intel machines of the 2010s), and so do we.
pub const FULL_FLUSH_ABOVE: usize = 33;

/// How a target CPU flushes a change of `pages` pages.
#[derive(Debug, PartialEq, Eq)]
pub enum FlushKind {
    /// `invlpg` each page.
    Pages,
    /// Reload CR3: everything goes.
    Full,
}

/// The policy: pages one by one up to [`FULL_FLUSH_ABOVE`], a full flush beyond.
pub fn flush_kind(pages: usize) -> FlushKind {
    if pages > FULL_FLUSH_ABOVE {
        FlushKind::Full
    } else {
        FlushKind::Pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_pages_one_by_one_many_at_once() {
        assert_eq!(flush_kind(1), FlushKind::Pages);
        assert_eq!(flush_kind(FULL_FLUSH_ABOVE), FlushKind::Pages);
        assert_eq!(flush_kind(FULL_FLUSH_ABOVE + 1), FlushKind::Full);
    }
}
