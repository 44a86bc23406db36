//! Adding and removing providers: from a built-in template, from OpenID discovery, or from
//! explicit endpoints — always with the user's own client id.

use super::discovery::{discover, fetch};
use super::flow::client_secret_key;
use super::provider::{
    apply_tenant, check_endpoints, check_id, check_limits, check_text, slug, Provider,
    ProviderKind, ProviderSpec, TokenAuthMethod,
};
use super::quirks;
use crate::error::{Error, InputField, Result};
use crate::instance::Lanyard;
use crate::secrets::SecretValue;

/// Every provider (templates included).
pub async fn list(l: &Lanyard) -> Result<Vec<Provider>> {
    l.store().providers().await
}

/// One provider.
pub async fn show(l: &Lanyard, id: &str) -> Result<Provider> {
    l.store().provider(id).await
}

/// Adds a provider; `client_secret`, when given, goes to the secret store.
pub async fn add(
    l: &Lanyard,
    spec: ProviderSpec,
    client_secret: Option<SecretValue>,
) -> Result<Provider> {
    let spec = spec.without_blanks();
    let client_secret = client_secret.filter(|s| !s.expose().is_empty());
    let now = l.clock().now();
    let client_id = spec
        .client_id
        .clone()
        .ok_or_else(|| Error::invalid("a client id is required (--client-id): register Lanyard with the provider and use your own").in_field(InputField::ClientId))?;
    check_text("client id", &client_id, 512).map_err(|e| e.in_field(InputField::ClientId))?;
    let mut provider = if let Some(template) = &spec.template {
        from_template(l, template, &spec).await?
    } else if let Some(discovery) = &spec.discovery_url {
        from_discovery(l, discovery, &spec, now).await?
    } else {
        from_endpoints(&spec, now)?
    };
    apply_spec(&mut provider, &spec, client_secret.is_some())?;
    provider.builtin = false;
    provider.client_id = Some(client_id);
    provider.has_client_secret = client_secret.is_some();
    provider.created_at = now;
    provider.updated_at = now;
    if let Some(secret) = &client_secret {
        check_text("client secret", secret.expose(), 1024).map_err(|_| {
            Error::invalid_field(
                InputField::ClientSecret,
                "the client secret is empty, too long or has control characters",
            )
        })?;
    }
    check_endpoints(&provider)?;
    quirks::check_template(&provider, client_secret.is_some())?;
    microsoft_issuer(l, &mut provider).await?;
    provider.id = match &spec.id {
        Some(id) => {
            check_id(id)?;
            if l.store().provider_exists(id).await? {
                return Err(Error::Conflict(format!(
                    "a provider with id {id:?} already exists"
                )));
            }
            id.clone()
        }
        None => free_id(l, &slug(&provider.name)).await?,
    };
    store(l, provider, client_secret).await
}

/// A provider from a built-in template, with the Microsoft tenant and authority applied.
async fn from_template(l: &Lanyard, template: &str, spec: &ProviderSpec) -> Result<Provider> {
    let base = l.store().provider(template).await.map_err(|_| {
        Error::invalid(format!(
            "unknown template {template:?}: use microsoft, google or dropbox"
        ))
    })?;
    if !base.builtin {
        return Err(Error::invalid(format!(
            "{template} is not a built-in template"
        )));
    }
    let mut p = base;
    if let Some(tenant) = &spec.tenant {
        if p.kind != ProviderKind::Microsoft {
            return Err(Error::invalid(
                "--tenant applies to the Microsoft template only",
            ));
        }
        apply_tenant(&mut p, tenant).map_err(|e| e.in_field(InputField::Tenant))?;
    }
    if let Some(authority) = &spec.authority {
        quirks::apply_authority(&mut p, authority)?;
    }
    Ok(p)
}

/// A provider from OpenID discovery: its endpoints, and the usual scopes it offers.
async fn from_discovery(
    l: &Lanyard,
    discovery: &str,
    spec: &ProviderSpec,
    now: i64,
) -> Result<Provider> {
    let (url, doc) = discover(l.http(), discovery)
        .await
        .map_err(|e| e.in_field(InputField::DiscoveryUrl))?;
    let name = spec.name.clone().unwrap_or_else(|| {
        url.host_str()
            .map(str::to_string)
            .unwrap_or_else(|| "OpenID provider".into())
    });
    let mut scopes = vec!["openid".to_string()];
    let offered = doc.scopes_supported.clone().unwrap_or_default();
    for s in ["offline_access", "email", "profile"] {
        if offered.is_empty() || offered.iter().any(|o| o == s) {
            scopes.push(s.into());
        }
    }
    Ok(Provider {
        issuer: Some(doc.issuer.clone()),
        discovery_url: Some(url.to_string()),
        revocation_endpoint: doc.revocation_endpoint,
        userinfo_endpoint: doc.userinfo_endpoint,
        default_scopes: scopes,
        iss_parameter_supported: doc
            .authorization_response_iss_parameter_supported
            .unwrap_or(false),
        token_auth_method: TokenAuthMethod::choose(
            doc.token_endpoint_auth_methods_supported.as_deref(),
        ),
        ..Provider::at_endpoints(
            ProviderKind::Oidc,
            name,
            doc.authorization_endpoint,
            doc.token_endpoint,
            now,
        )
    })
}

/// A provider from explicit endpoints (both the authorization and the token endpoint).
fn from_endpoints(spec: &ProviderSpec, now: i64) -> Result<Provider> {
    let (Some(auth), Some(token)) = (&spec.authorization_endpoint, &spec.token_endpoint) else {
        return Err(Error::invalid(
            "say where the provider is: --template, --discovery URL, or both \
             --authorization-endpoint and --token-endpoint",
        ));
    };
    let name = spec.name.clone();
    Ok(Provider {
        issuer: spec.issuer.clone(),
        revocation_endpoint: spec.revocation_endpoint.clone(),
        userinfo_endpoint: spec.userinfo_endpoint.clone(),
        ..Provider::at_endpoints(
            ProviderKind::Custom,
            name.unwrap_or_else(|| "Custom provider".into()),
            auth.clone(),
            token.clone(),
            now,
        )
    })
}

/// What the spec says on top of the source: explicit endpoints, name, scopes, redirect
/// style, loopback port, API bases, forced re-authorization, the client secret's expiry.
fn apply_spec(provider: &mut Provider, spec: &ProviderSpec, has_secret: bool) -> Result<()> {
    if spec.authority.is_some() && spec.template.is_none() {
        return Err(Error::invalid("--authority applies to a --template only"));
    }
    if spec.template.is_some() || spec.discovery_url.is_some() {
        // Explicit endpoints given alongside a template or discovery override it.
        if let Some(u) = &spec.revocation_endpoint {
            provider.revocation_endpoint = Some(u.clone());
        }
        if let Some(u) = &spec.userinfo_endpoint {
            provider.userinfo_endpoint = Some(u.clone());
        }
    }
    if let Some(name) = &spec.name {
        provider.name = name.clone();
    }
    if !spec.scopes.is_empty() {
        provider.default_scopes = spec.scopes.clone();
    }
    if let Some(style) = spec.redirect_style {
        provider.redirect_style = style;
    }
    if let Some(port) = spec.loopback_port {
        provider.loopback_port = Some(port);
    }
    for base in &spec.api_base_urls {
        if !provider.api_base_urls.contains(base) {
            provider.api_base_urls.push(base.clone());
        }
    }
    if let Some(days) = spec.reauth_days {
        provider.forced_reauth_seconds = Some(i64::from(days) * 86_400);
    }
    check_limits(provider.loopback_port, provider.forced_reauth_seconds)?;
    if let Some(at) = spec.client_secret_expires_at {
        if !has_secret {
            return Err(Error::invalid_field(
                InputField::ClientSecretExpiresAt,
                "a client secret's expiry needs a client secret",
            ));
        }
        provider.client_secret_expires_at = Some(at);
    }
    Ok(())
}

/// A Microsoft tenant given as a domain: its ID tokens name the tenant's GUID, which its
/// discovery document tells.
async fn microsoft_issuer(l: &Lanyard, provider: &mut Provider) -> Result<()> {
    let Some(url) = quirks::microsoft_discovery_url(provider) else {
        return Ok(());
    };
    let url = url::Url::parse(&url)
        .map_err(|_| Error::invalid("the Microsoft tenant makes an invalid address"))?;
    let doc = fetch(l.http(), &url).await.map_err(|e| match e {
        Error::ProviderError(m) => Error::ProviderError(format!(
            "{m} — Lanyard asks Microsoft for the tenant's id when the provider is added; \
             check the tenant name"
        )),
        other => other,
    })?;
    provider.issuer = Some(quirks::check_microsoft_issuer(provider, &doc.issuer)?);
    Ok(())
}

/// Stores a checked provider with an id of its own: its client secret (if any) in the
/// secret store first, then the provider; the secret is removed again if the provider
/// cannot be stored. The one way a provider is added (the CLI, the window, a file).
pub(crate) async fn store(
    l: &Lanyard,
    provider: Provider,
    client_secret: Option<SecretValue>,
) -> Result<Provider> {
    if let Some(secret) = client_secret {
        l.secrets()
            .set(&client_secret_key(&provider.id), secret)
            .await?;
    }
    if let Err(err) = l.store().insert_provider(&provider).await {
        let _ = l.secrets().delete(&client_secret_key(&provider.id)).await;
        return Err(err);
    }
    Ok(provider)
}

pub(crate) async fn free_id(l: &Lanyard, base: &str) -> Result<String> {
    if !l.store().provider_exists(base).await? {
        return Ok(base.to_string());
    }
    for n in 2..1000 {
        let candidate = format!("{base}-{n}");
        if !l.store().provider_exists(&candidate).await? {
            return Ok(candidate);
        }
    }
    Err(Error::Conflict(
        "too many providers with the same name".into(),
    ))
}

/// Removes a provider the user added (none of its channels may remain).
pub async fn remove(l: &Lanyard, id: &str) -> Result<()> {
    let provider = l.store().provider(id).await?;
    l.store().delete_provider(id).await?;
    if provider.has_client_secret {
        l.secrets().delete(&client_secret_key(id)).await?;
    }
    Ok(())
}
