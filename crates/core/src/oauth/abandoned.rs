//! Sign-ins that were started and never finished. Their rows are kept a day after they
//! expire (so a late answer is told "expired", not "unknown"), then deleted together with
//! their PKCE verifiers: the verifier first (it is in the secret store), the row only once
//! its verifier is gone, so no verifier outlives the row that names it.

use crate::error::Result;
use crate::instance::Lanyard;

/// How long after expiry a pending authorization is kept.
pub const KEEP_SECONDS: i64 = 86_400;

/// The secret store key of a pending authorization's PKCE verifier.
pub(crate) fn verifier_key(pending_id: &str) -> String {
    format!("pending/{pending_id}/verifier")
}

/// Deletes the sign-ins that expired more than [`KEEP_SECONDS`] ago, verifiers first.
/// Returns how many went.
pub async fn forget(l: &Lanyard) -> Result<usize> {
    let stale = l
        .store()
        .stale_pending(l.clock().now() - KEEP_SECONDS)
        .await?;
    let mut gone = Vec::with_capacity(stale.len());
    for id in stale {
        if l.secrets().delete(&verifier_key(&id)).await.is_ok() {
            gone.push(id);
        }
    }
    l.store().delete_pending(&gone).await?;
    Ok(gone.len())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::clock::FixedClock;
    use crate::oauth::flow;
    use crate::secrets::{SecretStoreKind, Secrets};
    use crate::{Config, Lanyard};

    #[tokio::test]
    async fn an_abandoned_sign_in_loses_its_verifier_with_its_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(FixedClock::at(1_900_000_000));
        let config = Config::new(dir.path().to_path_buf(), SecretStoreKind::Memory);
        let l = Lanyard::open_with(&config, clock.clone(), Some(Secrets::in_memory()))
            .await
            .expect("open");
        let channel = crate::broker::testing::seed_channel(&l, "http://127.0.0.1:9/t", "a", 0, "r")
            .await
            .expect("seed");
        let provider = l.store().channel(&channel).await.expect("c").provider_id;
        let uri = flow::deep_link_redirect_uri();
        let abandoned = flow::begin(&l, &provider, None, uri).await.expect("begin");
        let key = super::verifier_key(&abandoned.pending_id);
        assert!(l.secrets().get(&key).await.expect("get").is_some());

        // A day and more after it expired, the next sign-in sweeps it away.
        clock.advance(2 * 86_400);
        let next = flow::begin(&l, &provider, None, uri).await.expect("begin");
        assert!(
            l.secrets().get(&key).await.expect("get").is_none(),
            "the abandoned sign-in's verifier is still in the secret store"
        );
        let stale = l.store().stale_pending(i64::MAX).await.expect("rows");
        assert_eq!(stale, vec![next.pending_id.clone()], "its row went too");
        let kept = super::verifier_key(&next.pending_id);
        assert!(l.secrets().get(&kept).await.expect("get").is_some());
    }
}
