//! Rate-limit headers on every authenticated response: the budget check happens during
//! authentication (`auth::spend_budget`), which reports its verdict through a slot this
//! middleware put in the request.

use crate::auth::budget::Verdict;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct VerdictSlot(Arc<Mutex<Option<Verdict>>>);

impl VerdictSlot {
    pub fn set(&self, verdict: Verdict) {
        *self.0.lock().expect("verdict slot") = Some(verdict);
    }
}

pub async fn headers(mut request: Request, next: Next) -> Response {
    let slot = VerdictSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let verdict = *slot.0.lock().expect("verdict slot");
    if let Some(verdict) = verdict {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(verdict.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(verdict.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(verdict.reset_seconds));
    }
    response
}
