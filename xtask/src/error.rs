//! Errors that are the user's to fix (an unknown chapter, a missing QEMU, a bad option) as
//! opposed to failures of the work itself. `main` prints both as one `error:` line; a user error
//! exits with status 2, anything else with status 1.

use std::fmt;

/// A mistake in how xtask was called or set up, reported as-is with exit status 2.
#[derive(Debug)]
pub struct UserError(pub String);

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Wraps `message` as a [`UserError`].
pub fn user_error(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UserError(message.into()))
}

/// The process exit status for an error that ended a command.
pub fn exit_status(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<UserError>().is_some() {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_exit_with_2_and_others_with_1() {
        assert_eq!(exit_status(&user_error("unknown chapter")), 2);
        assert_eq!(exit_status(&anyhow::anyhow!("build failed")), 1);
        let wrapped = user_error("bad option").context("while parsing");
        assert_eq!(exit_status(&wrapped), 2);
    }
}
