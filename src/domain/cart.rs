//! The stateless cart helpers (`carts/add`, `carts/remove`, `carts/update-quantity`): each is a
//! pure function of the cart sent and one change. Nothing is stored; pricing the result is
//! validate's own pricing (`rules::evaluate`), so a cart and an order can never disagree.

use super::order::{Cart, LineItem, ModifierSelection};
use super::problem::Problem;
use serde::Deserialize;
use uuid::Uuid;

/// A line to add: as a line item, but the server assigns `lineItemId` when it is left out.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLine {
    #[serde(default)]
    pub line_item_id: Option<String>,
    pub item_id: String,
    #[serde(default = "one")]
    pub quantity: i64,
    #[serde(default)]
    pub modifier_groups: Vec<ModifierSelection>,
}

fn one() -> i64 {
    1
}

/// One change to a cart.
#[derive(Debug, Clone)]
pub enum Change {
    Add(NewLine),
    Remove {
        line_item_id: String,
    },
    /// 0 removes the line.
    SetQuantity {
        line_item_id: String,
        quantity: i64,
    },
}

/// Why a change cannot be made at all (as opposed to a cart that is made but has problems,
/// which the pricing reports inline).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A new cart (`cart: null`) needs the request's `storeId`.
    MissingStoreId,
    /// And its `catalogSetId`.
    CatalogsetRequired,
    /// The request itself is wrong: a line that is not in the cart, one added twice, a
    /// negative quantity.
    Invalid(Problem),
}

/// The cart after `change`. `cart: None` starts a cart at `store_id` with `catalog_set_id`;
/// `new_line_id` names an added line that brought no id of its own.
pub fn apply(
    cart: Option<Cart>,
    store_id: Option<String>,
    catalog_set_id: Option<String>,
    change: Change,
    new_line_id: Uuid,
) -> Result<Cart, Refusal> {
    let mut cart = match cart {
        Some(cart) => cart,
        None => {
            let store_id = store_id.filter(|id| !id.trim().is_empty()).ok_or(Refusal::MissingStoreId)?;
            let catalog_set_id =
                catalog_set_id.filter(|id| !id.trim().is_empty()).ok_or(Refusal::CatalogsetRequired)?;
            Cart { store_id, catalog_set_id: Some(catalog_set_id), line_items: Vec::new() }
        }
    };
    let position = |cart: &Cart, id: &str| cart.line_items.iter().position(|line| line.line_item_id == id);
    let not_in_cart = |id: &str| {
        Refusal::Invalid(Problem::at("INVALID_FIELD", "$.lineItemId", format!("the cart has no line item {id:?}")))
    };
    match change {
        Change::Add(line) => {
            let line_item_id = line.line_item_id.unwrap_or_else(|| new_line_id.to_string());
            if position(&cart, &line_item_id).is_some() {
                return Err(Refusal::Invalid(Problem::at(
                    "INVALID_FIELD",
                    "$.item.lineItemId",
                    format!("the cart already has a line item {line_item_id:?}; use carts/update-quantity"),
                )));
            }
            cart.line_items.push(LineItem {
                line_item_id,
                item_id: line.item_id,
                quantity: line.quantity,
                modifier_groups: line.modifier_groups,
            });
        }
        Change::Remove { line_item_id } => {
            let at = position(&cart, &line_item_id).ok_or_else(|| not_in_cart(&line_item_id))?;
            cart.line_items.remove(at);
        }
        Change::SetQuantity { line_item_id, quantity } => {
            if quantity < 0 {
                return Err(Refusal::Invalid(Problem::at(
                    "INVALID_FIELD",
                    "$.quantity",
                    "quantity must be 0 (to remove the line) or more",
                )));
            }
            let at = position(&cart, &line_item_id).ok_or_else(|| not_in_cart(&line_item_id))?;
            if quantity == 0 {
                cart.line_items.remove(at);
            } else {
                cart.line_items[at].quantity = quantity;
            }
        }
    }
    Ok(cart)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latte(id: Option<&str>) -> Change {
        Change::Add(NewLine {
            line_item_id: id.map(str::to_string),
            item_id: "latte".into(),
            quantity: 1,
            modifier_groups: Vec::new(),
        })
    }

    fn started() -> Cart {
        apply(None, Some("s1".into()), Some("c1".into()), latte(Some("a")), Uuid::nil()).unwrap()
    }

    #[test]
    fn a_new_cart_needs_its_store_and_catalog_set() {
        assert_eq!(apply(None, None, Some("c1".into()), latte(None), Uuid::nil()), Err(Refusal::MissingStoreId));
        assert_eq!(apply(None, Some("s1".into()), None, latte(None), Uuid::nil()), Err(Refusal::CatalogsetRequired));
        let cart = started();
        assert_eq!((cart.store_id.as_str(), cart.catalog_set_id.as_deref()), ("s1", Some("c1")));
    }

    #[test]
    fn added_lines_get_the_server_id_unless_they_bring_one_and_never_twice() {
        let id = Uuid::new_v4();
        let cart = apply(Some(started()), None, None, latte(None), id).unwrap();
        let ids: Vec<&str> = cart.line_items.iter().map(|l| l.line_item_id.as_str()).collect();
        assert_eq!(ids, ["a", id.to_string().as_str()]);
        assert!(matches!(apply(Some(cart), None, None, latte(Some("a")), id), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn quantity_zero_removes_and_unknown_lines_are_refused() {
        let cart = started();
        let set = |quantity| Change::SetQuantity { line_item_id: "a".into(), quantity };
        assert_eq!(apply(Some(cart.clone()), None, None, set(3), Uuid::nil()).unwrap().line_items[0].quantity, 3);
        assert!(apply(Some(cart.clone()), None, None, set(0), Uuid::nil()).unwrap().line_items.is_empty());
        assert!(matches!(apply(Some(cart.clone()), None, None, set(-1), Uuid::nil()), Err(Refusal::Invalid(_))));
        let remove = |id: &str| Change::Remove { line_item_id: id.into() };
        assert!(apply(Some(cart.clone()), None, None, remove("a"), Uuid::nil()).unwrap().line_items.is_empty());
        assert!(matches!(apply(Some(cart), None, None, remove("zz"), Uuid::nil()), Err(Refusal::Invalid(_))));
    }
}
