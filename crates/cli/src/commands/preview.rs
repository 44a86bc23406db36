//! `lanyard preview URL`: fetch a data URL as a player would and report what came back and
//! which credentials went where. The exit code reflects transport errors, not the HTTP
//! status. Permission questions are asked on the terminal, or answered by `--yes`/`--no`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::Args;
use lanyard_core::fetch::As;
use lanyard_core::preview::{self, Body, PreviewOptions, PreviewRequest, Report};
use lanyard_core::secrets::SecretValue;
use lanyard_core::urltokens::permission::{
    Answer, Asked, Fixed, PermissionRequest, Prompter, ValuesRequest,
};
use lanyard_core::{Error, Lanyard, Result};

use crate::output::Output;

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The data URL.
    url: String,
    /// The method.
    #[arg(long, short = 'X', default_value = "GET")]
    method: String,
    /// A header, 'Name: value' (repeat).
    #[arg(long = "header", short = 'H', value_name = "'K: V'")]
    headers: Vec<String>,
    /// The body: @FILE, or - for standard input.
    #[arg(long, short = 'd', value_name = "@FILE|-")]
    data: Option<String>,
    /// Use this channel's grant (default: the channel whose API covers the URL).
    #[arg(long)]
    channel: Option<String>,
    /// Fetch as this principal: `license` (default) or `player:<id>` — exactly what that
    /// screen would get through the gateway, refusals included.
    #[arg(
        long = "as",
        value_name = "license|player:ID",
        default_value = "license"
    )]
    as_: String,
    /// Accept every permission question (this time).
    #[arg(long, conflicts_with = "no")]
    yes: bool,
    /// Deny every permission question.
    #[arg(long)]
    no: bool,
    /// Connect timeout, seconds.
    #[arg(long, default_value_t = 10)]
    connect_timeout: u64,
    /// Total timeout per request, seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

/// Asks on the terminal (stderr), reading answers from /dev/tty-like stdin.
struct Terminal;

impl Prompter for Terminal {
    fn permission<'a>(&'a self, r: &'a PermissionRequest) -> Asked<'a, Answer> {
        Box::pin(async move {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "Send these tokens with {} {}?", r.method, r.url);
            for t in &r.tokens {
                let _ = writeln!(err, "  {} ({})", t.key, t.prefix);
            }
            let _ = write!(err, "[a]ccept this time, [d]eny, accept a[l]l: ");
            let _ = err.flush();
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            match line.trim() {
                "a" | "accept" | "y" | "yes" => Answer::Accept,
                "l" | "all" | "accept all" => Answer::AcceptAll,
                _ => Answer::Deny,
            }
        })
    }

    fn values<'a>(&'a self, r: &'a ValuesRequest) -> Asked<'a, Option<Vec<SecretValue>>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for t in &r.tokens {
                let v = rpassword::prompt_password(format!(
                    "Value for {} ({}), not shown: ",
                    t.key, t.prefix
                ))
                .ok()?;
                out.push(SecretValue::new(v));
            }
            Some(out)
        })
    }
}

fn parse_header(raw: &str) -> Result<(String, String)> {
    let (k, v) = raw
        .split_once(':')
        .ok_or_else(|| Error::invalid(format!("{raw:?} is not a 'Name: value' header")))?;
    Ok((k.trim().to_string(), v.trim().to_string()))
}

fn read_data(spec: &str) -> Result<Vec<u8>> {
    if spec == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::Io(format!("could not read the body from standard input: {e}")))?;
        return Ok(buf);
    }
    let path = spec.strip_prefix('@').map(PathBuf::from).ok_or_else(|| {
        Error::invalid("--data takes @FILE or - (the body is never given inline)")
    })?;
    std::fs::read(&path).map_err(|e| Error::Io(format!("could not read {}: {e}", path.display())))
}

pub async fn run(l: &Lanyard, out: &Output, a: PreviewArgs) -> Result<()> {
    let who = As::parse(&a.as_)?;
    let headers = a
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>>>()?;
    let body = a.data.as_deref().map(read_data).transpose()?;
    let request = PreviewRequest {
        url: a.url,
        method: a.method,
        headers,
        body,
        channel: a.channel,
    };
    let options = PreviewOptions {
        connect_timeout: std::time::Duration::from_secs(a.connect_timeout.max(1)),
        timeout: std::time::Duration::from_secs(a.timeout.max(1)),
        ..Default::default()
    };
    let fixed;
    let prompter: &dyn Prompter = if a.yes {
        fixed = Fixed(Answer::Accept);
        &fixed
    } else if a.no || !std::io::stdin().is_terminal() {
        fixed = Fixed(Answer::Deny);
        &fixed
    } else {
        &Terminal
    };
    let result = preview::preview_and_remember(l, &who, request, prompter, options).await;
    l.broker().flush(l.store()).await?;
    let report = result?;
    out.print(&report, || human(&report));
    Ok(())
}

/// A credential as the report names it: its source and id, and its key in parentheses.
fn credential(source: &impl std::fmt::Display, id: &str, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("{source} {id} ({k})"),
        None => format!("{source} {id}"),
    }
}

fn human(r: &Report) -> String {
    let mut s = String::new();
    for (i, hop) in r.hops.iter().enumerate() {
        s.push_str(&format!(
            "{} {} {} → {}\n",
            if i == 0 { "→" } else { "↪" },
            hop.method,
            hop.url,
            hop.status
        ));
        for c in &hop.credentials {
            let name = credential(&c.source, &c.id, c.key.as_deref());
            s.push_str(&format!("    sent {name} as {}\n", c.placement));
        }
        for n in &hop.not_sent {
            let name = credential(&n.source, &n.id, n.key.as_deref());
            s.push_str(&format!("    not sent {name}: {}\n", n.reason));
        }
    }
    if let Some(c) = &r.channel {
        if let Some(e) = &c.error {
            s.push_str(&format!(
                "channel {} ({}): {} — {}\n",
                c.channel_id, c.account_label, e.code, e.message
            ));
        }
    }
    for n in &r.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s.push_str(&format!(
        "status {} · {} bytes{} · {:.1} ms\n\n",
        r.status,
        r.size,
        if r.truncated { " (truncated)" } else { "" },
        r.timings.total_ms
    ));
    match &r.body {
        Body::Empty => s.push_str("(empty body)"),
        Body::Json { text } | Body::Xml { text } | Body::Text { text } => s.push_str(text),
        Body::Image { mime, base64 } => {
            s.push_str(&format!("({mime} image, {} base64 bytes)", base64.len()))
        }
        Body::Binary { mime, base64 } => s.push_str(&format!(
            "({} binary, {} base64 bytes)",
            mime.as_deref().unwrap_or("unknown"),
            base64.len()
        )),
    }
    s
}
