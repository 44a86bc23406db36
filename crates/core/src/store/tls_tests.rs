//! PostgreSQL over TLS, as a gateway reaches a database on another machine: the server's
//! certificate is verified against the CA the URL names, and one it cannot verify is
//! refused with a clear error. Runs where `LANYARD_TEST_POSTGRES_CA` names the throwaway
//! cluster's CA (`scripts/postgres` writes it to DIR/ca.crt; `scripts/check` sets it).

use super::{testing, Location, Store};

fn with_params(location: &Location, params: &str) -> Location {
    match location {
        Location::Postgres(url) => Location::Postgres(format!("{url}?{params}")),
        Location::Sqlite(_) => unreachable!("PostgreSQL only"),
    }
}

#[tokio::test]
async fn verified_tls_is_used_and_an_unknown_ca_is_refused() {
    let Ok(ca) = std::env::var("LANYARD_TEST_POSTGRES_CA") else {
        testing::skip(
            "store::tls_tests::verified_tls_is_used_and_an_unknown_ca_is_refused",
            "PostgreSQL over TLS (LANYARD_TEST_POSTGRES_CA=<DIR/ca.crt from scripts/postgres>)",
            Some(testing::POSTGRES_LATER_ENV),
        );
        return;
    };
    let location = testing::database()
        .await
        .expect("database")
        .expect("LANYARD_TEST_POSTGRES_CA without LANYARD_TEST_POSTGRES");

    let tls = with_params(&location, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let store = Store::open_at(&tls).await.expect("verified TLS");
    let ssl: super::Flag =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(store.pool())
            .await
            .expect("pg_stat_ssl");
    assert!(ssl.0, "the connection is encrypted");
    store.close().await;

    // The public roots do not know the throwaway CA: refused, and said so.
    let unknown = with_params(&location, "sslmode=verify-full");
    let err = Store::open_at(&unknown).await.expect_err("unknown CA");
    assert_eq!(err.code(), "storage");
    let text = err.to_string().to_lowercase();
    assert!(
        text.contains("certificate") || text.contains("tls"),
        "{err}"
    );
}
