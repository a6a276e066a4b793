//! A catalog server the tests run: it serves a catalog document, fails, stalls or answers
//! garbage, in the order the test scripts, so pulls and onboarding can be driven through every
//! outcome.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode as AxumStatus;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// What the catalog server does for each request, in turn; the last step repeats.
#[derive(Clone)]
pub enum Step {
    Serve(Value),
    Fail(u16),
    Stall(u64),
    Garbage,
    /// Answers 200 at once, then sends its body one byte a second, without end.
    Drip,
}

#[derive(Clone)]
pub struct Menu {
    steps: Arc<Mutex<Vec<Step>>>,
    hits: Arc<Mutex<usize>>,
}

impl Menu {
    pub fn set(&self, steps: Vec<Step>) {
        *self.steps.lock().unwrap() = steps;
    }

    pub fn hits(&self) -> usize {
        *self.hits.lock().unwrap()
    }
}

async fn serve_menu(State(menu): State<Menu>) -> Response {
    let step = {
        let mut hits = menu.hits.lock().unwrap();
        *hits += 1;
        let steps = menu.steps.lock().unwrap();
        steps[(*hits - 1).min(steps.len() - 1)].clone()
    };
    match step {
        Step::Serve(body) => axum::Json(body).into_response(),
        Step::Fail(code) => AxumStatus::from_u16(code).unwrap().into_response(),
        Step::Stall(ms) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            AxumStatus::OK.into_response()
        }
        Step::Garbage => "<html>not a menu</html>".into_response(),
        Step::Drip => {
            let bytes = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b" ")), ()))
            });
            axum::body::Body::from_stream(bytes).into_response()
        }
    }
}

/// Starts a catalog server; returns its URL and its controls.
pub async fn catalog_server(steps: Vec<Step>) -> (String, Menu) {
    let menu = Menu { steps: Arc::new(Mutex::new(steps)), hits: Arc::new(Mutex::new(0)) };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/menu.json", listener.local_addr().unwrap());
    let app = Router::new().route("/menu.json", get(serve_menu)).with_state(menu.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, menu)
}
