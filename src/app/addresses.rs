//! A session's saved addresses and its fulfilment context: what validate (and the cart
//! helpers) price for when an order leaves fulfilment out.

use crate::app::error::{AppError, AppResult};
use crate::auth::{Caller, unauthenticated};
use crate::db;
use crate::domain::address::{self, Address, AddressInput, Context, ContextInput, Owner};
use crate::domain::error_code::ErrorCode;
use crate::state::AppState;
use uuid::Uuid;

/// At most this many addresses are listed (a person has a handful).
pub const MAX_LISTED: i64 = 100;

/// An address with its id.
#[derive(Debug, Clone)]
pub struct Saved {
    pub address_id: Uuid,
    pub address: Address,
}

/// Whose addresses a caller keeps, and its session: only a session (a row since sessions were
/// rows) has them.
fn owner_of(caller: &Caller) -> AppResult<(Owner, Uuid)> {
    let Some(user) = &caller.session else {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "Addresses and the fulfilment context belong to a session; call with a session JWT.",
        ));
    };
    let Some(session_id) = caller.session_id else {
        return Err(unauthenticated(
            "This session token is from before sessions kept addresses; create a new session.",
        ));
    };
    let organization_id = caller.organization_id;
    let owner = if user.has_user() {
        Owner::User { organization_id, partner_user_id: user.partner_user_id.clone() }
    } else {
        Owner::Session { organization_id, session_id }
    };
    Ok((owner, session_id))
}

/// Saves an address (or finds it saved); whether it is new.
pub async fn save(state: &AppState, caller: &Caller, input: AddressInput) -> AppResult<(Saved, bool)> {
    let (owner, _) = owner_of(caller)?;
    let checked = input.check().map_err(|problems| {
        AppError::new(ErrorCode::InvalidRequest, "The address has problems.").with_errors(problems)
    })?;
    let address_id = checked.id_for(&owner);
    let (address, created) = db::addresses::save(&state.db, address_id, &owner, &checked, state.now()).await?;
    Ok((Saved { address_id, address }, created))
}

pub async fn list(state: &AppState, caller: &Caller) -> AppResult<Vec<Saved>> {
    let (owner, _) = owner_of(caller)?;
    let rows = db::addresses::list(&state.db, &owner, MAX_LISTED).await?;
    Ok(rows.into_iter().map(|(address_id, address)| Saved { address_id, address }).collect())
}

/// Sets the session's fulfilment context: a delivery needs one of the owner's addresses that
/// can be located.
pub async fn set_context(state: &AppState, caller: &Caller, input: ContextInput) -> AppResult<Context> {
    let (owner, session_id) = owner_of(caller)?;
    let address_id = input.address_id().map_err(|problems| {
        AppError::new(ErrorCode::InvalidRequest, "The fulfilment context has problems.").with_errors(problems)
    })?;
    let address = match address_id {
        Some(id) => Some(db::addresses::get(&state.db, &owner, id).await?.ok_or_else(|| {
            AppError::new(ErrorCode::NotFound, format!("No saved address {id}: save it with POST …/session/addresses."))
        })?),
        None => None,
    };
    let deliver_to =
        address.as_ref().filter(|_| input.mode == crate::domain::order::FulfillmentType::DeliveryByMerchant);
    if deliver_to.is_some_and(|address| !address::locatable(address)) {
        return Err(AppError::new(
            ErrorCode::AddressInvalid,
            "This address cannot be located: save it again with its latitude and longitude, or a recognisable postal code.",
        ));
    }
    db::addresses::put_context(&state.db, session_id, input.mode, address_id, state.now()).await?;
    Ok(Context { mode: input.mode, address_id, address })
}

/// The session's fulfilment context, if it has set one.
pub async fn context(state: &AppState, caller: &Caller) -> AppResult<Option<Context>> {
    let (_, session_id) = owner_of(caller)?;
    Ok(db::addresses::context(&state.db, session_id).await?)
}

/// The context an order of `caller` may fall back on: a session's, else none (an API key has
/// none). Read only when the order leaves something out.
pub async fn fallback_for(state: &AppState, caller: &Caller) -> AppResult<Option<Context>> {
    match caller.session_id {
        Some(session_id) if caller.session.is_some() => Ok(db::addresses::context(&state.db, session_id).await?),
        _ => Ok(None),
    }
}
