//! Two small scoped thread helpers, so no thread pool outlives a call:
//! `map` applies a function to every item of a slice on all cores and keeps
//! input order (glob matching, content hashing, file-list digests, whose
//! cost per item varies); `drain` works through a queue that grows while
//! it is worked on (the directory walk: each directory yields its
//! subdirectories), with no barrier between tree levels.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// `items.iter().map(f).collect()`, spread over the available cores.
/// Workers claim `block` items at a time: 1 for heavy items, more for
/// cheap ones; a slice of at most one block runs on the calling thread.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    block: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let block = block.max(1);
    let threads = threads().min(items.len().div_ceil(block));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Vec<R>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let start = next.fetch_add(block, Ordering::Relaxed);
                    if start >= items.len() {
                        break;
                    }
                    let end = (start + block).min(items.len());
                    mine.push((start, items[start..end].iter().map(&f).collect::<Vec<R>>()));
                }
                if let Ok(mut done) = done.lock() {
                    done.extend(mine);
                }
            });
        }
    });
    let mut blocks = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    blocks.sort_by_key(|(start, _)| *start);
    blocks
        .into_iter()
        .flat_map(|(_, results)| results)
        .collect()
}

/// The shared state of `drain`.
struct Queue<T> {
    items: Vec<T>,
    /// Items taken but not finished: they may still add work.
    busy: usize,
    stop: bool,
}

/// Runs `f` on every item of `initial` and on every item `f` pushes onto
/// its second argument, on all cores; results come in no particular
/// order. The first error stops the work and is returned.
pub(crate) fn drain<T: Send, R: Send, E: Send>(
    initial: Vec<T>,
    f: impl Fn(T, &mut Vec<T>) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let queue = Mutex::new(Queue {
        items: initial,
        busy: 0,
        stop: false,
    });
    let ready = Condvar::new();
    let error: Mutex<Option<E>> = Mutex::new(None);
    let worker = || {
        let mut results = Vec::new();
        let mut more = Vec::new();
        loop {
            let item = {
                let Ok(mut q) = queue.lock() else { break };
                loop {
                    if q.stop {
                        break None;
                    }
                    if let Some(item) = q.items.pop() {
                        q.busy += 1;
                        break Some(item);
                    }
                    if q.busy == 0 {
                        break None;
                    }
                    q = match ready.wait(q) {
                        Ok(q) => q,
                        Err(_) => break None,
                    };
                }
            };
            let Some(item) = item else {
                ready.notify_all();
                break;
            };
            let outcome = f(item, &mut more);
            let Ok(mut q) = queue.lock() else { break };
            q.busy -= 1;
            match outcome {
                Ok(result) => {
                    results.push(result);
                    q.items.append(&mut more);
                }
                Err(err) => {
                    q.stop = true;
                    if let Ok(mut slot) = error.lock() {
                        slot.get_or_insert(err);
                    }
                }
            }
            drop(q);
            ready.notify_all();
        }
        results
    };
    let results: Vec<R> = if threads() <= 1 {
        worker()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads()).map(|_| scope.spawn(worker)).collect();
            handles
                .into_iter()
                // A panicking worker would leave work undone: re-raise it
                // rather than return an incomplete result.
                .flat_map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    match error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        Some(err) => Err(err),
        None => Ok(results),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_input_order() {
        let items: Vec<usize> = (0..10_000).collect();
        for block in [1, 7, 64, 20_000] {
            let doubled = super::map(&items, block, |n| n * 2);
            assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        }
        assert!(super::map::<u8, u8>(&[], 1, |b| *b).is_empty());
    }

    #[test]
    fn drain_finishes_a_growing_queue_and_stops_on_error() {
        // each n < 1000 spawns 2n+1 and 2n+2: a binary tree of 0..=1000ish
        let grow = |n: u32, more: &mut Vec<u32>| -> Result<u32, String> {
            if n < 500 {
                more.extend([2 * n + 1, 2 * n + 2]);
            }
            Ok(n)
        };
        let mut got = super::drain(vec![0], grow).unwrap_or_default();
        got.sort_unstable();
        assert_eq!(got, (0..=1000).collect::<Vec<_>>());
        let failing = super::drain(vec![0], |n: u32, more: &mut Vec<u32>| {
            if n == 77 {
                return Err("boom");
            }
            if n < 500 {
                more.extend([2 * n + 1, 2 * n + 2]);
            }
            Ok(n)
        });
        assert_eq!(failing, Err("boom"));
    }
}
