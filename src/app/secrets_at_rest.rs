//! Seals what is stored of secrets (see `secret_box`): webhook signing secrets, card tokens and
//! saved cards' vault references
//! are written sealed and opened only where they are used, and rows written in clear before
//! this existed are sealed when a server starts.

use crate::app::error::AppResult;
use crate::db;
use crate::domain::order::PaymentMethod;
use crate::secret_box::{OpenError, Purpose, SecretBox};
use sqlx::PgPool;

/// A payment method as it is stored: a card token sealed, anything else as it is.
pub fn seal_method(secrets: &SecretBox, method: &PaymentMethod) -> PaymentMethod {
    match method {
        PaymentMethod::CardOnFile { card_token, processor_type } if !SecretBox::is_sealed(card_token) => {
            PaymentMethod::CardOnFile {
                card_token: secrets.seal(Purpose::CardToken, card_token),
                processor_type: processor_type.clone(),
            }
        }
        PaymentMethod::SavedCard { payment_id, vault_reference: Some(reference) }
            if !SecretBox::is_sealed(reference) =>
        {
            PaymentMethod::SavedCard {
                payment_id: payment_id.clone(),
                vault_reference: Some(secrets.seal(Purpose::CardToken, reference)),
            }
        }
        other => other.clone(),
    }
}

/// A stored payment method as the processor needs it: its card token opened.
pub fn open_method(secrets: &SecretBox, method: &PaymentMethod) -> Result<PaymentMethod, OpenError> {
    match method {
        PaymentMethod::CardOnFile { card_token, processor_type } => Ok(PaymentMethod::CardOnFile {
            card_token: secrets.open(Purpose::CardToken, card_token)?,
            processor_type: processor_type.clone(),
        }),
        PaymentMethod::SavedCard { payment_id, vault_reference: Some(reference) } => Ok(PaymentMethod::SavedCard {
            payment_id: payment_id.clone(),
            vault_reference: Some(secrets.open(Purpose::CardToken, reference)?),
        }),
        other => Ok(other.clone()),
    }
}

const BATCH: i64 = 500;

/// Seals every secret still stored in clear. Idempotent, and safe beside other instances doing
/// the same: each row is rewritten only if it is still what was read.
pub async fn seal_stored(pool: &PgPool, secrets: &SecretBox) -> AppResult<u64> {
    let mut sealed = 0;
    loop {
        let rows = db::webhooks::unsealed_secrets(pool, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for (id, secret, previous) in rows {
            let seal = |text: &str| {
                if SecretBox::is_sealed(text) { text.to_string() } else { secrets.seal(Purpose::WebhookSecret, text) }
            };
            let new_previous = previous.as_deref().map(seal);
            db::webhooks::reseal_secrets(
                pool,
                id,
                (&secret, previous.as_deref()),
                (&seal(&secret), new_previous.as_deref()),
            )
            .await?;
            sealed += 1;
        }
    }
    loop {
        let rows = db::orders::unsealed_card_tokens(pool, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        for (id, method) in rows {
            db::orders::reseal_payment_method(pool, id, &seal_method(secrets, &method.0)).await?;
            sealed += 1;
        }
    }
    Ok(sealed)
}
