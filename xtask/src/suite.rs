//! Running the test suite of `cargo xtask test`, with the machine kept busy:
//!
//! - the checks of the tooling workspace run in one lane;
//! - the trees are built and checked one after the other in another lane, each into the shared
//!   target directory ([`crate::stage`]), so the crates they all use are compiled once;
//! - a tree's kernel is built before its checks run, and its QEMU runs then join one pool of
//!   QEMU workers, and run while the tree is checked and the next tree built;
//! - a QEMU run that an earlier tree with the same files already made is not made again
//!   ([`crate::reuse`]).
//!
//! Every result has a place in a fixed order (the tooling's checks first, then each tree's checks,
//! its kernel build and its QEMU runs) and is handed over as soon as it and everything before it
//! are in, so the report reads the same whatever finished first.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::cargo;
use crate::checks::{self, Check};
use crate::harness::{Bench, QEMU_WORKERS};
use crate::plan::Run;
use crate::process;
use crate::repo::Repo;
use crate::reuse;
use crate::stage::{Stage, Staged};
use crate::tree::Tree;

/// One line (or more) of the report.
#[derive(Debug)]
pub enum Report {
    /// A test: a check or a QEMU run.
    Test {
        scope: String,
        name: String,
        passed: bool,
        elapsed: Duration,
        /// For a failure, what went wrong, indented, ending in a newline.
        details: String,
        /// For a QEMU run not made again, whose verdict it has ([`crate::reuse`]).
        reused: Option<String>,
    },
    /// Something to say that is no test (how a kernel build went), ending in a newline.
    Note(String),
}

/// The work for one tree.
pub struct TreeWork<'a> {
    pub tree: Tree,
    /// Its checks (`fmt` runs in the tree itself, the others in the stage).
    pub checks: Vec<Check>,
    /// Its QEMU runs; the kernel is built only when there are some.
    pub runs: Vec<Run<'a>>,
}

/// Everything `cargo xtask test` does.
pub struct Suite<'a> {
    pub repo: &'a Repo,
    pub stage: Stage,
    pub root_checks: Vec<Check>,
    pub trees: Vec<TreeWork<'a>>,
    /// QEMU, when some tree has runs.
    pub qemu: Option<&'a Path>,
}

impl Suite<'_> {
    /// How many reports [`Suite::run`] hands over.
    fn len(&self) -> usize {
        let trees: usize = self
            .trees
            .iter()
            .map(|t| t.checks.len() + usize::from(!t.runs.is_empty()) + t.runs.len())
            .sum();
        self.root_checks.len() + trees
    }

    /// Does everything, handing each report to `deliver` in the fixed order.
    pub fn run(self, mut deliver: impl FnMut(Report)) {
        let mut order = Ordered::new(self.len());
        let Suite {
            repo,
            stage,
            root_checks,
            mut trees,
            qemu,
        } = self;
        // The checks go to the lanes that run them; the trees stay here for the QEMU runs.
        let tree_checks: Vec<Vec<Check>> = trees
            .iter_mut()
            .map(|t| std::mem::take(&mut t.checks))
            .collect();
        let first_tree_slot = root_checks.len();
        let (sender, receiver) = mpsc::channel::<(usize, Report)>();
        let queue = Queue::default();
        let queue = &queue;
        let (kernels, verdicts) = (reuse::Trees::default(), reuse::Verdicts::default());
        let (kernels, verdicts) = (&kernels, &verdicts);
        thread::scope(|scope| {
            let root_sender = sender.clone();
            scope.spawn(move || run_checks("workspace", root_checks, 0, &root_sender));
            let lane = TreeLane {
                repo,
                stage: &stage,
                qemu,
                sender: sender.clone(),
                queue,
                kernels,
                verdicts,
            };
            let trees = &trees;
            scope.spawn(move || {
                let _closing = CloseOnDrop(lane.queue);
                let mut slot = first_tree_slot;
                for (work, checks) in trees.iter().zip(tree_checks) {
                    slot = lane.tree(work, checks, slot);
                }
            });
            for _ in 0..QEMU_WORKERS {
                let sender = sender.clone();
                scope.spawn(move || {
                    while let Some(job) = queue.pop() {
                        let result = job.bench.run(&job.run);
                        let tree = &job.bench.tree.name;
                        let made = reuse::Made {
                            tree: tree.clone(),
                            log: repo.qemu_logs(tree).join(job.run.log_name()),
                            passed: result.passed,
                            details: result.details.clone(),
                        };
                        let report = Report::Test {
                            scope: tree.clone(),
                            name: job.run.label(),
                            passed: result.passed,
                            elapsed: result.elapsed,
                            details: result.details,
                            reused: None,
                        };
                        let mut sent = sender.send((job.slot, report));
                        for waiter in verdicts.made(job.key, made.clone()) {
                            let report = reused(repo, &made, &waiter);
                            sent = sent.and(sender.send((waiter.slot, report)));
                        }
                        if sent.is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            for (slot, report) in receiver {
                order.put(slot, report, &mut deliver);
            }
        });
        // Every place is filled by now (a lane that panicked would have ended the scope with
        // its panic); this only makes sure the tally never silently misses a test.
        order.finish(&mut deliver);
    }
}

/// Runs `checks` in order, reporting them from place `first` on; returns the next free place.
fn run_checks(
    scope: &str,
    checks: Vec<Check>,
    first: usize,
    sender: &Sender<(usize, Report)>,
) -> usize {
    let mut slot = first;
    for check in checks {
        let name = check.name;
        let outcome = checks::run(check);
        let report = Report::Test {
            scope: scope.to_string(),
            name: name.to_string(),
            passed: outcome.passed,
            elapsed: outcome.elapsed,
            details: indent(&outcome.output),
            reused: None,
        };
        let _ = sender.send((slot, report));
        slot += 1;
    }
    slot
}

/// The lane that checks and builds the trees, one after the other, and queues their QEMU runs.
struct TreeLane<'a, 's> {
    repo: &'a Repo,
    stage: &'s Stage,
    qemu: Option<&'a Path>,
    sender: Sender<(usize, Report)>,
    queue: &'s Queue<Job<'a>>,
    /// The trees built so far, to tell which have the same files.
    kernels: &'s reuse::Trees,
    /// The QEMU runs of the suite, to make each only once.
    verdicts: &'s reuse::Verdicts,
}

impl<'a> TreeLane<'a, '_> {
    /// Checks and builds one tree in the stage, then queues its QEMU runs; reports from place
    /// `first` on and returns the next free place.
    fn tree(&self, work: &'a TreeWork<'a>, checks: Vec<Check>, first: usize) -> usize {
        let name = &work.tree.name;
        let sender = &self.sender;
        // Only compiling needs the stage (a filter may leave just `fmt`, or nothing at all).
        let compiles =
            !work.runs.is_empty() || checks.iter().any(|c| self.stage.builds_here(&c.cmd));
        let staged = if compiles {
            match self.stage.enter(&work.tree) {
                Ok(staged) => Some(staged),
                Err(e) => {
                    let why = indent(&format!("not run: {e:#}\n"));
                    return self.fail_all(work, &checks, first, &why);
                }
            }
        } else {
            None
        };
        // The kernel is built first, so that its QEMU runs go on while the checks run (and
        // while the last tree's checks run, rather than after them); the report still lists the
        // checks first.
        let build_slot = first + checks.len();
        if let Some(staged) = staged.as_ref().filter(|_| !work.runs.is_empty()) {
            self.kernel(work, staged, build_slot);
        }
        run_checks(name, checks, first, sender);
        build_slot + usize::from(!work.runs.is_empty()) + work.runs.len()
    }

    /// Builds the kernel of `work`'s tree and queues its QEMU runs (or reports them failed),
    /// reporting from place `build_slot` on.
    fn kernel(&self, work: &'a TreeWork<'a>, staged: &Staged, build_slot: usize) {
        let name = &work.tree.name;
        let sender = &self.sender;
        let mut slot = build_slot + 1;
        let start = Instant::now();
        let built = build(staged).and_then(|kernel| {
            let programs = work.tree.programs().map_err(|e| format!("{e:#}\n"))?;
            Ok((kernel, programs))
        });
        let seconds = start.elapsed().as_secs_f64();
        let (kernel, programs, qemu) = match (built, self.qemu) {
            (Ok((kernel, programs)), Some(qemu)) => (kernel, programs, qemu),
            (built, _) => {
                let (note, why) = match built {
                    Err(output) => (
                        format!("[{name}] the kernel does not build:\n{}", indent(&output)),
                        "    not run: the kernel did not build\n",
                    ),
                    Ok(_) => (String::new(), "    not run: no QEMU\n"),
                };
                let _ = sender.send((build_slot, Report::Note(note)));
                for run in &work.runs {
                    let _ = sender.send((slot, failure(name, &run.label(), why)));
                    slot += 1;
                }
                return;
            }
        };
        let note = format!("[{name}] kernel built ({seconds:.1} s)\n");
        let _ = sender.send((build_slot, Report::Note(note)));
        let bench = Arc::new(Bench {
            repo: self.repo,
            tree: &work.tree,
            qemu,
            kernel,
            programs,
        });
        // Runs are keyed by the first tree with this tree's files (a tree that cannot be read
        // is its own).
        let kernel_of = match reuse::tree_files(&work.tree.dir) {
            Ok(files) => self.kernels.kernel_of(name, files),
            Err(_) => name.clone(),
        };
        let mut jobs = Vec::new();
        for &run in &work.runs {
            let key = reuse::Key {
                kernel: kernel_of.clone(),
                test: run.spec.name.clone(),
                cpus: run.cpus,
                attempt: run.attempt,
            };
            let waiter = reuse::Waiter {
                slot,
                tree: name.clone(),
                name: run.label(),
                log: self.repo.qemu_logs(name).join(run.log_name()),
            };
            match self.verdicts.claim(key.clone(), waiter.clone()) {
                reuse::Claim::Boot => jobs.push(Job {
                    slot,
                    run,
                    key,
                    bench: Arc::clone(&bench),
                }),
                reuse::Claim::Reuse(made) => {
                    let _ = sender.send((slot, reused(self.repo, &made, &waiter)));
                }
                reuse::Claim::Wait => {}
            }
            slot += 1;
        }
        self.queue.push_all(jobs);
    }

    /// Fails every test of `work` with `why`, for a tree that cannot be staged.
    fn fail_all(&self, work: &TreeWork, checks: &[Check], first: usize, why: &str) -> usize {
        let name = &work.tree.name;
        let mut slot = first;
        for check in checks {
            let _ = self.sender.send((slot, failure(name, check.name, why)));
            slot += 1;
        }
        if !work.runs.is_empty() {
            let note = format!("[{name}] the kernel was not built\n");
            let _ = self.sender.send((slot, Report::Note(note)));
            slot += 1;
        }
        for run in &work.runs {
            let _ = self.sender.send((slot, failure(name, &run.label(), why)));
            slot += 1;
        }
        slot
    }
}

/// Builds the staged tree's debug kernel and copies it out of the shared target directory; on
/// failure, what went wrong (cargo's output).
fn build(staged: &Staged) -> Result<std::path::PathBuf, String> {
    // What an earlier tree left there must not pass for this tree's kernel.
    let elf = staged.built_kernel();
    if let Err(e) = std::fs::remove_file(&elf)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Err(format!("cannot remove {}: {e}\n", elf.display()));
    }
    let cmd = staged.cargo(&cargo::build_args(false));
    let run = process::capture(cmd, None).map_err(|e| format!("cannot run cargo: {e}\n"))?;
    if !run.ending.success() {
        return Err(run.output);
    }
    staged
        .keep_kernel()
        .map_err(|e| format!("{}{e:#}\n", run.output))
}

/// A failed test with `details`.
fn failure(scope: &str, name: &str, details: &str) -> Report {
    Report::Test {
        scope: scope.to_string(),
        name: name.to_string(),
        passed: false,
        elapsed: Duration::ZERO,
        details: details.to_string(),
        reused: None,
    }
}

/// The report of `waiter`'s run, which `made` made for it; its log says so.
fn reused(repo: &Repo, made: &reuse::Made, waiter: &reuse::Waiter) -> Report {
    let shown = repo.display(&made.log);
    let mut details = String::new();
    if let Err(e) = reuse::write_log(made, waiter, shown) {
        let log = repo.display(&waiter.log).display();
        details.push_str(&format!("    cannot write {log}: {e}\n"));
    }
    if !made.passed {
        details.push_str(&made.details);
    }
    Report::Test {
        scope: waiter.tree.clone(),
        name: waiter.name.clone(),
        passed: made.passed && details.is_empty(),
        elapsed: Duration::ZERO,
        details,
        reused: Some(reuse::note(made)),
    }
}

/// `text` with every line indented by four spaces.
fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// A QEMU run waiting for a worker.
struct Job<'a> {
    slot: usize,
    run: Run<'a>,
    /// What makes it the same run as another ([`crate::reuse`]).
    key: reuse::Key,
    bench: Arc<Bench<'a>>,
}

/// Jobs for the workers: they wait for more until the queue is closed and empty.
struct Queue<T> {
    state: Mutex<(VecDeque<T>, bool)>,
    changed: Condvar,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            state: Mutex::new((VecDeque::new(), false)),
            changed: Condvar::new(),
        }
    }
}

impl<T> Queue<T> {
    fn push_all(&self, jobs: impl IntoIterator<Item = T>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0.extend(jobs);
        self.changed.notify_all();
    }

    /// No more jobs will come.
    fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.1 = true;
        self.changed.notify_all();
    }

    /// The next job, waiting for one; `None` once the queue is closed and empty.
    fn pop(&self) -> Option<T> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(job) = state.0.pop_front() {
                return Some(job);
            }
            if state.1 {
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Closes the queue when the lane that fills it ends, even by a panic.
struct CloseOnDrop<'q, T>(&'q Queue<T>);

impl<T> Drop for CloseOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Hands over reports in the order of their places, each as soon as all before it are in.
struct Ordered {
    waiting: Vec<Option<Report>>,
    next: usize,
}

impl Ordered {
    fn new(places: usize) -> Ordered {
        Ordered {
            waiting: (0..places).map(|_| None).collect(),
            next: 0,
        }
    }

    fn put(&mut self, place: usize, report: Report, deliver: &mut impl FnMut(Report)) {
        if let Some(slot) = self.waiting.get_mut(place) {
            *slot = Some(report);
        }
        while let Some(report) = self.waiting.get_mut(self.next).and_then(Option::take) {
            deliver(report);
            self.next += 1;
        }
    }

    /// Reports every place still empty as a failure.
    fn finish(&mut self, deliver: &mut impl FnMut(Report)) {
        while self.next < self.waiting.len() {
            let report = self.waiting[self.next].take().unwrap_or_else(|| {
                failure(
                    "xtask",
                    "lost result",
                    "    xtask stopped before this test ran\n",
                )
            });
            deliver(report);
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(text: &str) -> Report {
        Report::Note(text.to_string())
    }

    fn text(report: &Report) -> String {
        match report {
            Report::Note(text) => text.clone(),
            Report::Test { name, .. } => name.clone(),
        }
    }

    #[test]
    fn reports_come_out_in_place_order() {
        let mut order = Ordered::new(3);
        let mut seen = Vec::new();
        order.put(2, note("c"), &mut |r| seen.push(text(&r)));
        order.put(0, note("a"), &mut |r| seen.push(text(&r)));
        assert_eq!(seen, ["a"]);
        order.put(1, note("b"), &mut |r| seen.push(text(&r)));
        assert_eq!(seen, ["a", "b", "c"]);
        order.finish(&mut |r| seen.push(text(&r)));
        assert_eq!(seen.len(), 3);
    }

    #[test]
    fn places_left_empty_are_failures() {
        let mut order = Ordered::new(2);
        let mut seen = Vec::new();
        order.put(1, note("b"), &mut |r| seen.push(r));
        order.finish(&mut |r| seen.push(r));
        assert!(matches!(&seen[0], Report::Test { passed: false, .. }));
        assert!(matches!(&seen[1], Report::Note(b) if b == "b"));
    }

    #[test]
    fn the_queue_hands_out_jobs_until_closed_and_empty() {
        let queue = Queue::default();
        let taken = Mutex::new(Vec::new());
        thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    while let Some(job) = queue.pop() {
                        taken.lock().unwrap().push(job);
                    }
                });
            }
            queue.push_all(0..5);
            thread::sleep(Duration::from_millis(20));
            queue.push_all(5..10);
            drop(CloseOnDrop(&queue));
        });
        let mut taken = taken.into_inner().unwrap();
        taken.sort();
        assert_eq!(taken, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_suite_with_nothing_to_do_reports_nothing() {
        let repo = Repo::locate();
        let suite = Suite {
            repo: &repo,
            stage: Stage::new(&repo),
            root_checks: Vec::new(),
            trees: Vec::new(),
            qemu: None,
        };
        let mut count = 0;
        suite.run(|_| count += 1);
        assert_eq!(count, 0);
    }

    #[cfg(unix)]
    #[test]
    fn a_tree_is_staged_only_for_what_compiles_and_checks_run_in_the_tree() {
        let root = std::env::temp_dir().join(format!("xtask-suite-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let repo = Repo { root: root.clone() };
        let real = root.join("chapters/chapter-01");
        std::fs::create_dir_all(real.join("kernel")).unwrap();
        std::fs::write(real.join("kernel/main.rs"), "fn main() {}").unwrap();
        let tree = Tree {
            name: "chapter-01".into(),
            dir: real.clone(),
            chapter: Some(1),
            target_dir: root.join("target/chapter-01"),
            default_prog: "hello".into(),
        };
        let stage = Stage::new(&repo);
        let check = |name: &'static str, shared: bool| {
            let mut cmd = std::process::Command::new("sh");
            cmd.args(["-c", "ls kernel; pwd; exit 1"])
                .current_dir(&real);
            if shared {
                cmd.env("CARGO_TARGET_DIR", &stage.target_dir);
            }
            Check { name, cmd }
        };
        let run = |checks: Vec<Check>| {
            let suite = Suite {
                repo: &repo,
                stage: stage.clone(),
                root_checks: Vec::new(),
                trees: vec![TreeWork {
                    tree: tree.clone(),
                    checks,
                    runs: Vec::new(),
                }],
                qemu: None,
            };
            let mut details = Vec::new();
            suite.run(|r| match r {
                Report::Test {
                    scope, details: d, ..
                } => details.push(format!("{scope}: {d}")),
                Report::Note(_) => panic!("no build without runs"),
            });
            details
        };

        let wrapper = root.join("target/trees/wrappers/chapter-01/rustc-wrapper");
        assert_eq!(run(vec![check("fmt", false)]).len(), 1);
        assert!(!wrapper.exists(), "nothing compiles: nothing staged");

        let details = run(vec![check("fmt", false), check("clippy", true)]);
        assert!(wrapper.is_file());
        let expected = format!(
            "chapter-01:     $ sh -c 'ls kernel; pwd; exit 1'\n    main.rs\n    {}\n",
            real.display()
        );
        assert_eq!(details[1], expected);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn checks_report_in_order_with_indented_output() {
        let repo = Repo::locate();
        let check = |name: &'static str, script: &str| {
            let mut cmd = std::process::Command::new("sh");
            cmd.args(["-c", script]);
            Check { name, cmd }
        };
        let suite = Suite {
            repo: &repo,
            stage: Stage::new(&repo),
            root_checks: vec![
                check("slow", "sleep 0.2; echo one"),
                check("broken", "echo two; exit 1"),
            ],
            trees: Vec::new(),
            qemu: None,
        };
        let mut seen = Vec::new();
        suite.run(|r| seen.push(r));
        let [first, second] = seen.as_slice() else {
            panic!("{seen:?}");
        };
        assert!(matches!(first, Report::Test { name, passed: true, .. } if name == "slow"));
        let Report::Test {
            scope,
            passed,
            details,
            ..
        } = second
        else {
            panic!("{second:?}");
        };
        assert_eq!((scope.as_str(), *passed), ("workspace", false));
        assert_eq!(details, "    $ sh -c 'echo two; exit 1'\n    two\n");
    }
}
