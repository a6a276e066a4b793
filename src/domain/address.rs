//! Saved addresses and a session's fulfilment context: how an address is checked, what makes two
//! addresses the same one, and how a context fills in an order that leaves fulfilment out.

use super::geo::valid_coordinates;
use super::order::{Delivery, FulfillmentType};
use super::problem::Problem;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Short enough that the five fields joined as a delivery address stay within an order's text limit.
const MAX_FIELD_LEN: usize = 150;

/// An address as a front end sends it (`POST /v1/marketplace/session/addresses`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressInput {
    #[serde(default)]
    pub address1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// A checked address: the fields as sent (trimmed), and where it is when that is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub address1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// Whose addresses these are: a session's user (its partner and `partnerUserId`), or, for an
/// anonymous session, the session itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User { organization_id: Uuid, partner_user_id: String },
    Session { organization_id: Uuid, session_id: Uuid },
}

impl AddressInput {
    /// Every problem at once, each at its field.
    pub fn check(self) -> Result<Address, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut required = |value: Option<String>, field: &str| -> String {
            let value = value.map(|v| v.trim().to_string()).unwrap_or_default();
            if value.is_empty() || value.chars().count() > MAX_FIELD_LEN {
                problems.push(Problem::at(
                    "INVALID_FIELD",
                    format!("$.{field}"),
                    format!("{field} is required, at most {MAX_FIELD_LEN} characters"),
                ));
            }
            value
        };
        let address1 = required(self.address1, "address1");
        let city = required(self.city, "city");
        let state = required(self.state, "state");
        let postal_code = required(self.postal_code, "postalCode");
        let optional = |value: Option<String>| value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let address2 = optional(self.address2);
        let country = optional(self.country).unwrap_or_else(|| "US".to_string());
        for (field, value) in [("address2", address2.as_deref()), ("country", Some(country.as_str()))] {
            if value.is_some_and(|v| v.chars().count() > MAX_FIELD_LEN) {
                problems.push(Problem::at(
                    "INVALID_FIELD",
                    format!("$.{field}"),
                    format!("{field} is at most {MAX_FIELD_LEN} characters"),
                ));
            }
        }
        match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) if !valid_coordinates(lat, lon) => problems.push(Problem::at(
                "INVALID_FIELD",
                "$.latitude",
                "latitude must be in [-90, 90] and longitude in [-180, 180]",
            )),
            (Some(_), None) | (None, Some(_)) => problems.push(Problem::at(
                "INVALID_FIELD",
                if self.latitude.is_none() { "$.latitude" } else { "$.longitude" },
                "send latitude and longitude together, or neither",
            )),
            _ => {}
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Address {
            address1,
            address2,
            city,
            state,
            postal_code,
            country,
            latitude: self.latitude,
            longitude: self.longitude,
        })
    }
}

/// Trimmed, inner whitespace collapsed to one space, case-folded: two spellings of one address
/// normalise alike.
fn normalise(field: &str) -> String {
    field.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Address {
    /// The address's id for `owner`: a hash of the owner and the normalised fields (not the
    /// coordinates, which say where it is rather than which it is), so saving it again gives
    /// the same id, and two owners never share one.
    pub fn id_for(&self, owner: &Owner) -> Uuid {
        let mut hash = Sha256::new();
        let owner_part = match owner {
            Owner::User { organization_id, partner_user_id } => {
                format!("user\u{0}{organization_id}\u{0}{partner_user_id}")
            }
            Owner::Session { organization_id, session_id } => format!("session\u{0}{organization_id}\u{0}{session_id}"),
        };
        hash.update(owner_part.as_bytes());
        let fields = [
            &self.address1,
            self.address2.as_deref().unwrap_or(""),
            &self.city,
            &self.state,
            &self.postal_code,
            &self.country,
        ];
        for field in fields {
            hash.update([0u8]);
            hash.update(normalise(field).as_bytes());
        }
        let digest = hash.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }

    /// The address as an order's `delivery`.
    pub fn to_delivery(&self) -> Delivery {
        let street = match &self.address2 {
            Some(unit) => format!("{}, {unit}", self.address1),
            None => self.address1.clone(),
        };
        Delivery {
            address: Some(format!("{street}, {}, {} {}", self.city, self.state, self.postal_code)),
            unit: None,
            instructions: None,
            postal_code: Some(self.postal_code.clone()),
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}

/// A session's fulfilment context as asked for (`PUT …/session/fulfillment-context`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextInput {
    pub mode: FulfillmentType,
    #[serde(default)]
    pub address_id: Option<String>,
}

impl ContextInput {
    /// The address the context names: required for delivery; a pickup context may keep one
    /// (the person's, for later) or none.
    pub fn address_id(&self) -> Result<Option<Uuid>, Vec<Problem>> {
        match (&self.address_id, self.mode) {
            (None, FulfillmentType::DeliveryByMerchant) => Err(vec![Problem::at(
                "INVALID_FIELD",
                "$.addressId",
                "a DeliveryByMerchant context needs the addressId of a saved address",
            )]),
            (None, FulfillmentType::Pickup) => Ok(None),
            (Some(raw), _) => Uuid::parse_str(raw).map(Some).map_err(|_| {
                vec![Problem::at(
                    "INVALID_FIELD",
                    "$.addressId",
                    "addressId must be the id of a saved address (a UUID)",
                )]
            }),
        }
    }
}

/// Whether an address can be located at all: by its coordinates, or by a recognisable postal
/// code (which a store may list). Without either, no store's reach can be judged for it, so a
/// delivery context refuses it (ADDRESS_INVALID) rather than every validate later.
pub fn locatable(address: &Address) -> bool {
    address.latitude.is_some() || super::rules::normalise_postal_code(&address.postal_code).is_some()
}

/// A session's fulfilment context as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    pub mode: FulfillmentType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// Where an order's fulfilment came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum FulfillmentSource {
    /// The request said it (and every token and order from before contexts existed).
    #[default]
    Request,
    /// The request left it out; the session's fulfilment context said it.
    Context,
    /// Neither did: a cart helper prices for pickup.
    Default,
}

/// The fulfilment of an order that may leave it out: the request's where it has one (its
/// delivery too, if it sent one), else the context's mode with the context's address as the
/// delivery. `None`: neither says.
pub fn fill(
    requested: Option<FulfillmentType>,
    delivery: Option<Delivery>,
    context: Option<&Context>,
) -> Option<(FulfillmentType, Option<Delivery>, FulfillmentSource)> {
    match (requested, context) {
        (Some(kind), Some(context)) if kind == FulfillmentType::DeliveryByMerchant && delivery.is_none() => {
            let from_context = context.address.as_ref().map(Address::to_delivery);
            let source = if from_context.is_some() { FulfillmentSource::Context } else { FulfillmentSource::Request };
            Some((kind, from_context, source))
        }
        (Some(kind), _) => Some((kind, delivery, FulfillmentSource::Request)),
        (None, Some(context)) => {
            let delivery = match context.mode {
                FulfillmentType::DeliveryByMerchant => {
                    delivery.or_else(|| context.address.as_ref().map(Address::to_delivery))
                }
                FulfillmentType::Pickup => None,
            };
            Some((context.mode, delivery, FulfillmentSource::Context))
        }
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            address1: Some("1 Main St".into()),
            city: Some("New York".into()),
            state: Some("NY".into()),
            postal_code: Some("10001".into()),
            latitude: Some(40.75),
            longitude: Some(-73.99),
            ..Default::default()
        }
    }

    fn owner() -> Owner {
        Owner::User { organization_id: Uuid::nil(), partner_user_id: "u1".into() }
    }

    #[test]
    fn the_same_address_spelt_differently_has_the_same_id_for_one_owner_only() {
        let a = input().check().unwrap();
        let b = AddressInput {
            address1: Some("  1   MAIN st ".into()),
            city: Some("new york".into()),
            latitude: None,
            longitude: None,
            ..input()
        }
        .check()
        .unwrap();
        assert_eq!(a.id_for(&owner()), b.id_for(&owner()));
        let other = Owner::User { organization_id: Uuid::nil(), partner_user_id: "u2".into() };
        assert_ne!(a.id_for(&owner()), a.id_for(&other));
        let elsewhere = AddressInput { address1: Some("2 Main St".into()), ..input() }.check().unwrap();
        assert_ne!(a.id_for(&owner()), elsewhere.id_for(&owner()));
    }

    #[test]
    fn every_problem_is_reported_at_its_field() {
        let bad = AddressInput { address1: Some(" ".into()), city: None, latitude: Some(91.0), ..input() };
        let paths: Vec<String> = bad.check().unwrap_err().into_iter().filter_map(|p| p.json_path).collect();
        assert_eq!(paths, ["$.address1", "$.city", "$.latitude"]);
        let half = AddressInput { longitude: None, ..input() };
        assert_eq!(half.check().unwrap_err()[0].json_path.as_deref(), Some("$.longitude"));
    }

    #[test]
    fn a_context_fills_in_only_what_the_request_leaves_out() {
        let address = input().check().unwrap();
        let delivery =
            Context { mode: FulfillmentType::DeliveryByMerchant, address_id: None, address: Some(address.clone()) };
        let (kind, filled, source) = fill(None, None, Some(&delivery)).unwrap();
        assert_eq!((kind, source), (FulfillmentType::DeliveryByMerchant, FulfillmentSource::Context));
        assert_eq!(filled.unwrap().latitude, Some(40.75));
        let (kind, filled, source) = fill(Some(FulfillmentType::Pickup), None, Some(&delivery)).unwrap();
        assert_eq!((kind, filled, source), (FulfillmentType::Pickup, None, FulfillmentSource::Request));
        let (_, filled, source) = fill(Some(FulfillmentType::DeliveryByMerchant), None, Some(&delivery)).unwrap();
        assert_eq!((filled.is_some(), source), (true, FulfillmentSource::Context), "the address from the context");
        let own = Delivery { address: Some("9 Elm St".into()), ..address.to_delivery() };
        let (_, filled, source) =
            fill(Some(FulfillmentType::DeliveryByMerchant), Some(own.clone()), Some(&delivery)).unwrap();
        assert_eq!((filled, source), (Some(own), FulfillmentSource::Request));
        assert!(fill(None, None, None).is_none());
    }
}
