//! `chapters.toml`: the one list of the book's chapters (number, slug, title, default program).
//!
//! Chapter numbers name the snapshot directories (`chapters/chapter-NN`) and appear in the
//! markers of `kernel-final/`; slugs name the book pages (`book/src/<slug>.md`). The numbers
//! must rise in file order: "the previous chapter" of a chapter is the one listed before it.

use std::path::Path;

use toml::{Table, Value};

use crate::error::{Error, Result};

/// One `[[chapter]]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chapter {
    pub number: u32,
    pub slug: String,
    pub title: String,
    pub default_prog: String,
}

impl Chapter {
    /// The snapshot directory's name, e.g. `chapter-07`.
    pub fn dir_name(&self) -> String {
        format!("chapter-{:02}", self.number)
    }

    /// The book page of the chapter, relative to `book/src`.
    pub fn page(&self) -> String {
        format!("{}.md", self.slug)
    }
}

/// The chapters in book order; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chapters {
    list: Vec<Chapter>,
}

impl Chapters {
    /// Reads and checks `path` (normally the repository's `chapters.toml`).
    pub fn load(path: &Path) -> Result<Chapters> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Chapters::parse(&text).map_err(|e| Error::new(format!("{}: {}", path.display(), e.message)))
    }

    /// Parses and checks the text of `chapters.toml`.
    pub fn parse(text: &str) -> Result<Chapters> {
        let table: Table = text
            .parse()
            .map_err(|e| Error::new(format!("not valid TOML: {e}")))?;
        let Some(Value::Array(items)) = table.get("chapter") else {
            return Err(Error::new("no [[chapter]] tables"));
        };
        let mut list: Vec<Chapter> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let what = format!("chapter #{}", index + 1);
            let Value::Table(item) = item else {
                return Err(Error::new(format!("{what} is not a table")));
            };
            let chapter = parse_one(item).map_err(|e| Error::new(format!("{what}: {e}")))?;
            if let Some(last) = list.last()
                && chapter.number <= last.number
            {
                return Err(Error::new(format!(
                    "{what}: number {} does not follow {} (numbers must rise)",
                    chapter.number, last.number
                )));
            }
            if list.iter().any(|c| c.slug == chapter.slug) {
                return Err(Error::new(format!(
                    "{what}: slug `{}` appears twice",
                    chapter.slug
                )));
            }
            list.push(chapter);
        }
        if list.is_empty() {
            return Err(Error::new("no [[chapter]] tables"));
        }
        Ok(Chapters { list })
    }

    /// The chapters in book order.
    pub fn iter(&self) -> impl Iterator<Item = &Chapter> {
        self.list.iter()
    }

    /// The chapter numbered `number`, if there is one.
    pub fn get(&self, number: u32) -> Option<&Chapter> {
        self.list.iter().find(|c| c.number == number)
    }

    /// Whether a chapter numbered `number` exists.
    pub fn contains(&self, number: u32) -> bool {
        self.get(number).is_some()
    }

    /// The first chapter (the starting kernel).
    pub fn first(&self) -> &Chapter {
        &self.list[0]
    }

    /// The last chapter, whose snapshot is `kernel-final/` without its markers.
    pub fn last(&self) -> &Chapter {
        &self.list[self.list.len() - 1]
    }

    /// The number of the chapter before `number`, or `None` for the first chapter.
    pub fn previous(&self, number: u32) -> Option<u32> {
        let index = self.list.iter().position(|c| c.number == number)?;
        index.checked_sub(1).map(|i| self.list[i].number)
    }

    /// The chapter whose page is `page` (a path relative to `book/src`, like `smp.md`).
    pub fn by_page(&self, page: &str) -> Option<&Chapter> {
        self.list.iter().find(|c| c.page() == page)
    }
}

fn parse_one(item: &Table) -> Result<Chapter> {
    let number = match item.get("number") {
        Some(Value::Integer(n)) => {
            u32::try_from(*n).map_err(|_| Error::new("`number` must be between 0 and 2^32-1"))?
        }
        Some(_) => return Err(Error::new("`number` must be an integer")),
        None => return Err(Error::new("`number` is missing")),
    };
    let slug = string(item, "slug")?;
    let slug_ok = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        return Err(Error::new(format!(
            "slug `{slug}` must be lowercase letters, digits and dashes"
        )));
    }
    Ok(Chapter {
        number,
        slug,
        title: string(item, "title")?,
        default_prog: string(item, "default_prog")?,
    })
}

fn string(item: &Table, key: &str) -> Result<String> {
    match item.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(Error::new(format!("`{key}` is empty"))),
        Some(_) => Err(Error::new(format!("`{key}` must be a string"))),
        None => Err(Error::new(format!("`{key}` is missing"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter(number: u32, slug: &str) -> String {
        format!(
            "[[chapter]]\nnumber = {number}\nslug = \"{slug}\"\ntitle = \"T{number}\"\ndefault_prog = \"hello\"\n"
        )
    }

    #[test]
    fn reads_chapters_in_order() {
        let text = chapter(0, "start") + &chapter(1, "smp") + &chapter(3, "cow");
        let chapters = Chapters::parse(&text).unwrap();
        assert_eq!(chapters.first().number, 0);
        assert_eq!(chapters.last().slug, "cow");
        assert_eq!(chapters.previous(3), Some(1));
        assert_eq!(chapters.previous(0), None);
        assert_eq!(chapters.previous(2), None);
        assert_eq!(chapters.get(1).unwrap().dir_name(), "chapter-01");
        assert_eq!(chapters.by_page("smp.md").unwrap().number, 1);
        assert!(!chapters.contains(2));
    }

    #[test]
    fn rejects_bad_lists() {
        let err = |text: &str| Chapters::parse(text).unwrap_err().message;
        assert!(err("x = 1").contains("no [[chapter]]"));
        assert!(err(&(chapter(1, "a") + &chapter(0, "b"))).contains("must rise"));
        assert!(err(&(chapter(0, "a") + &chapter(1, "a"))).contains("appears twice"));
        assert!(err(&chapter(0, "Big Slug")).contains("lowercase"));
        assert!(err("[[chapter]]\nnumber = 0\nslug = \"a\"").contains("`title` is missing"));
        assert!(err("[[chapter]]\nnumber = -1").contains("between"));
    }
}
