//! The single source of truth of smpbook.
//!
//! `kernel-final/` is the kernel of the last chapter, annotated with comment markers that say in
//! which chapters each line exists (see [`marker`] for the syntax). From it this crate derives:
//! - every chapter's snapshot ([`SourceTree::snapshot`]), which `cargo xtask split` writes to
//!   `chapters/chapter-NN/` ([`sync`]), its Rust files formatted by rustfmt ([`format`]);
//! - the book's snippets as of a chapter ([`view::view`]): new, removed and context lines and a
//!   location line;
//! - each chapter's exercise form ([`exercise`]): its snapshot with the regions marked
//!   `@exercise` replaced by `todo!`, for `cargo xtask exercise` and the exercise checks;
//! - the book's coverage ([`coverage::coverage`]): the share of each chapter's change its page
//!   shows.
//!
//! The chapter list comes from `chapters.toml` ([`Chapters`]).

pub mod config;
pub mod coverage;
pub mod error;
pub mod exercise;
pub mod format;
pub mod item;
pub mod marker;
pub mod source;
pub mod sync;
pub mod tree;
pub mod view;

pub use config::{Chapter, Chapters};
pub use error::{Error, Result};
pub use tree::SourceTree;
