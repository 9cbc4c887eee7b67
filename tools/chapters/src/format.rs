//! Formatting the generated Rust files with rustfmt, so that every snapshot is rustfmt-clean.
//!
//! `kernel-final/` is formatted, but a chapter's version of a file need not be: removing marker
//! blocks can leave two blank lines in a row, and `use` or `mod` lines of different blocks can
//! end up in an order rustfmt sorts differently. So `split` formats every `.rs` file of every
//! snapshot, and `cargo fmt --check` passes in every `chapters/chapter-NN/`.
//!
//! rustfmt reads the file's text on stdin (`rustfmt --edition 2024 --emit stdout`), so it
//! formats that text alone and follows no `mod` declaration. The binary is the one of the
//! toolchain pinned by the repository's `rust-toolchain.toml` (`rustup which rustfmt`, run in
//! the repository's root without `RUSTUP_TOOLCHAIN`), or `$RUSTFMT` if set, as for `cargo fmt`.
//! Its configuration is always explicit (`--config-path`): the snapshot's `.rustfmt.toml` or
//! `rustfmt.toml` nearest above the file, as `cargo fmt` in the chapter would find it, else an
//! empty one, so that no configuration outside the repository (`~/.rustfmt.toml`) changes the
//! output and `split --check` means the same on every machine.
//!
//! Speed: rustfmt's start-up, not its work, is most of the cost, so
//! - each distinct pair of configuration and text is formatted once (most files render the same
//!   in many chapters);
//! - several rustfmt processes run at a time;
//! - results are kept in `target/chapters-rustfmt/`, keyed by rustfmt's version, the edition,
//!   the configuration and the text (each entry holds its whole key, which is compared on
//!   reading), so that a run formats only texts that changed since the previous one. Entries
//!   the run did not use are removed afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::sync::Files;

/// The Rust edition the files are formatted for: that of `kernel-final/`'s crates.
pub const EDITION: &str = "2024";

/// The names rustfmt looks for in each directory, in its order of preference.
pub const CONFIG_NAMES: [&str; 2] = [".rustfmt.toml", "rustfmt.toml"];

/// The cache's directory, relative to the repository's root.
pub const CACHE_DIR: &str = "target/chapters-rustfmt";

/// How to run rustfmt, and where to keep its results.
#[derive(Clone, Debug)]
pub struct Rustfmt {
    program: OsString,
    cwd: PathBuf,
    /// `rustfmt --version`, part of every cache key.
    version: String,
    cache: Option<PathBuf>,
}

impl Rustfmt {
    /// The rustfmt of the toolchain pinned in the repository at `repo` (or `$RUSTFMT`), with
    /// its cache in `repo/target/chapters-rustfmt`.
    pub fn for_repo(repo: &Path) -> Result<Rustfmt> {
        let program = match std::env::var_os("RUSTFMT") {
            Some(program) => program,
            None => pinned_rustfmt(repo),
        };
        Rustfmt::new(program, repo, Some(repo.join(CACHE_DIR)))
    }

    /// `program`, run in `cwd`, caching in `cache` if given. Fails if it does not run.
    pub fn new(
        program: impl Into<OsString>,
        cwd: &Path,
        cache: Option<PathBuf>,
    ) -> Result<Rustfmt> {
        let program = program.into();
        let shown = program.to_string_lossy().into_owned();
        let cannot = |why: String| {
            Error::new(format!(
                "cannot run `{shown} --version`: {why} (split formats the chapters' Rust files with \
                 the pinned toolchain's rustfmt: `rustup component add rustfmt`)"
            ))
        };
        let output = Command::new(&program)
            .arg("--version")
            .current_dir(cwd)
            .env_remove("RUSTUP_TOOLCHAIN")
            .output()
            .map_err(|e| cannot(e.to_string()))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(cannot(format!("{}: {}", output.status, stderr.trim())));
        }
        Ok(Rustfmt {
            program,
            cwd: cwd.to_path_buf(),
            version: String::from_utf8_lossy(&output.stdout).trim().to_string(),
            cache,
        })
    }

    /// The binary that runs.
    pub fn program(&self) -> &OsStr {
        &self.program
    }

    /// What `rustfmt --version` says.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Formats one file's text with the configuration file `config`; on failure, rustfmt's
    /// diagnostics (which call the file `<stdin>`) or why it could not run.
    pub fn format(&self, text: &[u8], config: &Path) -> std::result::Result<Vec<u8>, String> {
        let mut child = Command::new(&self.program)
            .args(["--edition", EDITION, "--emit", "stdout", "--config-path"])
            .arg(config)
            .current_dir(&self.cwd)
            .env_remove("RUSTUP_TOOLCHAIN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", self.program.to_string_lossy()))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // Write from another thread: a pipe holds only so much, and rustfmt may answer (with
        // an error) before it has read everything.
        let output = std::thread::scope(|s| {
            s.spawn(move || {
                // A failed write means that rustfmt stopped reading; its status tells why.
                let _ = stdin.write_all(text);
            });
            child.wait_with_output()
        })
        .map_err(|e| format!("rustfmt: {e}"))?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            Err(format!(
                "rustfmt failed ({}):\n{}",
                output.status,
                stderr.trim_end()
            ))
        }
    }
}

/// The pinned toolchain's rustfmt binary itself (starting rustup's proxy for every file would
/// double the cost), or plain `rustfmt` where rustup cannot say.
fn pinned_rustfmt(repo: &Path) -> OsString {
    let output = Command::new("rustup")
        .args(["which", "rustfmt"])
        .current_dir(repo)
        .env_remove("RUSTUP_TOOLCHAIN")
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if path.is_empty() {
                "rustfmt".into()
            } else {
                path.into()
            }
        }
        _ => "rustfmt".into(),
    }
}

/// The configuration file that applies to `path` among `files`: the first of [`CONFIG_NAMES`]
/// in the file's directory, else in its parent, and so on up to the root; its path and text.
pub fn config_for<'a>(files: &'a Files, path: &str) -> Option<(&'a str, &'a [u8])> {
    let mut dir = path;
    loop {
        dir = match dir.rfind('/') {
            Some(slash) => &dir[..slash],
            None => "",
        };
        for name in CONFIG_NAMES {
            let candidate = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            if let Some((key, text)) = files.get_key_value(&candidate) {
                return Some((key.as_str(), text.as_slice()));
            }
        }
        if dir.is_empty() {
            return None;
        }
    }
}

/// A `.rs` text rustfmt rejected: where it first occurs and what rustfmt said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The chapter directory (`chapter-03`) and the path in it.
    pub dir: String,
    pub path: String,
    pub message: String,
    /// How many other files of the snapshots have the same text (and configuration).
    pub also: usize,
}

/// What a [`format_snapshots`] run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `.rs` files in all snapshots.
    pub files: usize,
    /// Distinct (configuration, text) pairs among them.
    pub distinct: usize,
    /// Of those, how many rustfmt formatted (the rest came from the cache).
    pub formatted: usize,
}

/// What rustfmt is given: a configuration file's text and a file's text.
type Job<'a> = (&'a [u8], &'a [u8]);

/// Formats every `.rs` file of every snapshot (chapter directory name to files) in place. If
/// rustfmt rejects a text, nothing is changed and the error is `describe` of the earliest
/// chapter's failure.
pub fn format_snapshots(
    rustfmt: &Rustfmt,
    snapshots: &mut BTreeMap<String, Files>,
    describe: impl Fn(&Failure) -> Error,
) -> Result<Stats> {
    // Distinct (configuration, text) pairs, and where each occurs, earliest chapter first.
    let mut places: BTreeMap<Job, Vec<(&str, &str)>> = BTreeMap::new();
    for (dir, files) in snapshots.iter() {
        for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".rs")) {
            let config = config_for(files, path).map_or(&[][..], |(_, text)| text);
            places
                .entry((config, text.as_slice()))
                .or_default()
                .push((dir.as_str(), path.as_str()));
        }
    }
    let mut stats = Stats {
        files: places.values().map(Vec::len).sum(),
        distinct: places.len(),
        formatted: 0,
    };
    let cache = rustfmt.cache.as_deref().map(Cache);
    let keys: Vec<Vec<u8>> = places
        .keys()
        .map(|(config, text)| cache_key(&rustfmt.version, config, text))
        .collect();
    let mut results: Vec<Option<std::result::Result<Vec<u8>, String>>> = keys
        .iter()
        .map(|key| cache.as_ref().and_then(|c| c.get(key)).map(Ok))
        .collect();

    // Format what the cache does not hold; each configuration goes to a temporary file.
    let todo: Vec<(usize, &[u8], &[u8])> = places
        .keys()
        .enumerate()
        .filter(|(i, _)| results[*i].is_none())
        .map(|(i, (config, text))| (i, *config, *text))
        .collect();
    stats.formatted = todo.len();
    if !todo.is_empty() {
        let temp = TempDir::new();
        let mut config_paths: BTreeMap<&[u8], PathBuf> = BTreeMap::new();
        for &(_, config, _) in &todo {
            if config_paths.contains_key(config) {
                continue;
            }
            let dir = temp.0.join(config_paths.len().to_string());
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let path = dir.join("rustfmt.toml");
            std::fs::write(&path, config).map_err(|e| Error::io(&path, e))?;
            config_paths.insert(config, path);
        }
        let done = parallel_map(&todo, workers(), |&(_, config, text)| {
            rustfmt.format(text, &config_paths[config])
        });
        for (&(i, _, _), result) in todo.iter().zip(done) {
            if let (Some(cache), Ok(output)) = (&cache, &result) {
                cache.put(&keys[i], output);
            }
            results[i] = Some(result);
        }
    }

    let mut failures = Vec::new();
    let mut formatted: Vec<(String, String, Vec<u8>)> = Vec::new();
    for (where_, result) in places.values().zip(results) {
        match result.expect("every text is formatted or cached") {
            Ok(text) => formatted.extend(
                where_
                    .iter()
                    .map(|(dir, path)| (dir.to_string(), path.to_string(), text.clone())),
            ),
            Err(message) => failures.push(Failure {
                dir: where_[0].0.to_string(),
                path: where_[0].1.to_string(),
                message,
                also: where_.len() - 1,
            }),
        }
    }
    failures.sort_by(|a, b| (&a.dir, &a.path).cmp(&(&b.dir, &b.path)));
    if let Some(first) = failures.first() {
        let mut error = describe(first);
        if failures.len() > 1 {
            let others: Vec<String> = failures[1..]
                .iter()
                .map(|f| format!("{}/{}", f.dir, f.path))
                .collect();
            error.message += &format!(
                "\n(rustfmt rejects {} more: {})",
                others.len(),
                others.join(", ")
            );
        }
        return Err(error);
    }
    if let Some(cache) = &cache {
        cache.keep_only(keys.iter().map(|k| Cache::name(k)).collect());
    }
    for (dir, path, text) in formatted {
        let slot = snapshots
            .get_mut(&dir)
            .and_then(|files| files.get_mut(&path))
            .expect("a formatted file comes from the snapshots");
        *slot = text;
    }
    Ok(stats)
}

/// Everything the result of formatting depends on, length-prefixed.
fn cache_key(version: &str, config: &[u8], text: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(text.len() + config.len() + 64);
    for part in [version.as_bytes(), EDITION.as_bytes(), config, text] {
        key.extend_from_slice(&(part.len() as u64).to_le_bytes());
        key.extend_from_slice(part);
    }
    key
}

/// The cache directory. An entry's name is a hash of its key; the entry holds the key's length,
/// the key and rustfmt's output. The cache is only an accelerator: an entry that cannot be
/// read, written or does not match is ignored.
struct Cache<'a>(&'a Path);

impl Cache<'_> {
    fn name(key: &[u8]) -> String {
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write(key);
        format!("{:016x}", hasher.finish())
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let entry = std::fs::read(self.0.join(Cache::name(key))).ok()?;
        let (len, rest) = entry.split_first_chunk::<8>()?;
        let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        let (stored, output) = rest.split_at_checked(len)?;
        (stored == key).then(|| output.to_vec())
    }

    fn put(&self, key: &[u8], output: &[u8]) {
        let name = Cache::name(key);
        // Written aside and renamed into place, so that a reader never sees half an entry.
        let temp = self.0.join(format!("{name}.tmp{}", std::process::id()));
        let mut entry = Vec::with_capacity(8 + key.len() + output.len());
        entry.extend_from_slice(&(key.len() as u64).to_le_bytes());
        entry.extend_from_slice(key);
        entry.extend_from_slice(output);
        let written = std::fs::create_dir_all(self.0)
            .and_then(|()| std::fs::write(&temp, &entry))
            .and_then(|()| std::fs::rename(&temp, self.0.join(&name)));
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }

    /// Removes every entry whose name is not in `used`.
    fn keep_only(&self, used: BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(self.0) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !used.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// How many rustfmt processes run at a time: more than the cores, because a process spends
/// most of its short life starting up, not computing (measured on 2 cores: 4 to 8 do best).
fn workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 3).clamp(4, 16)
}

/// `f` applied to every item, by up to `threads` threads; the results in the items' order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else {
                        break;
                    };
                    let result = f(item);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every item is mapped"))
        .collect()
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let name = format!("chapters-rustfmt-{}-{n}", std::process::id());
        TempDir(std::env::temp_dir().join(name))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
