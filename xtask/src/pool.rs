//! Running jobs on a few threads at once while handing their results over in the jobs' order, as
//! soon as each result and all the ones before it are in: progress shows while the report stays
//! in a fixed order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

/// Runs `work` on every job with at most `workers` at a time, calling `deliver` with each job's
/// index and result in job order, on the calling thread.
pub fn run_in_order<J, R>(
    jobs: &[J],
    workers: usize,
    work: impl Fn(&J) -> R + Sync,
    mut deliver: impl FnMut(usize, R),
) where
    J: Sync,
    R: Send,
{
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel();
    thread::scope(|scope| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            let sender = sender.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    if sender.send((index, work(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut waiting: Vec<Option<R>> = jobs.iter().map(|_| None).collect();
        let mut delivered = 0;
        for (index, result) in receiver {
            waiting[index] = Some(result);
            while let Some(result) = waiting.get_mut(delivered).and_then(Option::take) {
                deliver(delivered, result);
                delivered += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;

    #[test]
    fn delivers_every_result_in_job_order() {
        // Earlier jobs take longer, so they finish out of order.
        let jobs: Vec<u64> = (0..12).collect();
        let mut seen = Vec::new();
        run_in_order(
            &jobs,
            4,
            |&j| {
                thread::sleep(Duration::from_millis(5 * (12 - j)));
                j * 10
            },
            |index, result| seen.push((index, result)),
        );
        let expected: Vec<(usize, u64)> = (0..12).map(|j| (j as usize, j as u64 * 10)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn runs_at_most_the_given_number_of_jobs_at_once() {
        let running = Mutex::new((0, 0));
        let jobs = vec![(); 10];
        run_in_order(
            &jobs,
            3,
            |_| {
                {
                    let mut r = running.lock().unwrap();
                    r.0 += 1;
                    r.1 = r.1.max(r.0);
                }
                thread::sleep(Duration::from_millis(10));
                running.lock().unwrap().0 -= 1;
            },
            |_, _| {},
        );
        let peak = running.lock().unwrap().1;
        assert!((1..=3).contains(&peak), "peak {peak}");
    }

    #[test]
    fn no_jobs_is_fine() {
        let jobs: Vec<u8> = Vec::new();
        run_in_order(&jobs, 4, |_| (), |_, _| panic!("nothing to deliver"));
    }
}
