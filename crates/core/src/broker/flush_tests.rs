//! The grant audit buffer's flush: every record written across its statement chunks (with
//! `LANYARD_TEST_POSTGRES`, on PostgreSQL; else one SQLite file), details kept, and the
//! written batch's memory handed back to the grant path.

use super::{Broker, PendingAudit, AUDIT_FLUSH_CHUNK};
use crate::store::audit::{AuditAction, AuditOutcome};
use crate::store::testing;

fn pending(i: usize) -> PendingAudit {
    let denied = i.is_multiple_of(7);
    PendingAudit {
        at: 1_000 + i as i64,
        principal_id: format!("player-{}", i % 13),
        channel_id: "chan".into(),
        outcome: if denied {
            AuditOutcome::Denied
        } else {
            AuditOutcome::Ok
        },
        detail: denied.then(|| "not_linked".to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_writes_every_record_across_its_chunks_and_reuses_the_buffer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = testing::temp_store(dir.path()).await.expect("store");
    let broker = Broker::default();
    // Two full chunks and a part of a third.
    let count = AUDIT_FLUSH_CHUNK * 2 + 300;
    for i in 0..count {
        broker.record(pending(i));
    }
    assert_eq!(broker.flush(&store).await.expect("flush"), count);
    let rows = store
        .audit_events(Some("chan"), None, 10_000)
        .await
        .expect("rows");
    assert_eq!(rows.len(), count, "one row per record");
    // Newest first: the ids follow the records' order, each with its own time and fields.
    for (n, row) in rows.iter().rev().enumerate() {
        let want = pending(n);
        assert_eq!(row.at, want.at);
        assert_eq!(
            row.principal_id.as_deref(),
            Some(want.principal_id.as_str())
        );
        assert_eq!(row.action, AuditAction::Grant);
        assert_eq!(row.outcome, want.outcome);
        assert_eq!(row.detail, want.detail);
    }

    // Nothing buffered: nothing written. The written batch's buffer is now the one grants
    // append to, its capacity kept.
    assert_eq!(broker.flush(&store).await.expect("empty flush"), 0);
    let capacity = broker.audit.lock().expect("buffer").capacity();
    assert!(capacity >= count, "capacity {capacity} < {count}");
    broker.record(pending(count));
    assert_eq!(broker.flush(&store).await.expect("flush one"), 1);
    let rows = store
        .audit_events(Some("chan"), None, 10_000)
        .await
        .expect("rows");
    assert_eq!(rows.len(), count + 1);
}
