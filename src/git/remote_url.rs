//! What cigen needs to know about `origin`'s URL, and how to show it safely.
//!
//! `RemoteUrl` classifies a git URL (ssh, scp-like, http(s), local) and
//! extracts host and port for the `known_hosts` lookup. `redacted()` replaces
//! any userinfo with `***`, because https URLs may embed a token; every URL
//! cigen prints goes through it. Parsing is lenient: an unrecognised form is
//! `Transport::Other` and credentials are simply not offered for it.

/// How git reaches the remote, as far as credentials and host keys go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Transport {
    Ssh,
    Http,
    Local,
    Other,
}

/// A parsed remote URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RemoteUrl {
    raw: String,
    pub transport: Transport,
    /// User name from the URL, e.g. `git` in `git@github.com:org/repo`.
    pub user: Option<String>,
    /// Host without brackets or port; empty for local remotes.
    pub host: String,
    pub port: Option<u16>,
}

impl RemoteUrl {
    pub(super) fn parse(raw: &str) -> Self {
        let (transport, rest) = match raw.split_once("://") {
            Some((scheme, rest)) => (scheme_transport(scheme), Some(rest)),
            None if is_scp_like(raw) => (Transport::Ssh, None),
            None => (Transport::Local, None),
        };
        let authority = match rest {
            Some(rest) => rest.split('/').next().unwrap_or_default(),
            None if transport == Transport::Ssh => raw.split(':').next().unwrap_or_default(),
            None => "",
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let user = userinfo
            .map(|info| info.split(':').next().unwrap_or_default().to_string())
            .filter(|user| !user.is_empty());
        // scp-like URLs have no port: the ':' starts the path.
        let (host, port) = if rest.is_some() {
            split_host_port(hostport)
        } else {
            (hostport.trim_matches(['[', ']']).to_string(), None)
        };
        Self {
            raw: raw.to_string(),
            transport,
            user,
            host,
            port,
        }
    }

    /// The host as `known_hosts` spells it: `host`, or `[host]:port` off port 22.
    pub(super) fn known_hosts_name(&self) -> String {
        match self.port {
            Some(port) if port != 22 => format!("[{}]:{port}", self.host),
            _ => self.host.clone(),
        }
    }

    /// The URL with any userinfo replaced by `***`.
    pub(super) fn redacted(&self) -> String {
        redact(&self.raw)
    }
}

/// Replaces the userinfo of every URL-looking span in `text` with `***`.
pub(super) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(&redact_word(word));
    }
    out
}

fn redact_word(word: &str) -> String {
    let (prefix, rest) = match word.find("://") {
        Some(at) => word.split_at(at + 3),
        None if is_scp_like(word) => ("", word),
        None => return word.to_string(),
    };
    let authority_end = rest.find(['/', '\'', '"']).unwrap_or(rest.len());
    let authority_end = if prefix.is_empty() {
        rest.find(':').unwrap_or(authority_end)
    } else {
        authority_end
    };
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{prefix}***{}", &rest[at..]),
        None => word.to_string(),
    }
}

fn scheme_transport(scheme: &str) -> Transport {
    match scheme.to_ascii_lowercase().as_str() {
        "ssh" | "git+ssh" | "ssh+git" => Transport::Ssh,
        "http" | "https" => Transport::Http,
        "file" => Transport::Local,
        _ => Transport::Other,
    }
}

/// `user@host:path` without a scheme, as git reads it: a ':' before any '/'.
fn is_scp_like(raw: &str) -> bool {
    match (raw.find(':'), raw.find('/')) {
        (Some(colon), Some(slash)) => colon < slash && colon > 0,
        (Some(colon), None) => colon > 0,
        _ => false,
    }
}

fn split_host_port(hostport: &str) -> (String, Option<u16>) {
    if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner.split_once(']').unwrap_or((inner, ""));
        let port = after.strip_prefix(':').and_then(|port| port.parse().ok());
        return (host.to_string(), port);
    }
    match hostport.rsplit_once(':') {
        Some((host, port)) => (host.to_string(), port.parse().ok()),
        None => (hostport.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let url = RemoteUrl::parse("git@github.com:org/repo.git");
        assert_eq!(
            (url.transport, url.user.as_deref()),
            (Transport::Ssh, Some("git"))
        );
        assert_eq!((url.host.as_str(), url.port), ("github.com", None));
        assert_eq!(url.known_hosts_name(), "github.com");

        let url = RemoteUrl::parse("ssh://me@127.0.0.1:2222/tmp/r.git");
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", Some(2222)));
        assert_eq!(url.known_hosts_name(), "[127.0.0.1]:2222");

        let url = RemoteUrl::parse("ssh://[::1]:22/r.git");
        assert_eq!(
            (url.host.as_str(), url.known_hosts_name()),
            ("::1", "::1".into())
        );

        assert_eq!(
            RemoteUrl::parse("https://github.com/o/r").transport,
            Transport::Http
        );
        assert_eq!(
            RemoteUrl::parse("file:///tmp/r.git").transport,
            Transport::Local
        );
        assert_eq!(RemoteUrl::parse("/tmp/r.git").transport, Transport::Local);
    }

    #[test]
    fn redacts_userinfo_everywhere() {
        assert_eq!(
            redact("https://x:ghp_abc@github.com/o/r"),
            "https://***@github.com/o/r"
        );
        assert_eq!(
            redact("https://ghp_abc@github.com/o/r"),
            "https://***@github.com/o/r"
        );
        assert_eq!(redact("git@github.com:o/r.git"), "***@github.com:o/r.git");
        assert_eq!(redact("https://github.com/o/r"), "https://github.com/o/r");
        assert_eq!(
            redact("error at 'https://u:p@h/x' now"),
            "error at 'https://***@h/x' now"
        );
        assert_eq!(redact("user@example.com wrote"), "user@example.com wrote");
    }
}
