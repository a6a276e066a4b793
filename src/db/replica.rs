//! Where the primary's write-ahead log is, and how far a replica has replayed it: the facts the
//! read routing (`crate::replica`) decides by. Positions are bytes from the log's start.

use sqlx::PgPool;

/// The primary's current write position: every transaction committed before this call ends
/// below it.
pub async fn wal_position(primary: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS "position!""#)
        .fetch_one(primary)
        .await
}

/// How far a read server has replayed: `None` when it is not a standby at all (a primary,
/// whose reads are as fresh as it is).
pub async fn replayed_position(replica: &PgPool) -> sqlx::Result<Option<i64>> {
    let row = sqlx::query!(
        r#"SELECT pg_is_in_recovery() AS "standby!",
                  (coalesce(pg_last_wal_replay_lsn(), '0/0'::pg_lsn) - '0/0'::pg_lsn)::bigint AS "replayed!""#
    )
    .fetch_one(replica)
    .await?;
    Ok(row.standby.then_some(row.replayed))
}
