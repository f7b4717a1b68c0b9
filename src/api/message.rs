//! Reading what CircleCI said: the `message` field of a JSON error body
//! (CircleCI answers `{"message": "..."}` on success and failure alike), or a
//! short one-line excerpt of a non-JSON body such as a proxy's HTML page.
//! Every result is scrubbed of the request's secret before it leaves here.

use super::secret::Secret;

/// Longest excerpt of a server message kept for errors and notes.
const MAX_MESSAGE_CHARS: usize = 300;

/// The server's message from `body`, redacted and shortened to one line.
pub(crate) fn server_message(body: &[u8], secret: &Secret) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(json) => match json.get("message") {
            Some(serde_json::Value::String(message)) => message.clone(),
            Some(other) => other.to_string(),
            None => json.to_string(),
        },
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    shorten(&secret.redact(&one_line))
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    cut.push('…');
    cut
}

/// Lowercase words of `text`, punctuation dropped and "set-up" joined, so
/// phrase checks survive case, punctuation and spacing changes.
pub(crate) fn normalized_words(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    spaced
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("set up", "setup")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_message_field() {
        let key = Secret::new("k");
        assert_eq!(
            server_message(br#"{"message":"Pipeline is not in setup state."}"#, &key),
            "Pipeline is not in setup state."
        );
    }

    #[test]
    fn falls_back_to_a_short_single_line_excerpt() {
        let key = Secret::new("k-123");
        let html = format!(
            "<html>\n<body>bad gateway {}</body></html>",
            "x".repeat(400)
        );
        let msg = server_message(html.as_bytes(), &key);
        assert!(msg.starts_with("<html> <body>bad gateway"));
        assert!(msg.ends_with('…'));
        assert_eq!(msg.chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn scrubs_an_echoed_secret() {
        let key = Secret::new("sekrit-key-42");
        let msg = server_message(br#"{"message":"bad key sekrit-key-42"}"#, &key);
        assert_eq!(msg, "bad key ***");
    }

    #[test]
    fn normalizes_words() {
        assert_eq!(
            normalized_words("Pipeline is NOT in set-up  state."),
            "pipeline is not in setup state"
        );
    }
}
