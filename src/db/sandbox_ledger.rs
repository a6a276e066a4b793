//! The built-in sandbox processor's ledger (it stands in for an external processor's own
//! database, so it outlives our process as a real one would). Checked against the schema at
//! build time.

use rust_decimal::Decimal;

/// Records `outcome` under `key` unless the key was seen before (then only counts the request);
/// returns what the key holds.
pub async fn record(
    db: impl sqlx::PgExecutor<'_>,
    key: &str,
    reference: &str,
    amount: Decimal,
    currency: &str,
    outcome: &str,
) -> sqlx::Result<(String, String)> {
    let row = sqlx::query!(
        "INSERT INTO sandbox_processor_ledger (idempotency_key, reference, amount, currency, outcome)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (idempotency_key) DO UPDATE
             SET requests = sandbox_processor_ledger.requests + 1, updated_at = now()
         RETURNING reference, outcome",
        key,
        reference,
        amount,
        currency,
        outcome,
    )
    .fetch_one(db)
    .await?;
    Ok((row.reference, row.outcome))
}

/// Voids whatever `key` holds, and leaves a tombstone when it holds nothing yet: an
/// authorisation asked for later under a voided key is never approved.
pub async fn void(db: impl sqlx::PgExecutor<'_>, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sandbox_processor_ledger (idempotency_key, reference, amount, currency, outcome)
         VALUES ($1, 'void', 0, '', 'voided')
         ON CONFLICT (idempotency_key) DO UPDATE SET outcome = 'voided', updated_at = now()
         WHERE sandbox_processor_ledger.outcome = 'approved'",
        key,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Moves `key` from outcome `from` to `to` (capture: approved → captured; refund: captured →
/// refunded); a no-op in any other outcome, so repeating it is safe.
pub async fn advance(db: impl sqlx::PgExecutor<'_>, key: &str, from: &str, to: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE sandbox_processor_ledger SET outcome = $3, updated_at = now() WHERE idempotency_key = $1 AND outcome = $2",
        key,
        from,
        to,
    )
    .execute(db)
    .await
    .map(|_| ())
}
