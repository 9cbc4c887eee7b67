//! `chapters.toml`, the one list of the book's chapters. xtask reads each chapter's `number`
//! (which names its snapshot directory `chapters/chapter-NN`), `title` and `default_prog`; other
//! keys belong to other commands and are left alone.

use anyhow::{Context, bail};
use toml::{Table, Value};

/// One `[[chapter]]` of `chapters.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    pub number: u32,
    pub title: String,
    pub default_prog: String,
}

impl Chapter {
    /// The snapshot directory's name (`chapter-07`), which is also how commands name the chapter.
    pub fn dir_name(&self) -> String {
        dir_name(self.number)
    }
}

/// `chapter-NN` for chapter `number`.
pub fn dir_name(number: u32) -> String {
    format!("chapter-{number:02}")
}

/// Parses the text of `chapters.toml`; the chapters come back in file order.
pub fn parse(text: &str) -> anyhow::Result<Vec<Chapter>> {
    let table: Table = text.parse().context("chapters.toml is not valid TOML")?;
    let Some(list) = table.get("chapter") else {
        bail!("chapters.toml has no [[chapter]] tables");
    };
    let Value::Array(list) = list else {
        bail!("chapters.toml: `chapter` must be a list of [[chapter]] tables");
    };
    let mut chapters: Vec<Chapter> = Vec::new();
    for (index, item) in list.iter().enumerate() {
        let Value::Table(item) = item else {
            bail!("chapters.toml: chapter #{} is not a table", index + 1);
        };
        let chapter =
            parse_one(item).with_context(|| format!("chapters.toml: chapter #{}", index + 1))?;
        if chapters.iter().any(|c| c.number == chapter.number) {
            bail!(
                "chapters.toml: chapter number {} appears twice",
                chapter.number
            );
        }
        chapters.push(chapter);
    }
    Ok(chapters)
}

fn parse_one(item: &Table) -> anyhow::Result<Chapter> {
    let number = match item.get("number") {
        Some(Value::Integer(n)) => u32::try_from(*n).context("`number` must not be negative")?,
        Some(_) => bail!("`number` must be an integer"),
        None => bail!("`number` is missing"),
    };
    Ok(Chapter {
        number,
        title: string(item, "title")?,
        default_prog: string(item, "default_prog")?,
    })
}

fn string(item: &Table, key: &str) -> anyhow::Result<String> {
    match item.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => bail!("`{key}` must be a string"),
        None => bail!("`{key}` is missing"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
        [[chapter]]
        number = 0
        slug = "starting-kernel"
        title = "The starting kernel"
        default_prog = "hello"

        [[chapter]]
        number = 1
        title = "Multiprocessor support"
        default_prog = "yield"
    "#;

    #[test]
    fn reads_chapters_in_order_and_ignores_other_keys() {
        let chapters = parse(TWO).unwrap();
        assert_eq!(chapters.len(), 2);
        assert_eq!(chapters[0].dir_name(), "chapter-00");
        assert_eq!(chapters[0].default_prog, "hello");
        assert_eq!(chapters[1].title, "Multiprocessor support");
        assert_eq!(dir_name(12), "chapter-12");
    }

    #[test]
    fn rejects_missing_keys_wrong_types_and_duplicates() {
        let err = |text: &str| format!("{:#}", parse(text).unwrap_err());
        assert!(err("x = 1").contains("no [[chapter]]"));
        assert!(err("[[chapter]]\nnumber = 0\ntitle = 't'").contains("`default_prog` is missing"));
        assert!(err("[[chapter]]\nnumber = 'a'").contains("`number` must be an integer"));
        assert!(err("[[chapter]]\nnumber = -1").contains("negative"));
        let twice = "[[chapter]]\nnumber = 0\ntitle = 'a'\ndefault_prog = 'p'\n".repeat(2);
        assert!(err(&twice).contains("appears twice"));
    }
}
