//! A session user's saved cards: the number and CVC go to the processor's vault and nowhere
//! else; what is kept is brand, last four, expiry and the vault's (sealed) reference. place
//! charges a `savedCard` through that reference.

use crate::app::error::{AppError, AppResult};
use crate::auth::Caller;
use crate::db;
use crate::domain::card::{self, CardInput, KeptCard};
use crate::domain::error_code::ErrorCode;
use crate::domain::problem::Problem;
use crate::secret_box::Purpose;
use crate::state::AppState;
use sqlx::PgConnection;
use uuid::Uuid;

/// A user keeps at most this many cards listed.
pub const MAX_LISTED: i64 = 100;

/// A saved card as it is shown.
#[derive(Debug, Clone)]
pub struct Saved {
    pub payment_id: Uuid,
    pub card: KeptCard,
}

/// The session user a card belongs to: an API key or an anonymous session has none.
fn user_of(caller: &Caller) -> AppResult<&str> {
    match &caller.session {
        Some(user) if user.has_user() => Ok(&user.partner_user_id),
        _ => Err(AppError::new(
            ErrorCode::SessionUserRequired,
            "Saved payment methods belong to a person: call with a session that has a user (email and names).",
        )),
    }
}

fn shown(row: db::payment_methods::PaymentMethodRow) -> Saved {
    let card = KeptCard {
        brand: card::brand_named(&row.brand),
        last_four: row.last_four,
        exp_year: row.exp_year,
        exp_month: row.exp_month as u32,
    };
    Saved { payment_id: row.id, card }
}

pub async fn create(state: &AppState, caller: &Caller, input: CardInput) -> AppResult<Saved> {
    let user = user_of(caller)?;
    let now = state.now();
    let checked = input.check(now).map_err(|problems| {
        AppError::new(ErrorCode::PaymentMethodInvalid, "The card has problems.").with_errors(problems)
    })?;
    let reference = state.payments.vault(&checked).await.map_err(|error| {
        tracing::warn!(%error, "vault unavailable");
        AppError::new(ErrorCode::ServiceUnavailable, "The card could not be saved just now; try again.")
            .with_retry_after(1)
    })?;
    let sealed = state.secrets.seal(Purpose::CardToken, &reference);
    let kept = checked.kept;
    let payment_id = Uuid::now_v7();
    let row = db::payment_methods::NewPaymentMethod {
        id: payment_id,
        organization_id: caller.organization_id,
        partner_user_id: user,
        brand: kept.brand,
        last_four: &kept.last_four,
        exp_year: kept.exp_year,
        exp_month: kept.exp_month as i32,
        vault_reference: &sealed,
    };
    db::payment_methods::insert(&state.db, &row, now).await?;
    Ok(Saved { payment_id, card: kept })
}

pub async fn list(state: &AppState, caller: &Caller) -> AppResult<Vec<Saved>> {
    let user = user_of(caller)?;
    let rows = db::payment_methods::list(&state.db, caller.organization_id, user, MAX_LISTED).await?;
    Ok(rows.into_iter().map(shown).collect())
}

pub async fn remove(state: &AppState, caller: &Caller, payment_id: Uuid) -> AppResult<()> {
    let user = user_of(caller)?;
    if !db::payment_methods::remove(&state.db, caller.organization_id, user, payment_id, state.now()).await? {
        return Err(AppError::new(ErrorCode::NotFound, format!("You have no saved payment method {payment_id}.")));
    }
    Ok(())
}

/// The vault reference (opened) of the caller's saved card `payment_id`, for place; or the
/// refusal DESIGN.md pins: PAYMENT_METHOD_INVALID with PAYMENT_METHOD_NOT_FOUND (unknown,
/// another user's, removed) or PAYMENT_METHOD_EXPIRED.
pub async fn vault_reference(
    state: &AppState,
    conn: &mut PgConnection,
    caller: &Caller,
    payment_id: &str,
) -> AppResult<Result<String, AppError>> {
    let refused = |code: &str, message: &str| {
        AppError::new(ErrorCode::PaymentMethodInvalid, "The saved payment method cannot be used.")
            .with_errors(vec![Problem::at(code, "$.payment.savedCard.paymentId", message)])
    };
    let user = user_of(caller)?;
    let found = match Uuid::parse_str(payment_id) {
        Ok(id) => db::payment_methods::get(&mut *conn, caller.organization_id, user, id).await?,
        Err(_) => None,
    };
    let Some(row) = found else {
        return Ok(Err(refused("PAYMENT_METHOD_NOT_FOUND", "no saved payment method of yours has this id")));
    };
    if card::expired(row.exp_year, row.exp_month as u32, state.now()) {
        return Ok(Err(refused("PAYMENT_METHOD_EXPIRED", "this card has expired since it was saved")));
    }
    let opened = state
        .secrets
        .open(Purpose::CardToken, &row.vault_reference)
        .map_err(|error| AppError::internal(anyhow::anyhow!("payment method {}'s vault reference: {error}", row.id)))?;
    Ok(Ok(opened))
}
