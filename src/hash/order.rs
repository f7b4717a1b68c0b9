//! Dependency order of the variants: upstream before downstream, so each
//! variant's hash can include its upstream hashes. Input: the caller's
//! slice (any order); output: positions into it in a valid order, or the
//! cycle that prevents one. Also enforces the input contract (unique ids,
//! upstream ids present). Pure: no file system.

use std::collections::HashMap;

use super::error::HashError;
use super::input::HashInput;

/// Positions of `inputs` such that every upstream comes first. Among
/// ready variants the input order is kept, so the result is deterministic.
pub(crate) fn dependency_order(inputs: &[HashInput]) -> Result<Vec<usize>, HashError> {
    let mut position: HashMap<&str, usize> = HashMap::with_capacity(inputs.len());
    for (at, input) in inputs.iter().enumerate() {
        if position.insert(input.variant_id.as_str(), at).is_some() {
            return Err(HashError::Git(format!(
                "invalid hash input: variant `{}` is listed twice",
                input.variant_id
            )));
        }
    }
    let mut upstream_of: Vec<Vec<usize>> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let mut ups = Vec::with_capacity(input.upstream.len());
        for up in &input.upstream {
            let Some(&at) = position.get(up.as_str()) else {
                return Err(HashError::Git(format!(
                    "invalid hash input: variant `{}` lists upstream `{up}`, which is not a hashed variant",
                    input.variant_id
                )));
            };
            ups.push(at);
        }
        ups.sort_unstable();
        ups.dedup();
        upstream_of.push(ups);
    }

    let mut waiting: Vec<usize> = upstream_of.iter().map(Vec::len).collect();
    let mut downstream_of: Vec<Vec<usize>> = vec![Vec::new(); inputs.len()];
    for (at, ups) in upstream_of.iter().enumerate() {
        for &up in ups {
            downstream_of[up].push(at);
        }
    }
    // Kahn's algorithm with a min-heap on position for a stable order.
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = waiting
        .iter()
        .enumerate()
        .filter(|(_, n)| **n == 0)
        .map(|(at, _)| std::cmp::Reverse(at))
        .collect();
    let mut order = Vec::with_capacity(inputs.len());
    while let Some(std::cmp::Reverse(at)) = ready.pop() {
        order.push(at);
        for &down in &downstream_of[at] {
            waiting[down] -= 1;
            if waiting[down] == 0 {
                ready.push(std::cmp::Reverse(down));
            }
        }
    }
    if order.len() == inputs.len() {
        return Ok(order);
    }
    Err(HashError::Cycle(find_cycle(inputs, &upstream_of, &waiting)))
}

/// Follows upstream edges among the variants still waiting until one
/// repeats; returns that loop, its first id repeated at the end.
fn find_cycle(inputs: &[HashInput], upstream_of: &[Vec<usize>], waiting: &[usize]) -> Vec<String> {
    let stuck = |at: usize| waiting[at] > 0;
    let Some(start) = (0..inputs.len()).find(|&at| stuck(at)) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut seen_at: HashMap<usize, usize> = HashMap::from([(start, 0)]);
    let mut current = start;
    // Every stuck variant has a stuck upstream, so this walk must loop.
    while let Some(&next) = upstream_of[current].iter().find(|&&up| stuck(up)) {
        if let Some(&first) = seen_at.get(&next) {
            // `path` runs downstream → upstream; print it the other way,
            // starting at the variant listed first in the input.
            let mut cycle: Vec<usize> = path[first..].iter().rev().copied().collect();
            if let Some(lowest) = (0..cycle.len()).min_by_key(|&i| cycle[i]) {
                cycle.rotate_left(lowest);
            }
            let mut ids: Vec<String> = cycle
                .iter()
                .map(|&at| inputs[at].variant_id.clone())
                .collect();
            if let Some(head) = ids.first().cloned() {
                ids.push(head);
            }
            return ids;
        }
        seen_at.insert(next, path.len());
        path.push(next);
        current = next;
    }
    path.iter()
        .map(|&at| inputs[at].variant_id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str, upstream: &[&str]) -> HashInput {
        HashInput {
            variant_id: id.into(),
            job_name: id.into(),
            arch: "amd64".into(),
            canonical_job: Vec::new(),
            patterns: Vec::new(),
            upstream: upstream.iter().map(|u| u.to_string()).collect(),
            walked: Vec::new(),
            values: Vec::new(),
        }
    }

    #[test]
    fn upstream_comes_first_whatever_the_input_order() {
        let inputs = [
            input("deploy", &["build"]),
            input("test", &[]),
            input("build", &["test"]),
        ];
        assert_eq!(dependency_order(&inputs), Ok(vec![1, 2, 0]));
    }

    #[test]
    fn a_cycle_is_reported_in_dependency_direction() {
        let inputs = [
            input("a", &["c"]),
            input("b", &["a"]),
            input("c", &["b"]),
            input("d", &[]),
        ];
        let Err(HashError::Cycle(ids)) = dependency_order(&inputs) else {
            panic!("expected a cycle");
        };
        assert_eq!(ids, ["a", "b", "c", "a"]);
        assert_eq!(ids.first(), ids.last());
        // each id is followed by one of its downstream variants
        for pair in ids.windows(2) {
            let down = inputs
                .iter()
                .find(|i| i.variant_id == pair[1])
                .map(|i| &i.upstream);
            assert!(down.is_some_and(|ups| ups.contains(&pair[0])), "{ids:?}");
        }
        let self_loop = [input("a", &["a"])];
        assert_eq!(
            dependency_order(&self_loop),
            Err(HashError::Cycle(vec!["a".into(), "a".into()]))
        );
    }

    #[test]
    fn unknown_upstream_and_repeated_ids_break_the_contract() {
        assert!(
            matches!(dependency_order(&[input("a", &["zz"])]), Err(HashError::Git(m)) if m.contains("`zz`"))
        );
        assert!(matches!(
            dependency_order(&[input("a", &[]), input("a", &[])]),
            Err(HashError::Git(_))
        ));
    }
}
