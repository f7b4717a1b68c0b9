//! A small evaluator of CircleCI workflow conditions, for tests. A `when`
//! that is a plain string is an expression (`and`, `or`, `not`, `==`, `!=`,
//! `starts-with`, parentheses, string and boolean literals, `pipeline.…`
//! names; `not` binds tighter than anything else); any other `when` is a
//! logic statement (`and`, `or`, `not`, `equal`, `matches`, literals and
//! `<< … >>` values), in which a plain string is only a truthy literal.
//! As described in CircleCI's configuration reference:
//! <https://circleci.com/docs/reference/configuration-reference/#logic-statements>
//! and <https://circleci.com/docs/reference/configuration-reference/#using-expressions-in-your-configuration>.
//! A name the caller did not give panics, so a typo never passes as false.

use std::collections::BTreeMap;

use serde_yaml::Value;

/// Pipeline values and parameters by full name: `pipeline.git.branch`,
/// `pipeline.parameters.run_a`.
pub type Values = BTreeMap<String, Value>;

/// Whether a workflow with this `when` runs (no `when`: it runs).
pub fn runs(when: Option<&Value>, values: &Values) -> bool {
    match when {
        None => true,
        Some(Value::String(text)) if template(text).is_none() => {
            truthy(&Expression::parse(text, values).value())
        }
        Some(statement) => statement_holds(statement, values),
    }
}

fn statement_holds(statement: &Value, values: &Values) -> bool {
    let Value::Mapping(map) = statement else {
        return truthy(&literal(statement, values));
    };
    assert_eq!(map.len(), 1, "a logic statement has one key: {statement:?}");
    let (key, argument) = map.iter().next().expect("one key");
    match key.as_str().expect("string key") {
        "and" => arguments(argument)
            .iter()
            .all(|s| statement_holds(s, values)),
        "or" => arguments(argument)
            .iter()
            .any(|s| statement_holds(s, values)),
        "not" => !statement_holds(argument, values),
        "equal" => {
            let all: Vec<Value> = arguments(argument)
                .iter()
                .map(|v| literal(v, values))
                .collect();
            all.windows(2).all(|pair| pair[0] == pair[1])
        }
        "matches" => {
            let pattern = argument["pattern"].as_str().expect("pattern");
            let value = literal(&argument["value"], values);
            let value = value.as_str().expect("matches reads a string");
            // A full match, as Java's `Pattern.matches`.
            regex::Regex::new(&format!("^(?:{pattern})$"))
                .expect("pattern")
                .is_match(value)
        }
        other => panic!("not a logic statement: {other}"),
    }
}

fn arguments(argument: &Value) -> &Vec<Value> {
    let list = argument.as_sequence().expect("a list of arguments");
    assert!(!list.is_empty(), "logic with an empty list is invalid");
    list
}

/// A literal, with a `<< name >>` value filled in.
fn literal(value: &Value, values: &Values) -> Value {
    match value {
        Value::String(text) => match template(text) {
            Some(name) => lookup(name, values),
            None => {
                assert!(!text.contains("<<"), "unsupported template in {text:?}");
                value.clone()
            }
        },
        other => other.clone(),
    }
}

fn template(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("<<")?.strip_suffix(">>")?;
    (!inner.contains("<<")).then(|| inner.trim())
}

fn lookup(name: &str, values: &Values) -> Value {
    values
        .get(name)
        .unwrap_or_else(|| panic!("the test gives no value for `{name}`"))
        .clone()
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Equal,
    NotEqual,
}

struct Expression<'a> {
    tokens: Vec<Token>,
    at: usize,
    values: &'a Values,
}

impl<'a> Expression<'a> {
    fn parse(text: &str, values: &'a Values) -> Expression<'a> {
        Expression {
            tokens: tokens(text),
            at: 0,
            values,
        }
    }

    /// The whole expression's value; every token must be used.
    fn value(mut self) -> Value {
        let value = self.or();
        assert_eq!(
            self.at,
            self.tokens.len(),
            "trailing tokens: {:?}",
            self.tokens
        );
        value
    }

    fn or(&mut self) -> Value {
        let mut left = self.and();
        while self.eat(&Token::Word("or".into())) {
            let right = self.and();
            left = Value::Bool(truthy(&left) || truthy(&right));
        }
        left
    }

    fn and(&mut self) -> Value {
        let mut left = self.comparison();
        while self.eat(&Token::Word("and".into())) {
            let right = self.comparison();
            left = Value::Bool(truthy(&left) && truthy(&right));
        }
        left
    }

    fn comparison(&mut self) -> Value {
        let left = self.unary();
        if self.eat(&Token::Equal) {
            return Value::Bool(left == self.unary());
        }
        if self.eat(&Token::NotEqual) {
            return Value::Bool(left != self.unary());
        }
        if self.eat(&Token::Word("starts-with".into())) {
            let right = self.unary();
            let (Some(left), Some(right)) = (left.as_str(), right.as_str()) else {
                panic!("starts-with takes strings");
            };
            return Value::Bool(left.starts_with(right));
        }
        left
    }

    fn unary(&mut self) -> Value {
        if self.eat(&Token::Word("not".into())) {
            return Value::Bool(!truthy(&self.unary()));
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        let token = self.tokens.get(self.at).cloned().expect("an operand");
        self.at += 1;
        match token {
            Token::Open => {
                let value = self.or();
                assert!(self.eat(&Token::Close), "unclosed parenthesis");
                value
            }
            Token::Text(text) => Value::String(text),
            Token::Word(word) => match word.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                name => lookup(name, self.values),
            },
            other => panic!("unexpected {other:?}"),
        }
    }

    fn eat(&mut self, token: &Token) -> bool {
        let found = self.tokens.get(self.at) == Some(token);
        if found {
            self.at += 1;
        }
        found
    }
}

fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = vec![];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '=' | '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(if c == '=' {
                    Token::Equal
                } else {
                    Token::NotEqual
                });
                i += 2;
            }
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .expect("closing quote");
                tokens.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            c if c.is_ascii_alphanumeric() => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                    .count();
                tokens.push(Token::Word(chars[i..i + len].iter().collect()));
                i += len;
            }
            other => panic!("unexpected character {other:?} in {text:?}"),
        }
    }
    tokens
}
