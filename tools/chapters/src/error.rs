//! The one error type of the crate: a message, and where in the source it applies.
//!
//! Every error that a contributor can cause by editing `kernel-final/` or `chapters.toml` names
//! the file and line, in the `path:line: message` form that editors and terminals link.

use std::fmt;

/// A position in a source file: the path relative to the tree's root and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    pub path: String,
    pub line: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// What went wrong, and where if a place is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub pos: Option<Pos>,
    pub message: String,
}

impl Error {
    /// An error with no position (a whole-tree or I/O problem).
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            pos: None,
            message: message.into(),
        }
    }

    /// An error at line `line` of `path`.
    pub fn at(path: &str, line: usize, message: impl Into<String>) -> Error {
        Error {
            pos: Some(Pos {
                path: path.to_string(),
                line,
            }),
            message: message.into(),
        }
    }

    /// The same error with `dir/` put before its path (to name files from the repository root).
    pub fn under(mut self, dir: &str) -> Error {
        if let Some(pos) = &mut self.pos {
            pos.path = format!("{dir}/{}", pos.path);
        }
        self
    }

    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, err: std::io::Error) -> Error {
        Error::new(format!("{}: {err}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pos {
            Some(pos) => write!(f, "{pos}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
