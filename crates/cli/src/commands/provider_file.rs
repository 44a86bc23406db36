//! `lanyard provider export|import`: provider files prepared once by IT and opened by
//! each designer (see `lanyard_core::oauth::provider_file`).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::Args;
use lanyard_core::oauth::provider::Provider;
use lanyard_core::oauth::provider_file::{self, Offer, MAX_FILE_LEN, WHAT};
use lanyard_core::{Error, Lanyard, Result};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The provider's id.
    id: String,
    /// Put the client secret in the file (asked for confirmation; anyone holding the
    /// file can then use your client).
    #[arg(long)]
    include_secret: bool,
    /// Print a `lanyard://provider/…` link instead of the file (never with a secret).
    #[arg(long, conflicts_with = "include_secret")]
    link: bool,
    /// Confirm without asking.
    #[arg(long, short)]
    yes: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The provider file ('-' for standard input), or a `lanyard://provider/…` link.
    file: String,
    /// Add it without asking.
    #[arg(long, short)]
    yes: bool,
    /// Add it even though its token, revocation or userinfo endpoint is on another host
    /// than its sign-in (codes and tokens go there): a second, explicit step that `--yes`
    /// does not take.
    #[arg(long)]
    accept_foreign_endpoints: bool,
}

/// Writes the file (or link) to standard output. The file is JSON already, so `--json`
/// changes nothing: `lanyard provider export ID > contoso.lanyard-provider` works either way.
pub async fn export(l: &Lanyard, a: ExportArgs) -> Result<()> {
    if a.include_secret {
        confirm(
            a.yes,
            &format!(
                "The file will hold the client secret of provider {}: anyone who has the \
                 file can use your client at the provider. Send it only to people who may.",
                a.id
            ),
            "Include the client secret?",
        )?;
    }
    let text = provider_file::export(l, &a.id, a.include_secret).await?;
    let text = if a.link {
        format!("{}\n", provider_file::to_link(&text)?)
    } else {
        text
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::Io(format!("could not write the provider file: {e}")))
}

/// Shows what the file adds, asks, then adds it; the caller prints what was added.
pub async fn import(l: &Lanyard, a: ImportArgs) -> Result<Provider> {
    let text = if let Some(payload) = a.file.strip_prefix("lanyard://provider/") {
        lanyard_core::deep_links::DeepLink::parse(&a.file)?;
        provider_file::from_link_payload(payload)?
    } else if a.file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .take(MAX_FILE_LEN as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|e| Error::Io(format!("could not read the provider file: {e}")))?;
        text
    } else {
        provider_file::read(&PathBuf::from(&a.file))?
    };
    let file = provider_file::parse(&text)?;
    let offer = provider_file::offer(l, &file).await?;
    if let Some(conflict) = &offer.conflict {
        return Err(Error::Conflict(conflict.clone()));
    }
    if let Some(warning) = offer.foreign_warning() {
        if !a.accept_foreign_endpoints {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{}", summary(&offer));
            return Err(Error::invalid(format!(
                "not added: {warning}. To add it anyway, run the import again with \
                 --accept-foreign-endpoints"
            )));
        }
    }
    // With `--yes` from a script (stdin not a terminal) stay quiet on stderr.
    if !a.yes {
        confirm(false, &summary(&offer), "Add this provider?")?;
    }
    provider_file::import(l, file, a.accept_foreign_endpoints).await
}

fn summary(o: &Offer) -> String {
    let p = &o.provider;
    let mut s = format!(
        "This {WHAT} adds the provider {:?} ({}):\n  sign-in at   {}\n  client id    {}\n",
        p.name,
        p.kind.as_str(),
        p.authorization_endpoint,
        p.client_id.as_deref().unwrap_or("")
    );
    if !p.default_scopes.is_empty() {
        s.push_str(&format!("  scopes       {}\n", p.default_scopes.join(" ")));
    }
    for base in &p.api_base_urls {
        s.push_str(&format!("  data from    {base}\n"));
    }
    s.push_str("  hosts:\n");
    for e in &o.endpoints {
        let foreign = if o.foreign_endpoints.contains(e) {
            "   <- not the sign-in host"
        } else {
            ""
        };
        s.push_str(&format!("    {:<34} {}{foreign}\n", e.role.label(), e.host));
    }
    s.push_str(&format!(
        "  redirect URI {} (registered by whoever made the file)\n",
        o.registration.redirect_uri
    ));
    if o.includes_secret {
        s.push_str("  It includes the client secret (kept in your secret store).\n");
    }
    if let Some(warning) = o.foreign_warning() {
        s.push_str(&format!("WARNING: {warning}.\n"));
    }
    s
}

/// Asks on the terminal (or reads one answer line from piped standard input); anything but
/// yes — including no answer at all — refuses with the way to confirm from a script.
fn confirm(yes: bool, context: &str, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{context}\n{question} [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    let read = std::io::stdin().lock().read_line(&mut answer);
    if !std::io::stdin().is_terminal() {
        let _ = writeln!(stderr);
    }
    match (read, answer.trim().to_ascii_lowercase().as_str()) {
        (Ok(_), "y" | "yes") => Ok(()),
        (Ok(0), _) | (Err(_), _) => Err(Error::invalid(
            "not confirmed: no answer was given (pass --yes to confirm from a script)",
        )),
        _ => Err(Error::invalid("not confirmed: nothing was changed")),
    }
}
