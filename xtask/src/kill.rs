//! Killing a child process together with everything it started. A timed-out `cargo test` must not
//! leave its test binary running, and the standard library only kills the child itself. On Linux
//! the descendants are found through `/proc`; elsewhere only the child is killed.

use std::process::{Child, Command, Stdio};

/// Kills `child` and (on Linux) its descendants, then reaps `child`.
pub fn kill_tree(child: &mut Child) {
    let descendants = descendants(child.id());
    // Kill the child first so it cannot start more processes, then what it had started.
    let _ = child.kill();
    if !descendants.is_empty() {
        let _ = Command::new("kill")
            .arg("-KILL")
            .args(descendants.iter().map(u32::to_string))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.wait();
}

/// The processes below `root` in the process tree, parents before their children.
fn descendants(root: u32) -> Vec<u32> {
    let table = process_table();
    let mut found = vec![root];
    let mut next = 0;
    while let Some(&parent) = found.get(next) {
        found.extend(
            table
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(pid, _)| *pid),
        );
        next += 1;
    }
    found.remove(0);
    found
}

/// Every process as `(pid, parent pid)`; empty where `/proc` does not have them.
fn process_table() -> Vec<(u32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            Some((pid, parent_of(&stat)?))
        })
        .collect()
}

/// The parent pid in the text of `/proc/PID/stat`: `pid (command) state ppid ...`, where the
/// command may itself hold spaces and parentheses.
fn parent_of(stat: &str) -> Option<u32> {
    let after_command = &stat[stat.rfind(')')? + 1..];
    after_command.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parent_from_a_stat_line() {
        assert_eq!(parent_of("42 (cargo) S 7 42 7 0 -1"), Some(7));
        assert_eq!(parent_of("43 (a) b) (c) R 42 1 1"), Some(42));
        assert_eq!(parent_of("garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn kills_the_grandchildren_too() {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 60 & sleep 60 & wait"])
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let grandchildren = loop {
            let found = descendants(child.id());
            if found.len() == 2 || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(grandchildren.len(), 2);
        kill_tree(&mut child);
        std::thread::sleep(std::time::Duration::from_millis(200));
        for pid in grandchildren {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Gone, or a zombie waiting for init to reap it.
            assert!(
                stat.is_empty() || stat.contains(") Z "),
                "{pid} still runs: {stat}"
            );
        }
    }
}
