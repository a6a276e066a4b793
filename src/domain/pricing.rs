//! Pricing: what the customer pays, to the cent.
//!
//! Rounding rule: every amount is kept at the currency's minor-unit scale; a computed amount
//! (a line total, the service fee, each tax) is rounded half away from zero ("half-up") to that
//! scale where it is computed, and parents are sums of already-rounded children, so every
//! breakdown sums to its parent exactly.
//!
//! - line = (item base price + Σ modifier unit price × modifier quantity) × quantity, where a
//!   modifier's unit price includes its own nested modifiers;
//! - subTotal = Σ lines;
//! - fees: `delivery` (the store's flat fee, delivery orders only) and `service`
//!   (subTotal × the store's service fee rate);
//! - taxes: `salesTax` = (subTotal − promotions) × the store's tax rate;
//! - promotions and adjustments are zero until promotions exist;
//! - total = subTotal + fees − promotions + taxes + adjustments + tip.
//!
//! Every step is checked: an order whose figures would pass `MAX_AMOUNT` (or overflow on the
//! way there, with modifiers nested deep and many) is `TooLarge`, never a panic or a total
//! that lost its cents.

use super::money::MAX_AMOUNT;
use super::order::{Amounts, Charge};
use rust_decimal::{Decimal, RoundingStrategy};

/// A priced modifier: its unit price, how many, and its own modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct ModifierPrice {
    pub unit_price: Decimal,
    pub quantity: i64,
    pub nested: Vec<ModifierPrice>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinePrice {
    pub base_price: Decimal,
    pub quantity: i64,
    pub modifiers: Vec<ModifierPrice>,
}

/// The store's charges, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Charges {
    pub currency: String,
    /// Minor-unit digits of the currency.
    pub exponent: u32,
    /// `Some` for delivery orders.
    pub delivery_fee: Option<Decimal>,
    pub service_fee_rate: Decimal,
    pub tax_rate: Decimal,
}

pub fn round_money(value: Decimal, exponent: u32) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(exponent, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(exponent);
    rounded
}

/// The order comes to more than `MAX_AMOUNT` (or more than arithmetic can hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

fn add(a: Decimal, b: Decimal) -> Result<Decimal, TooLarge> {
    a.checked_add(b).ok_or(TooLarge)
}

fn times(a: Decimal, quantity: i64) -> Result<Decimal, TooLarge> {
    a.checked_mul(Decimal::from(quantity)).ok_or(TooLarge)
}

/// Keeps a figure within the ceiling, so that what is computed from it cannot overflow either.
fn bounded(value: Decimal) -> Result<Decimal, TooLarge> {
    if value.abs() > MAX_AMOUNT { Err(TooLarge) } else { Ok(value) }
}

fn modifiers_total(modifiers: &[ModifierPrice]) -> Result<Decimal, TooLarge> {
    modifiers.iter().try_fold(Decimal::ZERO, |sum, m| bounded(add(sum, times(modifier_unit(m)?, m.quantity)?)?))
}

fn modifier_unit(modifier: &ModifierPrice) -> Result<Decimal, TooLarge> {
    bounded(add(modifier.unit_price, modifiers_total(&modifier.nested)?)?)
}

/// The total of one line, rounded.
pub fn line_total(line: &LinePrice, exponent: u32) -> Result<Decimal, TooLarge> {
    let unit = bounded(add(line.base_price, modifiers_total(&line.modifiers)?)?)?;
    bounded(round_money(times(unit, line.quantity)?, exponent))
}

pub fn price(lines: &[LinePrice], charges: &Charges, tip: Decimal) -> Result<Amounts, TooLarge> {
    let e = charges.exponent;
    let sub_total =
        round_money(lines.iter().try_fold(Decimal::ZERO, |sum, l| bounded(add(sum, line_total(l, e)?)?))?, e);
    let promotions = round_money(Decimal::ZERO, e);
    let adjustments = round_money(Decimal::ZERO, e);

    // Rates are fractions of at most 1 (checked when a store is saved) and the sub-total is
    // bounded, so these products cannot overflow; the sums are checked all the same.
    let mut fees_breakdown = Vec::new();
    if let Some(fee) = charges.delivery_fee {
        fees_breakdown.push(Charge { kind: "delivery".into(), amount: round_money(bounded(fee)?, e) });
    }
    let service = sub_total.checked_mul(charges.service_fee_rate).ok_or(TooLarge)?;
    fees_breakdown.push(Charge { kind: "service".into(), amount: round_money(bounded(service)?, e) });
    let fees = round_money(fees_breakdown.iter().try_fold(Decimal::ZERO, |sum, c| add(sum, c.amount))?, e);

    let taxable = (sub_total - promotions).checked_mul(charges.tax_rate).ok_or(TooLarge)?;
    let taxes_breakdown = vec![Charge { kind: "salesTax".into(), amount: round_money(bounded(taxable)?, e) }];
    let taxes = round_money(taxes_breakdown.iter().try_fold(Decimal::ZERO, |sum, c| add(sum, c.amount))?, e);

    let tip = round_money(bounded(tip)?, e);
    let total = [fees, -promotions, taxes, adjustments, tip].into_iter().try_fold(sub_total, add)?;
    let total = bounded(round_money(total, e))?;
    Ok(Amounts {
        currency: charges.currency.clone(),
        sub_total,
        fees,
        fees_breakdown,
        taxes,
        taxes_breakdown,
        promotions,
        adjustments,
        tip,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn usd(delivery: bool) -> Charges {
        Charges {
            currency: "USD".into(),
            exponent: 2,
            delivery_fee: delivery.then_some(dec!(3.99)),
            service_fee_rate: dec!(0.05),
            tax_rate: dec!(0.08875),
        }
    }

    #[test]
    fn the_seed_example_prices_as_documented() {
        // Two pizzas at 22.99 (base 16.99 + large 6.00): subtotal 45.98.
        let line = LinePrice {
            base_price: dec!(16.99),
            quantity: 2,
            modifiers: vec![ModifierPrice { unit_price: dec!(6.00), quantity: 1, nested: vec![] }],
        };
        let amounts = price(&[line], &usd(true), dec!(5.00)).unwrap();
        assert_eq!(amounts.sub_total, dec!(45.98));
        assert_eq!(amounts.fees_breakdown[0], Charge { kind: "delivery".into(), amount: dec!(3.99) });
        assert_eq!(amounts.fees_breakdown[1].amount, dec!(2.30), "45.98 × 5% = 2.299 → 2.30");
        assert_eq!(amounts.taxes, dec!(4.08), "45.98 × 8.875% = 4.0807… → 4.08");
        assert_eq!(amounts.total, dec!(61.35));
        assert_eq!(amounts.total.to_string(), "61.35");
    }

    #[test]
    fn halves_round_away_from_zero() {
        assert_eq!(round_money(dec!(0.125), 2), dec!(0.13));
        assert_eq!(round_money(dec!(0.124), 2), dec!(0.12));
        assert_eq!(round_money(dec!(2), 2).to_string(), "2.00");
        assert_eq!(round_money(dec!(2.5), 0), dec!(3));
    }

    #[test]
    fn nested_modifiers_are_priced_into_their_parent() {
        // Extra cheese (2.00) ×2, each with burrata (3.00): 2 × 5.00 = 10.00 on a 10.00 base.
        let line = LinePrice {
            base_price: dec!(10),
            quantity: 1,
            modifiers: vec![ModifierPrice {
                unit_price: dec!(2),
                quantity: 2,
                nested: vec![ModifierPrice { unit_price: dec!(3), quantity: 1, nested: vec![] }],
            }],
        };
        assert_eq!(line_total(&line, 2), Ok(dec!(20.00)));
    }

    #[test]
    fn pickup_has_no_delivery_fee() {
        let line = LinePrice { base_price: dec!(10), quantity: 1, modifiers: vec![] };
        let amounts = price(&[line], &usd(false), Decimal::ZERO).unwrap();
        assert_eq!(amounts.fees_breakdown.len(), 1);
        assert_eq!(amounts.fees_breakdown[0].kind, "service");
    }

    fn cents(max: i64) -> impl Strategy<Value = Decimal> {
        (0..=max).prop_map(|c| Decimal::new(c, 2))
    }

    fn modifier(depth: u32) -> BoxedStrategy<ModifierPrice> {
        let leaf = (cents(500), 1..4i64).prop_map(|(unit_price, quantity)| ModifierPrice {
            unit_price,
            quantity,
            nested: vec![],
        });
        if depth == 0 {
            return leaf.boxed();
        }
        (cents(500), 1..4i64, proptest::collection::vec(modifier(depth - 1), 0..3))
            .prop_map(|(unit_price, quantity, nested)| ModifierPrice { unit_price, quantity, nested })
            .boxed()
    }

    fn line() -> impl Strategy<Value = LinePrice> {
        (cents(5_000), 1..20i64, proptest::collection::vec(modifier(2), 0..4))
            .prop_map(|(base_price, quantity, modifiers)| LinePrice { base_price, quantity, modifiers })
    }

    fn charges() -> impl Strategy<Value = Charges> {
        (any::<bool>(), cents(1_000), 0..200_000i64, 0..150_000i64).prop_map(|(delivery, fee, service, tax)| Charges {
            currency: "USD".into(),
            exponent: 2,
            delivery_fee: delivery.then_some(fee),
            service_fee_rate: Decimal::new(service, 6),
            tax_rate: Decimal::new(tax, 6),
        })
    }

    #[test]
    fn figures_past_the_ceiling_are_too_large_not_a_panic() {
        let line = |base_price, quantity| LinePrice { base_price, quantity, modifiers: vec![] };
        assert_eq!(price(&[line(Decimal::MAX, 1)], &usd(false), Decimal::ZERO), Err(TooLarge));
        assert_eq!(price(&[line(MAX_AMOUNT, 100)], &usd(false), Decimal::ZERO), Err(TooLarge));
        assert_eq!(price(&[line(dec!(10), 1)], &usd(false), Decimal::MAX), Err(TooLarge));
        assert_eq!(price(&[line(dec!(10), 1)], &usd(false), dec!(1e27)), Err(TooLarge));
        let deep = (0..30).fold(vec![], |nested, _| vec![ModifierPrice { unit_price: dec!(1), quantity: 100, nested }]);
        let line = LinePrice { base_price: dec!(1), quantity: 100, modifiers: deep };
        assert_eq!(price(&[line], &usd(true), Decimal::ZERO), Err(TooLarge));
        let at_the_ceiling = LinePrice { base_price: dec!(900000), quantity: 1, modifiers: vec![] };
        assert!(price(&[at_the_ceiling], &usd(false), Decimal::ZERO).is_err(), "fees and tax take it past");
    }

    fn extreme_amount() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            Just(Decimal::MAX),
            Just(MAX_AMOUNT),
            (0..=i64::MAX).prop_map(|n| Decimal::new(n, 2)),
            (0..=u32::MAX, 0..=u32::MAX, 0..=u32::MAX, 0..=28u32)
                .prop_map(|(lo, mid, hi, scale)| Decimal::from_parts(lo, mid, hi, false, scale)),
        ]
    }

    fn extreme_modifier(depth: u32) -> BoxedStrategy<ModifierPrice> {
        let leaf = (extreme_amount(), 1..=100i64).prop_map(|(unit_price, quantity)| ModifierPrice {
            unit_price,
            quantity,
            nested: vec![],
        });
        if depth == 0 {
            return leaf.boxed();
        }
        (extreme_amount(), 1..=100i64, proptest::collection::vec(extreme_modifier(depth - 1), 0..3))
            .prop_map(|(unit_price, quantity, nested)| ModifierPrice { unit_price, quantity, nested })
            .boxed()
    }

    proptest! {
        #[test]
        fn extreme_values_price_exactly_or_are_too_large(
            lines in proptest::collection::vec(
                (extreme_amount(), 1..=100i64, proptest::collection::vec(extreme_modifier(4), 0..3))
                    .prop_map(|(base_price, quantity, modifiers)| LinePrice { base_price, quantity, modifiers }),
                1..5),
            charges in charges(),
            tip in extreme_amount(),
        ) {
            if let Ok(a) = price(&lines, &charges, tip) {
                prop_assert_eq!(a.total, a.sub_total + a.fees - a.promotions + a.taxes + a.adjustments + a.tip);
                for amount in [a.sub_total, a.fees, a.taxes, a.tip, a.total] {
                    prop_assert!(amount <= MAX_AMOUNT && amount.scale() == 2, "{}", amount);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn the_total_formula_and_every_breakdown_hold(lines in proptest::collection::vec(line(), 1..8), charges in charges(), tip in cents(10_000)) {
            let a = price(&lines, &charges, tip).unwrap();
            prop_assert_eq!(a.total, a.sub_total + a.fees - a.promotions + a.taxes + a.adjustments + a.tip);
            prop_assert_eq!(a.fees, a.fees_breakdown.iter().map(|c| c.amount).sum::<Decimal>());
            prop_assert_eq!(a.taxes, a.taxes_breakdown.iter().map(|c| c.amount).sum::<Decimal>());
            for amount in [a.sub_total, a.fees, a.taxes, a.promotions, a.adjustments, a.tip, a.total] {
                prop_assert_eq!(amount.scale(), 2);
                prop_assert!(!amount.is_sign_negative() || amount.is_zero());
            }
        }

        #[test]
        fn the_order_of_line_items_changes_nothing(lines in proptest::collection::vec(line(), 1..8), charges in charges(), tip in cents(1_000)) {
            let mut reversed = lines.clone();
            reversed.reverse();
            prop_assert_eq!(price(&lines, &charges, tip), price(&reversed, &charges, tip));
        }

        #[test]
        fn doubling_every_quantity_doubles_the_subtotal(lines in proptest::collection::vec(line(), 1..8), charges in charges()) {
            let doubled: Vec<LinePrice> = lines.iter().map(|l| LinePrice { quantity: l.quantity * 2, ..l.clone() }).collect();
            let once = price(&lines, &charges, Decimal::ZERO).unwrap();
            let twice = price(&doubled, &charges, Decimal::ZERO).unwrap();
            prop_assert_eq!(twice.sub_total, once.sub_total * Decimal::TWO);
        }
    }
}
