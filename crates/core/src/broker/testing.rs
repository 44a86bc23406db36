//! Fixtures for benchmarks and tests in other crates: a channel seeded straight into the
//! store, without a provider round trip. Not part of the API.

use crate::error::Result;
use crate::instance::Lanyard;
use crate::oauth::channel::keys;
use crate::oauth::provider::{Provider, ProviderKind};
use crate::secrets::SecretValue;
use crate::store::channels::ChannelTokens;

/// Seeds a provider whose token endpoint is `token_endpoint` and a channel with the given
/// tokens, linked to the license. Returns the channel id.
pub async fn seed_channel(
    l: &Lanyard,
    token_endpoint: &str,
    access_token: &str,
    access_expires_at: i64,
    refresh_token: &str,
) -> Result<String> {
    seed_channel_for(
        l,
        token_endpoint,
        access_token,
        access_expires_at,
        refresh_token,
        vec![],
    )
    .await
}

/// [`seed_channel`] for a provider whose access tokens are for `api_base_urls`.
pub async fn seed_channel_for(
    l: &Lanyard,
    token_endpoint: &str,
    access_token: &str,
    access_expires_at: i64,
    refresh_token: &str,
    api_base_urls: Vec<String>,
) -> Result<String> {
    let now = l.clock().now();
    let provider_id = format!("seed-{}", uuid::Uuid::new_v4().simple());
    l.store()
        .insert_provider(&Provider {
            id: provider_id.clone(),
            client_id: Some("seed-client".into()),
            api_base_urls,
            ..Provider::at_endpoints(
                ProviderKind::Custom,
                "Seeded".into(),
                "http://127.0.0.1:9/authorize".into(),
                token_endpoint.into(),
                now,
            )
        })
        .await?;
    let channel_id = uuid::Uuid::new_v4().to_string();
    l.secrets()
        .set(&keys::refresh(&channel_id), SecretValue::new(refresh_token))
        .await?;
    l.secrets()
        .set(&keys::access(&channel_id), SecretValue::new(access_token))
        .await?;
    let mut tx = l.store().begin_write().await?;
    l.store()
        .insert_channel(
            &mut tx,
            &channel_id,
            &provider_id,
            &format!("subject-{channel_id}"),
            "seeded@example.com",
            &ChannelTokens {
                scopes: vec!["read".into()],
                access_token_expires_at: Some(access_expires_at),
                refresh_token_expires_at: None,
                reauth_due_at: None,
            },
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(channel_id)
}
