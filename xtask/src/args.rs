//! A small command-line parser, enough for xtask's commands: `--flag`, `--option VALUE` (or
//! `--option=VALUE`, possibly repeated), positional arguments, and everything after `--` passed
//! through untouched.

use crate::error::user_error;

/// The arguments of one command, consumed piece by piece by the command's parser.
#[derive(Debug)]
pub struct Args {
    items: Vec<String>,
    passthrough: Vec<String>,
}

impl Args {
    /// Splits `args` at the first `--`: what follows is kept for [`Args::passthrough`].
    pub fn new(args: Vec<String>) -> Args {
        let mut items = args;
        let passthrough = match items.iter().position(|a| a == "--") {
            Some(at) => {
                let rest = items.split_off(at);
                rest.into_iter().skip(1).collect()
            }
            None => Vec::new(),
        };
        Args { items, passthrough }
    }

    /// Removes every `--name` and says whether there was one.
    pub fn flag(&mut self, name: &str) -> bool {
        let flag = format!("--{name}");
        let before = self.items.len();
        self.items.retain(|a| *a != flag);
        self.items.len() != before
    }

    /// Removes every `--name VALUE` and `--name=VALUE`, returning the values in order.
    pub fn values(&mut self, name: &str) -> anyhow::Result<Vec<String>> {
        let flag = format!("--{name}");
        let prefix = format!("--{name}=");
        let mut values = Vec::new();
        let mut kept = Vec::new();
        let mut items = std::mem::take(&mut self.items).into_iter();
        while let Some(item) = items.next() {
            if item == flag {
                match items.next() {
                    Some(value) if !value.starts_with("--") => values.push(value),
                    _ => return Err(user_error(format!("{flag} needs a value"))),
                }
            } else if let Some(value) = item.strip_prefix(&prefix) {
                values.push(value.to_string());
            } else {
                kept.push(item);
            }
        }
        self.items = kept;
        Ok(values)
    }

    /// Like [`Args::values`] for an option given at most once.
    pub fn value(&mut self, name: &str) -> anyhow::Result<Option<String>> {
        let mut values = self.values(name)?;
        if values.len() > 1 {
            return Err(user_error(format!("--{name} given more than once")));
        }
        Ok(values.pop())
    }

    /// The remaining arguments, which must all be positional; at most `max` of them.
    pub fn positionals(self, max: usize) -> anyhow::Result<Vec<String>> {
        if let Some(option) = self
            .items
            .iter()
            .find(|a| a.starts_with('-') && a.len() > 1)
        {
            return Err(user_error(format!("unknown option '{option}'")));
        }
        if self.items.len() > max {
            return Err(user_error(format!(
                "unexpected argument '{}'",
                self.items[max]
            )));
        }
        Ok(self.items)
    }

    /// What followed `--`, for the command to pass on (to QEMU, say).
    pub fn passthrough(&self) -> &[String] {
        &self.passthrough
    }

    /// Fails if anything followed `--`, for commands that pass nothing on.
    pub fn no_passthrough(&self) -> anyhow::Result<()> {
        match self.passthrough.first() {
            Some(first) => Err(user_error(format!(
                "unexpected argument '{first}' after '--'"
            ))),
            None => Ok(()),
        }
    }
}

/// Parses a positive integer option such as `--cpus 2`.
pub fn positive(name: &str, value: &str) -> anyhow::Result<u32> {
    match value.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(user_error(format!(
            "--{name} wants a positive whole number, not '{value}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        Args::new(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn splits_off_everything_after_double_dash() {
        let a = args(&["chapter-00", "--", "-d", "int", "--", "x"]);
        assert_eq!(a.passthrough(), ["-d", "int", "--", "x"]);
        assert!(a.no_passthrough().is_err());
        assert_eq!(a.positionals(1).unwrap(), ["chapter-00"]);
    }

    #[test]
    fn takes_flags_and_repeated_values_in_both_spellings() {
        let mut a = args(&[
            "--prog",
            "hello",
            "ch",
            "--gdb",
            "--prog=yield",
            "--cpus",
            "2",
        ]);
        assert!(a.flag("gdb"));
        assert!(!a.flag("release"));
        assert_eq!(a.values("prog").unwrap(), ["hello", "yield"]);
        assert_eq!(a.value("cpus").unwrap().as_deref(), Some("2"));
        assert_eq!(a.positionals(1).unwrap(), ["ch"]);
    }

    #[test]
    fn rejects_missing_values_unknown_options_and_extra_arguments() {
        assert!(args(&["--prog"]).values("prog").is_err());
        assert!(args(&["--prog", "--gdb"]).values("prog").is_err());
        assert!(args(&["--cpus=1", "--cpus=2"]).value("cpus").is_err());
        assert!(args(&["--bogus"]).positionals(3).is_err());
        assert!(args(&["a", "b"]).positionals(1).is_err());
        assert!(args(&[]).no_passthrough().is_ok());
    }

    #[test]
    fn parses_positive_numbers_only() {
        assert_eq!(positive("cpus", "4").unwrap(), 4);
        assert!(positive("cpus", "0").is_err());
        assert!(positive("cpus", "two").is_err());
    }
}
