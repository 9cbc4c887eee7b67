//! The kernel command line (`prog` in a QEMU test, `--prog` of `run`, `default_prog` in
//! `chapters.toml`): words separated by white space, each a user program to start (one
//! environment each, in order) or an option for the kernel, which is any word holding a `=`
//! (`selftest=kstack-overflow`). The kernel reads it the same way.

use crate::error::user_error;

/// The words of the command line `text`.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// Is `word` an option for the kernel rather than a program name?
pub fn is_option(word: &str) -> bool {
    word.contains('=')
}

/// The words of `words` that name programs (are no options) but are not among `programs`.
pub fn unknown_programs<'a>(words: &'a [String], programs: &[String]) -> Vec<&'a str> {
    words
        .iter()
        .filter(|w| !is_option(w) && !programs.contains(w))
        .map(String::as_str)
        .collect()
}

/// The command line of `cargo xtask run`: the words of every `--prog` value in order (each value
/// may hold several words), or those of `default` when there is none.
pub fn from_values(values: &[String], default: &str) -> anyhow::Result<Vec<String>> {
    if values.is_empty() {
        return Ok(words(default));
    }
    let mut line = Vec::new();
    for value in values {
        let more = words(value);
        if more.is_empty() {
            return Err(user_error(
                "--prog needs a program name or a kernel option (NAME=VALUE), not an empty string",
            ));
        }
        line.extend(more);
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn splits_words_and_tells_options_from_programs() {
        assert_eq!(
            words("  selftest=kstack-overflow\thello  "),
            ["selftest=kstack-overflow", "hello"]
        );
        assert!(is_option("selftest=kstack-overflow"));
        assert!(!is_option("hello"));
    }

    #[test]
    fn options_pass_and_every_other_word_must_be_a_program() {
        let programs = strings(&["hello", "yield"]);
        let line = words("selftest=kstack-overflow hello nope yield x=y nope2");
        assert_eq!(unknown_programs(&line, &programs), ["nope", "nope2"]);
        assert!(unknown_programs(&words("yield yield yield"), &programs).is_empty());
    }

    #[test]
    fn prog_values_may_repeat_and_hold_several_words() {
        let line = from_values(&strings(&["selftest=kstack-overflow hello", "yield"]), "x");
        assert_eq!(
            line.unwrap(),
            ["selftest=kstack-overflow", "hello", "yield"]
        );
        assert_eq!(
            from_values(&[], "yield yield yield").unwrap(),
            ["yield", "yield", "yield"]
        );
        let err = from_values(&strings(&["hello", " "]), "x").unwrap_err();
        assert_eq!(crate::error::exit_status(&err), 2);
    }
}
