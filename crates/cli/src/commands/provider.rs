//! `lanyard provider add|list|show|remove|export|import`.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use lanyard_core::oauth::provider::{Provider, ProviderSpec, RedirectStyle};
use lanyard_core::oauth::providers;
use lanyard_core::oauth::quirks::{registration, Registration};
use lanyard_core::secrets::SecretValue;
use lanyard_core::{Error, Lanyard, Result};
use serde::Serialize;

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Add a provider with your own client id: from a template, OpenID discovery, or
    /// explicit endpoints.
    Add(Box<AddArgs>),
    /// List providers (built-in templates included).
    List,
    /// Show one provider and what to register for it at the provider.
    Show {
        /// The provider's id.
        id: String,
    },
    /// Remove a provider you added (disconnect its channels first).
    Remove {
        /// The provider's id.
        id: String,
    },
    /// Write a provider file (to standard output) for others to open: everything but the
    /// client secret, unless --include-secret.
    Export(super::provider_file::ExportArgs),
    /// Open a provider file (or a lanyard://provider/… link): shows what it adds and asks.
    Import(super::provider_file::ImportArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Copy a built-in template: microsoft, google or dropbox.
    #[arg(long, conflicts_with = "discovery")]
    template: Option<String>,
    /// Microsoft tenant (common, organizations, a domain or a tenant id).
    #[arg(long, requires = "template")]
    tenant: Option<String>,
    /// Replace the scheme, host and port of every URL of the template (a national cloud,
    /// e.g. `https://login.microsoftonline.us`; plain http only on loopback).
    #[arg(long, requires = "template", value_name = "URL")]
    authority: Option<String>,
    /// A fixed loopback port for the redirect URI (providers that match it exactly,
    /// port included: Dropbox requires one).
    #[arg(long, value_name = "PORT")]
    loopback_port: Option<u16>,
    /// An OpenID provider's issuer or discovery URL.
    #[arg(long, value_name = "URL")]
    discovery: Option<String>,
    /// Your client id at the provider.
    #[arg(long)]
    client_id: Option<String>,
    /// Read the client secret from FILE ('-' for standard input); only for providers that
    /// demand one. Kept in the secret store.
    #[arg(long, value_name = "FILE")]
    client_secret_file: Option<PathBuf>,
    /// The provider's id (default: made from its name).
    #[arg(long)]
    id: Option<String>,
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    /// Authorization endpoint (explicit configuration).
    #[arg(long, value_name = "URL")]
    authorization_endpoint: Option<String>,
    /// Token endpoint (explicit configuration).
    #[arg(long, value_name = "URL")]
    token_endpoint: Option<String>,
    /// RFC 7009 revocation endpoint.
    #[arg(long, value_name = "URL")]
    revocation_endpoint: Option<String>,
    /// OpenID userinfo endpoint.
    #[arg(long, value_name = "URL")]
    userinfo_endpoint: Option<String>,
    /// Issuer identifier (explicit configuration).
    #[arg(long)]
    issuer: Option<String>,
    /// A scope to request (repeat; replaces the defaults).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// How the browser returns: deep-link or loopback.
    #[arg(long, value_name = "deep-link|loopback")]
    redirect: Option<String>,
    /// An API base URL the provider's tokens are for (repeat).
    #[arg(long = "api-base", value_name = "URL")]
    api_bases: Vec<String>,
    /// Forced re-authorization interval in days (e.g. 14).
    #[arg(long)]
    reauth_days: Option<u32>,
    /// When the client secret expires (2027-06-30 or RFC 3339): `lanyard health` names
    /// the screens that stop with it.
    #[arg(long, value_name = "DATE")]
    client_secret_expires_at: Option<String>,
}

pub async fn run(lanyard: &Lanyard, out: &Output, command: ProviderCommand) -> Result<()> {
    match command {
        ProviderCommand::Add(args) => add(lanyard, out, *args).await,
        ProviderCommand::List => {
            let all = providers::list(lanyard).await?;
            out.print(&all, || all.iter().map(line).collect::<Vec<_>>().join("\n"));
            Ok(())
        }
        ProviderCommand::Show { id } => {
            let provider = providers::show(lanyard, &id).await?;
            let shown = Shown::new(provider);
            out.print(&shown, || shown.text());
            Ok(())
        }
        ProviderCommand::Export(args) => super::provider_file::export(lanyard, args).await,
        ProviderCommand::Import(args) => {
            let provider = super::provider_file::import(lanyard, args).await?;
            let shown = Shown::new(provider);
            out.print(&shown, || format!("added {}", shown.text()));
            Ok(())
        }
        ProviderCommand::Remove { id } => {
            providers::remove(lanyard, &id).await?;
            out.print(&serde_json::json!({ "removed": id }), || {
                format!("removed provider {id}")
            });
            Ok(())
        }
    }
}

async fn add(lanyard: &Lanyard, out: &Output, a: AddArgs) -> Result<()> {
    let secret = match &a.client_secret_file {
        Some(path) => Some(read_secret(path)?),
        None => None,
    };
    let spec = ProviderSpec {
        id: a.id,
        template: a.template,
        tenant: a.tenant,
        authority: a.authority,
        loopback_port: a.loopback_port,
        discovery_url: a.discovery,
        name: a.name,
        authorization_endpoint: a.authorization_endpoint,
        token_endpoint: a.token_endpoint,
        revocation_endpoint: a.revocation_endpoint,
        userinfo_endpoint: a.userinfo_endpoint,
        issuer: a.issuer,
        scopes: a.scopes,
        client_id: a.client_id,
        redirect_style: a
            .redirect
            .as_deref()
            .map(RedirectStyle::parse)
            .transpose()?,
        api_base_urls: a.api_bases,
        reauth_days: a.reauth_days,
        client_secret_expires_at: a
            .client_secret_expires_at
            .as_deref()
            .map(lanyard_core::oauth::provider::parse_expiry_date)
            .transpose()?,
    };
    let provider = providers::add(lanyard, spec, secret).await?;
    let shown = Shown::new(provider);
    out.print(&shown, || format!("added {}", shown.text()));
    Ok(())
}

/// A provider with what to register for it.
#[derive(Debug, Serialize)]
pub(super) struct Shown {
    #[serde(flatten)]
    provider: Provider,
    registration: Registration,
}

impl Shown {
    pub(super) fn new(provider: Provider) -> Shown {
        Shown {
            registration: registration(&provider),
            provider,
        }
    }

    pub(super) fn text(&self) -> String {
        let r = &self.registration;
        let mut out = format!(
            "{}\n\nRegister this redirect URI: {}\nWhere: {}",
            line(&self.provider),
            r.redirect_uri,
            r.register_at
        );
        for note in &r.notes {
            out.push_str(&format!("\n- {note}"));
        }
        out
    }
}

fn read_secret(path: &PathBuf) -> Result<SecretValue> {
    let mut raw = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(|e| Error::Io(format!("could not read the client secret: {e}")))?;
    } else {
        raw = std::fs::read_to_string(path).map_err(|e| {
            Error::Io(format!(
                "could not read the client secret from {}: {e}",
                path.display()
            ))
        })?;
    }
    let value = SecretValue::new(raw.trim_end_matches(['\r', '\n']));
    raw.clear();
    Ok(value)
}

fn line(p: &Provider) -> String {
    let client = match (&p.client_id, p.builtin) {
        (_, true) => "template".to_string(),
        (Some(id), false) => format!("client id {id}"),
        (None, false) => "no client id".to_string(),
    };
    let redirect = match p.redirect_style {
        RedirectStyle::DeepLink => "deep link",
        RedirectStyle::Loopback => "loopback",
    };
    format!("{:<20} {:<24} {redirect:<10} {client}", p.id, p.name)
}
