//! Making sure the Rust toolchain has what `rust-toolchain.toml` lists, before any kernel build.
//!
//! rustup installs a toolchain file's `targets` and `components` only when it installs the
//! toolchain itself: a toolchain that was already there (say 1.95.0, installed for another
//! project) is used as it is, and the kernel's build then stops with "can't find crate for
//! `core`". So the commands that build (or format) kernels first compare the file with what
//! `rustup target list --installed` and `rustup component list --installed` say, and install
//! what is missing with rustup, saying so in one line; where that cannot be done, they stop with
//! one line naming the command to run. Nothing is cached: when everything is there, the check is
//! the two rustup listings, run side by side (a few tens of milliseconds).
//!
//! The toolchain checked is the one every cargo that xtask starts will use: `RUSTUP_TOOLCHAIN`,
//! which rustup's `cargo` sets for xtask (from the toolchain file, or from `cargo +NAME`), else
//! the file's `channel`.

use std::io;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use anyhow::Context;

use crate::error::user_error;
use crate::repo::Repo;
use crate::tree::KERNEL_TARGET;

/// What `rust-toolchain.toml` pins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pinned {
    /// `channel`: `1.95.0`, `stable`, `nightly-2026-01-01`; `None` for a `path` toolchain.
    pub channel: Option<String>,
    pub components: Vec<String>,
    pub targets: Vec<String>,
    /// `profile`, for installing the whole toolchain.
    pub profile: Option<String>,
}

/// Reads the text of a `rust-toolchain.toml`.
pub fn parse(text: &str) -> anyhow::Result<Pinned> {
    let file: toml::Table = text.parse()?;
    let Some(toml::Value::Table(t)) = file.get("toolchain") else {
        anyhow::bail!("no [toolchain] table");
    };
    let string = |key: &str| -> anyhow::Result<Option<String>> {
        match t.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => anyhow::bail!("`{key}` must be a string"),
        }
    };
    let list = |key: &str| -> anyhow::Result<Vec<String>> {
        match t.get(key) {
            None => Ok(Vec::new()),
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    toml::Value::String(s) => Ok(s.trim().to_string()),
                    _ => anyhow::bail!("`{key}` must be a list of strings"),
                })
                .collect(),
            Some(_) => anyhow::bail!("`{key}` must be a list of strings"),
        }
    };
    Ok(Pinned {
        channel: string("channel")?.filter(|c| !c.is_empty()),
        components: list("components")?,
        targets: list("targets")?,
        profile: string("profile")?,
    })
}

/// The toolchain that cargo runs started by xtask use: `RUSTUP_TOOLCHAIN` when set (rustup's
/// cargo sets it for xtask), else the pinned channel. A `RUSTUP_TOOLCHAIN` that is the channel
/// with a host triple appended is named as the file names it (`1.95.0`).
pub fn toolchain_name(channel: Option<&str>, env: Option<&str>) -> Option<String> {
    match (channel, env.map(str::trim).filter(|e| !e.is_empty())) {
        (Some(channel), Some(env))
            if env == channel
                || env
                    .strip_prefix(channel)
                    .is_some_and(|rest| rest.starts_with('-')) =>
        {
            Some(channel.to_string())
        }
        (_, Some(env)) => Some(env.to_string()),
        (channel, None) => channel.map(str::to_string),
    }
}

/// The host triple of a toolchain, from `rustup component list --installed`'s `rustc-<host>`.
fn host_of(components: &[&str]) -> Option<String> {
    components
        .iter()
        .find_map(|c| c.strip_prefix("rustc-"))
        .map(str::to_string)
}

/// A component name without rustup's old `-preview` suffix (`clippy-preview` is `clippy`).
fn base_name(name: &str) -> &str {
    name.strip_suffix("-preview").unwrap_or(name)
}

/// Whether `wanted` (as a toolchain file names a component: `clippy`) is among `installed` (as
/// `rustup component list --installed` prints them: `clippy-x86_64-unknown-linux-gnu`, or
/// `rust-src` for a component of no particular target).
fn has_component(wanted: &str, installed: &[&str], host: Option<&str>) -> bool {
    let wanted = base_name(wanted);
    installed.iter().any(|line| {
        let line = line.trim();
        if base_name(line) == wanted {
            return true;
        }
        match host.and_then(|h| line.strip_suffix(h)) {
            Some(name) => name
                .strip_suffix('-')
                .is_some_and(|name| base_name(name) == wanted),
            None => false,
        }
    })
}

/// What the toolchain lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Nothing,
    /// The toolchain itself is not installed.
    Toolchain,
    /// Targets and components the installed toolchain lacks, in the file's order.
    Parts {
        targets: Vec<String>,
        components: Vec<String>,
    },
}

/// Compares the file with rustup's listings of the installed targets and components (one per
/// line); `None` for a listing that failed, which means the toolchain is not installed.
pub fn missing(pinned: &Pinned, targets: Option<&str>, components: Option<&str>) -> Missing {
    let (Some(targets), Some(components)) = (targets, components) else {
        return Missing::Toolchain;
    };
    let installed_targets: Vec<&str> = targets.lines().map(str::trim).collect();
    let installed_components: Vec<&str> = components.lines().map(str::trim).collect();
    let host = host_of(&installed_components);
    let targets: Vec<String> = pinned
        .targets
        .iter()
        .filter(|t| !installed_targets.contains(&t.as_str()) && Some(t.as_str()) != host.as_deref())
        .cloned()
        .collect();
    let components: Vec<String> = pinned
        .components
        .iter()
        .filter(|c| !has_component(c, &installed_components, host.as_deref()))
        .cloned()
        .collect();
    if targets.is_empty() && components.is_empty() {
        Missing::Nothing
    } else {
        Missing::Parts {
            targets,
            components,
        }
    }
}

/// One rustup command that installs something, and the line that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What it installs, for messages: `the x86_64-unknown-none target`.
    pub what: String,
    /// rustup's arguments.
    pub args: Vec<String>,
}

impl Step {
    /// The command as a person would type it.
    pub fn command(&self) -> String {
        let mut line = String::from("rustup");
        for arg in &self.args {
            line.push(' ');
            line.push_str(&crate::qemu::shell_quote(arg));
        }
        line
    }

    /// The one line printed before running it.
    pub fn announce(&self, toolchain: &str) -> String {
        format!(
            "setup: Rust {toolchain} lacks {} (rust-toolchain.toml lists it); running `{}`",
            self.what,
            self.command()
        )
    }

    /// The one line of the error when it cannot be run or fails.
    pub fn failed(&self, toolchain: &str, why: &str) -> String {
        format!(
            "Rust {toolchain} lacks {} (rust-toolchain.toml lists it) and {why}: run `{}`, then \
             try again",
            self.what,
            self.command()
        )
    }
}

/// `the x86_64-unknown-none target`, `the clippy and rustfmt components`.
fn describe(kind: &str, names: &[String]) -> String {
    let list = match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let plural = if names.len() > 1 { "s" } else { "" };
    format!("the {list} {kind}{plural}")
}

/// The rustup commands that install what is missing.
pub fn steps(pinned: &Pinned, toolchain: &str, missing: &Missing) -> Vec<Step> {
    match missing {
        Missing::Nothing => Vec::new(),
        Missing::Toolchain => {
            let mut args = vec!["toolchain".to_string(), "install".into(), toolchain.into()];
            if let Some(profile) = &pinned.profile {
                args.extend(["--profile".to_string(), profile.clone()]);
            }
            if !pinned.components.is_empty() {
                args.extend(["--component".to_string(), pinned.components.join(",")]);
            }
            if !pinned.targets.is_empty() {
                args.extend(["--target".to_string(), pinned.targets.join(",")]);
            }
            vec![Step {
                what: "everything: the toolchain is not installed".to_string(),
                args,
            }]
        }
        Missing::Parts {
            targets,
            components,
        } => {
            let mut steps = Vec::new();
            for (kind, names) in [("target", targets), ("component", components)] {
                if names.is_empty() {
                    continue;
                }
                let mut args = vec![kind.to_string(), "add".to_string()];
                args.extend(names.iter().cloned());
                args.extend(["--toolchain".to_string(), toolchain.to_string()]);
                steps.push(Step {
                    what: describe(kind, names),
                    args,
                });
            }
            steps
        }
    }
}

/// Makes sure the toolchain that xtask's cargo runs use has every target and component that the
/// repository's `rust-toolchain.toml` lists, installing what is missing with rustup.
pub fn ensure(repo: &Repo) -> anyhow::Result<()> {
    let file = repo.root.join("rust-toolchain.toml");
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", file.display())),
    };
    let pinned = parse(&text).with_context(|| format!("cannot read {}", file.display()))?;
    let env = std::env::var("RUSTUP_TOOLCHAIN").ok();
    let Some(toolchain) = toolchain_name(pinned.channel.as_deref(), env.as_deref()) else {
        return Ok(());
    };
    let listings = match list(&toolchain) {
        Ok(listings) => listings,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return without_rustup(&pinned, &toolchain);
        }
        Err(e) => return Err(e).context("cannot run rustup"),
    };
    let missing = missing(&pinned, listings.0.as_deref(), listings.1.as_deref());
    for step in steps(&pinned, &toolchain, &missing) {
        eprintln!("{}", step.announce(&toolchain));
        let status = Command::new("rustup")
            .args(&step.args)
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => {
                return Err(user_error(
                    step.failed(&toolchain, &format!("rustup failed ({status})")),
                ));
            }
            Err(e) => {
                return Err(user_error(
                    step.failed(&toolchain, &format!("rustup cannot be run ({e})")),
                ));
            }
        }
    }
    Ok(())
}

/// `rustup target list --installed` and `rustup component list --installed` for `toolchain`,
/// run side by side; a listing is `None` when rustup failed (the toolchain is not installed).
/// An error of kind `NotFound`: there is no rustup.
fn list(toolchain: &str) -> io::Result<(Option<String>, Option<String>)> {
    let spawn = |what: &str| {
        Command::new("rustup")
            .args([what, "list", "--installed", "--toolchain", toolchain])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
    };
    let targets = spawn("target")?;
    let components = spawn("component")?;
    let text = |output: io::Result<Output>| -> io::Result<Option<String>> {
        let output = output?;
        Ok(output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned()))
    };
    let targets = text(targets.wait_with_output());
    let components = text(components.wait_with_output());
    Ok((targets?, components?))
}

/// Without rustup nothing can be installed, but the kernel's target can still be looked for
/// where rustc looks for it: a target with no `core` library in its directory is missing.
fn without_rustup(pinned: &Pinned, toolchain: &str) -> anyhow::Result<()> {
    let wanted: Vec<&String> = pinned
        .targets
        .iter()
        .filter(|t| *t == KERNEL_TARGET)
        .collect();
    for target in wanted {
        let output = Command::new("rustc")
            .args(["--print", "target-libdir", "--target", target])
            .stderr(Stdio::null())
            .output();
        let has_core = output.is_ok_and(|o| {
            o.status.success() && has_core(Path::new(String::from_utf8_lossy(&o.stdout).trim()))
        });
        if !has_core {
            let install = steps(pinned, toolchain, &Missing::Toolchain);
            let command = install.first().map(Step::command).unwrap_or_default();
            return Err(user_error(format!(
                "the Rust here has no {target} target, which rust-toolchain.toml lists, and \
                 there is no rustup to install it: install rustup (https://rustup.rs), run \
                 `{command}`, then try again"
            )));
        }
    }
    Ok(())
}

/// Whether `libdir` holds a `core` library (`libcore-<hash>.rlib`).
fn has_core(libdir: &Path) -> bool {
    std::fs::read_dir(libdir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
        [toolchain]
        channel = "1.95.0"
        components = ["rustfmt", "clippy"]
        targets = ["x86_64-unknown-none"]
        profile = "minimal"
    "#;

    /// What rustup lists for a 1.95.0 that came without the kernel's target and with clippy
    /// (under its old name) but no rustfmt.
    const TARGETS: &str = "x86_64-unknown-linux-gnu\n";
    const COMPONENTS: &str = "cargo-x86_64-unknown-linux-gnu\nclippy-preview-x86_64-unknown-linux-gnu\n\
                              rust-std-x86_64-unknown-linux-gnu\nrustc-x86_64-unknown-linux-gnu\n";

    fn pinned() -> Pinned {
        parse(FILE).unwrap()
    }

    #[test]
    fn reads_the_toolchain_file() {
        assert_eq!(
            pinned(),
            Pinned {
                channel: Some("1.95.0".into()),
                components: vec!["rustfmt".into(), "clippy".into()],
                targets: vec!["x86_64-unknown-none".into()],
                profile: Some("minimal".into()),
            }
        );
        let bare = parse("[toolchain]\nchannel = \"stable\"\n").unwrap();
        assert!(bare.components.is_empty() && bare.targets.is_empty());
        assert_eq!(
            parse("[toolchain]\npath = \"/opt/rust\"\n")
                .unwrap()
                .channel,
            None
        );
        assert!(
            parse("channel = \"1.95.0\"\n").is_err(),
            "no [toolchain] table"
        );
    }

    #[test]
    fn the_toolchain_is_the_one_rustup_hands_to_cargo() {
        let name = |env| toolchain_name(Some("1.95.0"), env);
        assert_eq!(name(None).as_deref(), Some("1.95.0"));
        assert_eq!(name(Some("")).as_deref(), Some("1.95.0"));
        assert_eq!(
            name(Some("1.95.0-x86_64-unknown-linux-gnu")).as_deref(),
            Some("1.95.0")
        );
        // `cargo +nightly xtask`: every cargo xtask starts builds with nightly.
        assert_eq!(name(Some("nightly")).as_deref(), Some("nightly"));
        assert_eq!(
            name(Some("1.95.01")).as_deref(),
            Some("1.95.01"),
            "not the channel"
        );
        assert_eq!(toolchain_name(None, None), None);
    }

    #[test]
    fn finds_what_an_existing_toolchain_lacks() {
        assert_eq!(
            missing(&pinned(), Some(TARGETS), Some(COMPONENTS)),
            Missing::Parts {
                targets: vec!["x86_64-unknown-none".into()],
                components: vec!["rustfmt".into()],
            }
        );
        let targets = "x86_64-unknown-linux-gnu\nx86_64-unknown-none\n";
        let components = format!("{COMPONENTS}rustfmt-x86_64-unknown-linux-gnu\n");
        assert_eq!(
            missing(&pinned(), Some(targets), Some(&components)),
            Missing::Nothing
        );
        assert_eq!(missing(&pinned(), None, None), Missing::Toolchain);
        assert_eq!(missing(&pinned(), Some(targets), None), Missing::Toolchain);
    }

    #[test]
    fn component_names_match_as_rustup_spells_them() {
        let host = Some("x86_64-unknown-linux-gnu");
        let installed = [
            "rustc-x86_64-unknown-linux-gnu",
            "rust-std-x86_64-unknown-linux-gnu",
            "rust-src",
            "llvm-tools-x86_64-unknown-linux-gnu",
        ];
        assert!(has_component("rust-src", &installed, host));
        assert!(has_component("llvm-tools-preview", &installed, host));
        assert!(has_component("rust-std", &installed, host));
        assert!(!has_component("rust", &installed, host));
        assert!(!has_component("rustfmt", &installed, host));
        assert!(!has_component("std", &installed, host));
        // The host's own target is always there, listed or not.
        let host_target = Pinned {
            targets: vec!["x86_64-unknown-linux-gnu".into()],
            ..Pinned::default()
        };
        assert_eq!(
            missing(&host_target, Some(""), Some(COMPONENTS)),
            Missing::Nothing
        );
    }

    #[test]
    fn installs_each_kind_with_one_rustup_command_and_says_so_in_one_line() {
        let missing = missing(&pinned(), Some(TARGETS), Some(""));
        let steps = steps(&pinned(), "1.95.0", &missing);
        let commands: Vec<String> = steps.iter().map(Step::command).collect();
        assert_eq!(
            commands,
            [
                "rustup target add x86_64-unknown-none --toolchain 1.95.0",
                "rustup component add rustfmt clippy --toolchain 1.95.0",
            ]
        );
        assert_eq!(
            steps[0].announce("1.95.0"),
            "setup: Rust 1.95.0 lacks the x86_64-unknown-none target (rust-toolchain.toml \
             lists it); running `rustup target add x86_64-unknown-none --toolchain 1.95.0`"
        );
        assert_eq!(steps[1].what, "the rustfmt and clippy components");
        let failed = steps[0].failed("1.95.0", "rustup failed (exit status: 1)");
        assert_eq!(
            failed,
            "Rust 1.95.0 lacks the x86_64-unknown-none target (rust-toolchain.toml lists it) \
             and rustup failed (exit status: 1): run `rustup target add x86_64-unknown-none \
             --toolchain 1.95.0`, then try again"
        );
        for line in steps
            .iter()
            .flat_map(|s| [s.announce("1.95.0"), failed.clone()])
        {
            assert!(!line.contains('\n'), "{line}");
        }
        assert!(super::steps(&pinned(), "1.95.0", &Missing::Nothing).is_empty());
    }

    #[test]
    fn a_toolchain_that_is_not_there_is_installed_whole() {
        let steps = steps(&pinned(), "1.95.0", &Missing::Toolchain);
        assert_eq!(
            steps.iter().map(Step::command).collect::<Vec<_>>(),
            [
                "rustup toolchain install 1.95.0 --profile minimal --component rustfmt,clippy \
                 --target x86_64-unknown-none"
            ]
        );
    }

    #[test]
    fn the_repository_file_pins_what_the_kernel_needs() {
        let text = std::fs::read_to_string(Repo::locate().root.join("rust-toolchain.toml"));
        let pinned = parse(&text.unwrap()).unwrap();
        assert!(pinned.channel.is_some());
        assert!(pinned.targets.iter().any(|t| t == KERNEL_TARGET));
        for component in ["rustfmt", "clippy"] {
            assert!(pinned.components.iter().any(|c| c == component));
        }
    }

    #[test]
    fn a_core_library_marks_an_installed_target() {
        let dir = std::env::temp_dir().join(format!("xtask-core-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!has_core(&dir));
        assert!(!has_core(&dir.join("absent")));
        std::fs::write(dir.join("libcore-0123abcd.rlib"), "").unwrap();
        assert!(has_core(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
