//! The `provider` table.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::Store;
use crate::error::{Error, Result};
use crate::oauth::provider::{Provider, ProviderKind, RedirectStyle, TokenAuthMethod};

fn json_list(raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw).map_err(|_| Error::Storage("a stored list is damaged".into()))
}

fn from_row(row: &AnyRow) -> Result<Provider> {
    Ok(Provider {
        id: row.try_get("id")?,
        kind: ProviderKind::parse(row.try_get("kind")?)?,
        name: row.try_get("name")?,
        builtin: row.try_get::<super::Flag, _>("builtin")?.0,
        issuer: row.try_get("issuer")?,
        discovery_url: row.try_get("discovery_url")?,
        authorization_endpoint: row.try_get("authorization_endpoint")?,
        token_endpoint: row.try_get("token_endpoint")?,
        revocation_endpoint: row.try_get("revocation_endpoint")?,
        userinfo_endpoint: row.try_get("userinfo_endpoint")?,
        default_scopes: json_list(row.try_get("default_scopes")?)?,
        extra_auth_params: serde_json::from_str(row.try_get("extra_auth_params")?)
            .map_err(|_| Error::Storage("stored parameters are damaged".into()))?,
        client_id: row.try_get("client_id")?,
        has_client_secret: row.try_get::<super::Flag, _>("has_client_secret")?.0,
        redirect_style: RedirectStyle::parse(row.try_get("redirect_style")?)
            .map_err(|_| Error::Storage("a stored redirect style is damaged".into()))?,
        api_base_urls: json_list(row.try_get("api_base_urls")?)?,
        forced_reauth_seconds: row.try_get("forced_reauth_seconds")?,
        iss_parameter_supported: row.try_get::<super::Flag, _>("iss_parameter_supported")?.0,
        loopback_port: row
            .try_get::<Option<i64>, _>("loopback_port")?
            .map(|p| {
                u16::try_from(p).map_err(|_| Error::Storage("a stored port is damaged".into()))
            })
            .transpose()?,
        token_auth_method: row
            .try_get::<Option<String>, _>("token_auth_method")?
            .as_deref()
            .map(TokenAuthMethod::parse)
            .transpose()?,
        client_secret_expires_at: row.try_get("client_secret_expires_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Every provider, templates first, then by name.
    pub async fn providers(&self) -> Result<Vec<Provider>> {
        let rows = sqlx::query("SELECT * FROM provider ORDER BY builtin DESC, name, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// One provider.
    pub async fn provider(&self, id: &str) -> Result<Provider> {
        let row = sqlx::query("SELECT * FROM provider WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::NotFound(format!("no provider with id {id:?}")))?;
        from_row(&row)
    }

    /// Whether a provider id is taken.
    pub async fn provider_exists(&self, id: &str) -> Result<bool> {
        let exists: super::Flag =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM provider WHERE id = $1)")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
        Ok(exists.0)
    }

    /// Inserts a new provider.
    pub async fn insert_provider(&self, p: &Provider) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO provider (id, kind, name, builtin, issuer, discovery_url, \
             authorization_endpoint, token_endpoint, revocation_endpoint, userinfo_endpoint, \
             default_scopes, extra_auth_params, client_id, has_client_secret, redirect_style, \
             api_base_urls, forced_reauth_seconds, iss_parameter_supported, created_at, \
             updated_at, loopback_port, token_auth_method, client_secret_expires_at) VALUES ($1, \
             $2, $3, FALSE, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
             $19, $20, $21, $22)",
        )
        .bind(&p.id)
        .bind(p.kind.as_str())
        .bind(&p.name)
        .bind(&p.issuer)
        .bind(&p.discovery_url)
        .bind(&p.authorization_endpoint)
        .bind(&p.token_endpoint)
        .bind(&p.revocation_endpoint)
        .bind(&p.userinfo_endpoint)
        .bind(serde_json::to_string(&p.default_scopes).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(&p.extra_auth_params).unwrap_or_else(|_| "{}".into()))
        .bind(&p.client_id)
        .bind(p.has_client_secret)
        .bind(p.redirect_style.as_str())
        .bind(serde_json::to_string(&p.api_base_urls).unwrap_or_else(|_| "[]".into()))
        .bind(p.forced_reauth_seconds)
        .bind(p.iss_parameter_supported)
        .bind(p.created_at)
        .bind(p.updated_at)
        .bind(p.loopback_port.map(i64::from))
        .bind(p.token_auth_method.map(TokenAuthMethod::as_str))
        .bind(p.client_secret_expires_at)
        .execute(&mut *tx)
        .await?;
        self.commit_access_change(tx).await
    }

    /// Deletes a provider the user added; templates and providers with channels stay.
    pub async fn delete_provider(&self, id: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let builtin: Option<bool> =
            sqlx::query_scalar::<_, super::Flag>("SELECT builtin FROM provider WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .map(bool::from);
        match builtin {
            None => return Err(Error::NotFound(format!("no provider with id {id:?}"))),
            Some(true) => {
                return Err(Error::invalid(format!(
                    "{id} is a built-in template and stays"
                )))
            }
            Some(false) => {}
        }
        let channels: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM channel WHERE provider_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if channels > 0 {
            return Err(Error::Conflict(format!(
                "provider {id} still has {channels} connected channel(s): disconnect them first"
            )));
        }
        sqlx::query("DELETE FROM provider WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_access_change(tx).await
    }
}
