//! Exact locations inside a configuration file: the line of the node at a
//! path of keys and list indexes (`steps[2].run.comand`), found by reading
//! the file's YAML events, so errors about values deep inside steps,
//! docker entries or filters point at the line the user wrote. Input: a
//! source's text and a path; output: a line number and the path rendered
//! for messages. It never fails: an unparsable file or a missing path
//! yields the line of the deepest part found, or none.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::{Loaded, Origin, Source};
use crate::error::ConfigError;
use crate::value::{Seg, render};

/// Line (1-based) of the node at `path` in the first document of `text`: a
/// key's own line for a key, an item's first line for a list index. When
/// the path does not exist, the line of its deepest existing ancestor
/// (none when not even its first key exists).
fn line_at(text: &str, path: &[Seg]) -> Option<usize> {
    let mut walker = Walker {
        target: path,
        stack: vec![],
        best: None,
        done: false,
    };
    // A syntax error was reported when the file was parsed; keep what was found before it.
    let _ = Parser::new_from_str(text).load(&mut walker, false);
    walker.best.map(|(_, line)| line)
}

enum Frame {
    /// A mapping; `key` is the key whose value comes next, `None` while a key is expected.
    Map {
        path: Vec<Seg>,
        key: Option<Seg>,
    },
    Seq {
        path: Vec<Seg>,
        next: usize,
    },
}

struct Walker<'a> {
    target: &'a [Seg],
    stack: Vec<Frame>,
    /// Length of the longest matched prefix and its line.
    best: Option<(usize, usize)>,
    done: bool,
}

impl Walker<'_> {
    /// Notes that the node at `path` starts at `line`.
    fn reached(&mut self, path: &[Seg], line: usize) {
        let matched = path.len() <= self.target.len() && self.target[..path.len()] == *path;
        if matched && !path.is_empty() && self.best.is_none_or(|(len, _)| path.len() > len) {
            self.best = Some((path.len(), line));
        }
    }

    /// The path of the node an event starts, or `None` when the event is a
    /// mapping key (recorded, but not a node of its own).
    fn place(&mut self, line: usize, key_text: Option<&str>) -> Option<Vec<Seg>> {
        let (path, is_key) = match self.stack.last_mut() {
            None => (vec![], false),
            Some(Frame::Seq { path, next }) => {
                let mut path = path.clone();
                path.push(Seg::Index(*next));
                *next += 1;
                (path, false)
            }
            Some(Frame::Map { path, key }) => match key.take() {
                Some(seg) => {
                    let mut path = path.clone();
                    path.push(seg);
                    (path, false)
                }
                None => {
                    let seg = Seg::Key(key_text.unwrap_or_default().to_string());
                    let mut key_path = path.clone();
                    key_path.push(seg.clone());
                    *key = Some(seg);
                    (key_path, true)
                }
            },
        };
        self.reached(&path, line);
        (!is_key).then_some(path)
    }
}

impl MarkedEventReceiver for Walker<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.done {
            return;
        }
        let line = mark.line();
        match event {
            Event::Scalar(text, ..) => {
                self.place(line, Some(&text));
            }
            Event::Alias(_) => {
                self.place(line, None);
            }
            Event::MappingStart(..) => {
                let path = self.place(line, None).unwrap_or_default();
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.place(line, None).unwrap_or_default();
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::DocumentEnd => self.done = true,
            _ => {}
        }
    }
}

impl Source {
    /// Line (1-based) of the node at `path` in this file (see `line_at`).
    pub(crate) fn line_at(&self, path: &[Seg]) -> Option<usize> {
        line_at(&self.text, path)
    }
}

impl Loaded {
    /// Error about the node at `path` below `origin` (a file, or a job or
    /// command inside `cigen.yml`): its line, and the path as the key.
    pub(crate) fn error_at(&self, origin: &Origin, path: &[Seg]) -> ConfigError {
        let source = &self.sources[origin.source];
        let mut full: Vec<Seg> = origin.keys.iter().map(|k| Seg::from(k.as_str())).collect();
        full.extend_from_slice(path);
        let key = if path.is_empty() {
            origin.key()
        } else {
            render(path)
        };
        ConfigError::new(&source.path, key, "").line(line_at(&source.text, &full))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<Seg> {
        text.split('.')
            .map(|part| match part.parse::<usize>() {
                Ok(index) => Seg::Index(index),
                Err(_) => Seg::from(part),
            })
            .collect()
    }

    const JOB: &str = "image: a\nsteps:\n  - checkout\n  - run:\n      name: x\n      comand: make\n  - {store_test_results: {pth: out}}\n";

    #[test]
    fn finds_keys_and_items_in_block_and_flow_style() {
        assert_eq!(line_at(JOB, &path("steps.1.run.comand")), Some(6));
        assert_eq!(line_at(JOB, &path("steps.1")), Some(4));
        assert_eq!(
            line_at(JOB, &path("steps.2.store_test_results.pth")),
            Some(7)
        );
        assert_eq!(line_at(JOB, &path("image")), Some(1));
    }

    #[test]
    fn a_missing_path_gives_its_deepest_ancestor() {
        assert_eq!(line_at(JOB, &path("steps.1.run.nothing")), Some(4));
        assert_eq!(line_at(JOB, &path("nothing")), None);
        assert_eq!(line_at("a: [", &path("a")), Some(1));
    }

    #[test]
    fn renders_keys_and_indexes() {
        assert_eq!(render(&path("steps.2.run.comand")), "steps[2].run.comand");
        assert_eq!(render(&path("docker.0")), "docker[0]");
    }
}
