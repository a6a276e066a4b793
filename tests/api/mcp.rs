//! The MCP server over real HTTP, spoken as a client speaks it (JSON-RPC over Streamable HTTP):
//! initialize, tools/list, a journey from discovery to a placed order, the confirmation step
//! for a client without elicitation, retries that never charge twice, a conversation continued
//! on another instance, bad credentials, and DELETE.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const PROTOCOL: &str = "2025-11-25";

/// A client of `/mcp` for one session token, in one conversation once connected.
pub struct Agent {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
    pub session: Option<String>,
    next_id: i64,
}

/// The JSON-RPC messages of an answer: its body, or each `data:` line of its event stream.
pub fn messages(body: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(body) {
        Ok(message) => vec![message],
        Err(_) => body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str(data.trim()).ok())
            .collect(),
    }
}

impl Agent {
    pub fn new(base: &str, token: &str) -> Agent {
        Agent {
            client: reqwest::Client::new(),
            base: base.to_string(),
            token: token.to_string(),
            session: None,
            next_id: 1,
        }
    }

    /// Initializes a conversation (declaring no elicitation) and sends `initialized`.
    pub async fn connect(base: &str, token: &str) -> Agent {
        let mut agent = Agent::new(base, token);
        let params =
            json!({"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}});
        let (status, headers, messages) =
            agent.send(&json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params})).await;
        assert_eq!(status, StatusCode::OK, "{messages:?}");
        assert_eq!(messages[0]["result"]["protocolVersion"], PROTOCOL);
        agent.session = Some(headers["mcp-session-id"].to_str().unwrap().to_string());
        let (status, _, _) = agent.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        agent
    }

    /// The same conversation through another instance (or another connection to this one),
    /// numbering its requests on from this agent's, as one client would.
    pub fn at(&mut self, base: &str) -> Agent {
        self.next_id += 1_000;
        Agent { session: self.session.clone(), next_id: self.next_id, ..Agent::new(base, &self.token) }
    }

    pub async fn send(&self, message: &Value) -> (StatusCode, reqwest::header::HeaderMap, Vec<Value>) {
        let mut request = self
            .client
            .post(format!("{}/mcp", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(message.to_string());
        // After initialize, every request says the version and the conversation.
        if let Some(session) = &self.session {
            request = request.header("mcp-session-id", session).header("mcp-protocol-version", PROTOCOL);
        }
        let response = request.send().await.expect("sent");
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.text().await.unwrap();
        (status, headers, messages(&body))
    }

    /// A request's response message (a result or a JSON-RPC error).
    pub async fn rpc(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let (status, _, messages) =
            self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        assert_eq!(status, StatusCode::OK, "{messages:?}");
        messages.into_iter().find(|m| m["id"] == id).unwrap_or_else(|| panic!("no answer to {method}"))
    }

    /// A tool call's result.
    pub async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self.rpc("tools/call", json!({"name": tool, "arguments": arguments})).await;
        answer.get("result").cloned().unwrap_or_else(|| panic!("{tool}: {answer}"))
    }

    /// A tool's structured answer, which must not be an error.
    pub async fn tool(&mut self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments).await;
        assert_ne!(result["isError"], true, "{tool}: {result}");
        result["structuredContent"].clone()
    }

    /// A tool's refusal, which must carry `code`.
    pub async fn refused(&mut self, tool: &str, arguments: Value, code: &str) -> Value {
        let result = self.call(tool, arguments).await;
        assert_eq!(result["isError"], true, "{tool}: {result}");
        let problem = result["structuredContent"].clone();
        assert_eq!(problem["errorCode"], code, "{tool}: {problem}");
        assert!(problem["retryable"].is_boolean() && problem["guidance"].as_str().is_some_and(|g| !g.is_empty()));
        problem
    }
}

/// A session with a user (for 90 days, the longest, to outlive an idle conversation), and one
/// saved card: the token and the card's id.
pub async fn person(app: &TestApp, key: &str) -> (String, String) {
    let body = json!({"partnerUserId": "ann", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee",
                      "expirationSeconds": 90 * 86_400});
    let token =
        json_of(app.post("/v1/marketplace/session/create", key, &body).await, StatusCode::CREATED).await["token"]
            .as_str()
            .unwrap()
            .to_string();
    let card = json!({"cardNumber": "4242424242424242", "expiration": "2030-01", "cvc": "123"});
    let saved = json_of(app.post("/v1/marketplace/checkout/payments", &token, &card).await, StatusCode::CREATED).await;
    (token, saved["paymentId"].as_str().unwrap().to_string())
}

/// Fills the cart with two large margheritas at `shop`, for pickup, and validates it: the token.
async fn validated_cart(agent: &mut Agent, shop: &Shop) -> Value {
    agent.tool("confirmFulfillment", json!({"mode": "Pickup"})).await;
    let size = json!([{"modifierGroupId": "size", "selectedModifiers": [{"itemId": "large"}]}]);
    let args = json!({"storeId": shop.store, "itemId": "margherita", "quantity": 2, "modifierGroups": size});
    let cart = agent.tool("addToCart", args).await;
    assert_eq!(cart["isValid"], true, "{cart}");
    let validated = agent.tool("validateOrder", json!({})).await;
    assert_eq!(validated["isValid"], true, "{validated}");
    validated
}

/// Asks `agent` to place the validated order with `payment` (`{paymentMethodId}` or
/// `{cardOnFile}`): the confirmation step, and the yes to present (the same arguments with
/// its confirmationId).
async fn asking(agent: &mut Agent, validated: &Value, payment: Value) -> Value {
    let mut checkout = payment;
    checkout["validatedOrderToken"] = validated["validatedOrderToken"].clone();
    let asked = agent.tool("placeOrder", checkout.clone()).await;
    assert_eq!(asked["status"], "confirmation_required", "{asked}");
    checkout["confirmationId"] = asked["confirmationId"].clone();
    checkout
}

async fn orders_of(app: &TestApp, token: &str) -> usize {
    let listed = json_of(app.get("/v1/marketplace/orders", token).await, StatusCode::OK).await;
    listed["orders"].as_array().unwrap().len()
}

const TOOLS: [&str; 15] = [
    "addToCart",
    "cancelOrder",
    "confirmFulfillment",
    "discoverStores",
    "getCatalogSet",
    "getOrder",
    "getStore",
    "listOrders",
    "listPaymentMethods",
    "placeOrder",
    "removeFromCart",
    "setFulfillmentContext",
    "updateCartItem",
    "validateOrder",
    "viewCart",
];
const READ_ONLY: [&str; 8] = [
    "discoverStores",
    "getCatalogSet",
    "getOrder",
    "getStore",
    "listOrders",
    "listPaymentMethods",
    "validateOrder",
    "viewCart",
];

#[tokio::test]
async fn an_agent_orders_from_discovery_to_a_placed_order_only_after_the_persons_yes() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let (token, card) = person(&app, &shop.distribution).await;
    let mut agent = Agent::connect(&app.address, &token).await;

    let listed = agent.rpc("tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, TOOLS);
    for tool in tools {
        let name = tool["name"].as_str().unwrap();
        assert_eq!(tool["inputSchema"]["type"], "object", "{name}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{name}");
        assert!(tool["description"].as_str().unwrap().len() > 40, "{name}");
        assert_eq!(tool["annotations"]["readOnlyHint"], READ_ONLY.contains(&name), "{name}");
    }
    let place = tools.iter().find(|t| t["name"] == "placeOrder").unwrap();
    assert_eq!(place["annotations"]["destructiveHint"], true);
    assert_eq!(place["inputSchema"]["required"], json!(["validatedOrderToken"]));

    let found =
        agent.tool("discoverStores", json!({"latitude": 40.75, "longitude": -73.99, "query": "margherita"})).await;
    assert_eq!(found["stores"][0]["storeId"], shop.store.to_string(), "{found}");
    assert_eq!(found["stores"][0]["matchedItems"], json!(["Margherita"]));
    let menu = agent.tool("getCatalogSet", json!({"catalogSetId": shop.catalog})).await;
    let pizzas = &menu["sections"].as_array().unwrap().iter().find(|s| s["sectionId"] == "pizzas").unwrap()["items"];
    // Compact: the required group is named, its options are not; the optional group is left out.
    assert_eq!(
        pizzas[0]["modifierGroups"],
        json!([{"modifierGroupId": "size", "name": "Size", "minSelections": 1, "maxSelections": 1}])
    );
    let detail = agent.tool("getCatalogSet", json!({"catalogSetId": shop.catalog, "sectionId": "pizzas"})).await;
    let groups = &detail["sections"][0]["items"][0]["modifierGroups"];
    assert_eq!(groups.as_array().unwrap().len(), 2);
    let large = &groups[0]["options"][1];
    assert_eq!((large["itemId"].as_str(), large["price"].as_f64()), (Some("large"), Some(4.0)));

    // Nobody said pickup or delivery yet: validate refuses, confirmFulfillment asks.
    let size = json!([{"modifierGroupId": "size", "selectedModifiers": [{"itemId": "large"}]}]);
    let cart =
        agent.tool("addToCart", json!({"storeId": shop.store, "itemId": "margherita", "modifierGroups": size})).await;
    let line = cart["cart"]["lineItems"][0]["lineItemId"].as_str().unwrap().to_string();
    let problem = agent.refused("validateOrder", json!({}), "INVALID_REQUEST").await;
    assert!(problem["guidance"].as_str().unwrap().contains("confirmFulfillment"), "{problem}");
    let asked = agent.tool("confirmFulfillment", json!({})).await;
    assert_eq!((asked["awaitingMode"].clone(), asked["confirmed"].clone()), (json!(true), json!(false)));
    let confirmed = agent.tool("confirmFulfillment", json!({"mode": "Pickup"})).await;
    assert_eq!((confirmed["mode"].clone(), confirmed["confirmed"].clone()), (json!("Pickup"), json!(true)));
    let cart = agent.tool("updateCartItem", json!({"lineItemId": line, "quantity": 2})).await;
    assert_eq!(cart["amounts"]["total"], json!(37.58), "{cart}");
    assert_eq!(agent.tool("viewCart", json!({})).await["cart"], cart["cart"]);

    let validated = agent.tool("validateOrder", json!({})).await;
    let order_token = validated["validatedOrderToken"].clone();
    let cards = agent.tool("listPaymentMethods", json!({})).await;
    assert_eq!(cards["paymentMethods"][0]["paymentMethodId"], card);
    let checkout = json!({"validatedOrderToken": order_token, "paymentMethodId": card});

    // A client without elicitation is given the summary to show, and nothing is charged.
    let asked = agent.tool("placeOrder", checkout.clone()).await;
    assert_eq!(asked["status"], "confirmation_required", "{asked}");
    assert_eq!(asked["summary"]["items"], json!(["2 × Margherita (Large)"]));
    assert_eq!(
        (asked["summary"]["total"].clone(), asked["summary"]["card"].clone()),
        (json!(37.58), json!("visa ending 4242"))
    );
    assert!(asked["summary"]["text"].as_str().unwrap().contains("Pizza Place"));
    assert_eq!(orders_of(&app, &token).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM sandbox_processor_ledger").await, 0);

    // The yes, presented three times: one order, one authorisation.
    let mut yes = checkout.clone();
    yes["confirmationId"] = asked["confirmationId"].clone();
    let placed = agent.tool("placeOrder", yes.clone()).await;
    assert_eq!((placed["status"].clone(), placed["replayed"].clone()), (json!("placed"), json!(false)), "{placed}");
    let order_id = placed["order"]["gettOrderId"].clone();
    for _ in 0..2 {
        let again = agent.tool("placeOrder", yes.clone()).await;
        assert_eq!((again["order"]["gettOrderId"].clone(), again["replayed"].clone()), (order_id.clone(), json!(true)));
    }
    assert_eq!(orders_of(&app, &token).await, 1);
    assert_eq!(app.count("SELECT count(*) FROM sandbox_processor_ledger WHERE outcome = 'approved'").await, 1);
    let read = agent.tool("getOrder", json!({"orderId": order_id})).await;
    assert_eq!(read["order"]["amounts"]["total"], json!(37.58));
    assert_eq!(agent.tool("listOrders", json!({})).await["orders"][0]["gettOrderId"], order_id);

    // The person changes their mind before the kitchen starts.
    let cancelled = agent.tool("cancelOrder", json!({"orderId": order_id, "reason": "Plans changed"})).await;
    assert_eq!(cancelled["order"]["state"], "cancelled");
    assert_eq!(cancelled["order"]["payment"]["state"], "voided");
}

#[tokio::test]
async fn a_confirmation_is_bound_to_its_conversation_token_card_and_time() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let (token, card) = person(&app, &shop.distribution).await;
    let mut agent = Agent::connect(&app.address, &token).await;
    let validated = validated_cart(&mut agent, &shop).await;
    let yes = asking(&mut agent, &validated, json!({"paymentMethodId": card})).await;

    let mut forged = yes.clone();
    forged["confirmationId"] = json!("cnf_0000");
    agent.refused("placeOrder", forged, "CONFIRMATION_INVALID").await;
    // Another card than the one the person saw.
    let other = json!({"cardNumber": "5555555555554444", "expiration": "2031-02", "cvc": "123"});
    let other = json_of(app.post("/v1/marketplace/checkout/payments", &token, &other).await, StatusCode::CREATED).await;
    let mut switched = yes.clone();
    switched["paymentMethodId"] = other["paymentId"].clone();
    let problem = agent.refused("placeOrder", switched, "CONFIRMATION_INVALID").await;
    assert!(problem["detail"].as_str().unwrap().contains("card"), "{problem}");
    // Another conversation of the same person cannot use it.
    let mut elsewhere = Agent::connect(&app.address, &token).await;
    elsewhere.refused("placeOrder", yes.clone(), "CONFIRMATION_INVALID").await;
    // Five minutes later it has expired.
    app.clock.advance(chrono::Duration::minutes(6));
    let problem = agent.refused("placeOrder", yes, "CONFIRMATION_INVALID").await;
    assert!(problem["detail"].as_str().unwrap().contains("expired"), "{problem}");
    assert_eq!(orders_of(&app, &token).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM sandbox_processor_ledger").await, 0);
}

#[tokio::test]
async fn the_conversation_continues_on_another_instance_with_its_cart() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let (token, card) = person(&app, &shop.distribution).await;
    let mut first = Agent::connect(&app.address, &token).await;
    let validated = validated_cart(&mut first, &shop).await;
    let cart = first.tool("viewCart", json!({})).await;

    let other = app.another_instance().await;
    let mut second = first.at(&other);
    assert_eq!(second.tool("viewCart", json!({})).await, cart);
    let yes = asking(&mut second, &validated, json!({"paymentMethodId": card})).await;
    // Asked on one instance, said yes on the other.
    assert_eq!(first.tool("placeOrder", yes).await["status"], "placed");
}

#[tokio::test]
async fn racing_cart_changes_both_land() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let (token, _) = person(&app, &shop.distribution).await;
    let mut agent = Agent::connect(&app.address, &token).await;
    let size = json!([{"modifierGroupId": "size", "selectedModifiers": [{"itemId": "small"}]}]);
    let racers: Vec<Agent> = (0..6).map(|_| agent.at(&app.address)).collect();
    let adds = racers.into_iter().map(|mut agent| {
        let args = json!({"storeId": shop.store, "itemId": "margherita", "modifierGroups": size});
        async move { agent.tool("addToCart", args).await }
    });
    futures_util::future::join_all(adds).await;
    let cart = agent.tool("viewCart", json!({})).await;
    assert_eq!(cart["cart"]["lineItems"].as_array().unwrap().len(), 6, "{cart}");
}

#[tokio::test]
async fn bad_credentials_unknown_sessions_and_delete() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let (token, _) = person(&app, &shop.distribution).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                      "params": {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    // An initialize with `headers` beside the protocol's own.
    let initialize = |headers: &[(&str, String)]| {
        let mut request = app
            .client
            .post(format!("{}/mcp", app.address))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(init.to_string());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send()
    };
    let post = |authorization: Option<String>| {
        let headers: Vec<(&str, String)> = authorization.into_iter().map(|value| ("authorization", value)).collect();
        initialize(&headers)
    };
    let missing = post(None).await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer realm=\"marketfront\"");
    // A token signed with another secret, a token cut short, and a partner's API key.
    let forged = {
        let (head, rest) = token.split_once('.').unwrap();
        let (claims, _) = rest.split_once('.').unwrap();
        format!("{head}.{claims}.c2lnbmVkLWJ5LXNvbWVvbmUtZWxzZQ")
    };
    for credential in [forged, token[..token.len() - 4].to_string(), shop.distribution.clone()] {
        let refused = post(Some(format!("Bearer {credential}"))).await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert!(refused.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
        assert_eq!(refused.json::<Value>().await.unwrap()["errorCode"], "UNAUTHENTICATED");
    }
    // A browser page of another site may not drive it (DNS rebinding); a Host not ours neither.
    let plain = post(Some(format!("Bearer {token}"))).await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    let bearer = format!("Bearer {token}");
    let from_page =
        initialize(&[("authorization", bearer.clone()), ("origin", "https://evil.example".into())]).await.unwrap();
    assert_eq!(from_page.status(), StatusCode::FORBIDDEN);
    let rebound = initialize(&[("authorization", bearer), ("host", "attacker.example".into())]).await.unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN, "a Host not in MARKETFRONT_MCP_ALLOWED_HOSTS");

    let mut agent = Agent::connect(&app.address, &token).await;
    agent.tool("viewCart", json!({})).await;
    // Another person's token cannot continue this conversation.
    let body = json!({"partnerUserId": "bob", "email": "bob@example.com", "firstName": "Bob", "lastName": "Ray"});
    let bob =
        json_of(app.post("/v1/marketplace/session/create", &shop.distribution, &body).await, StatusCode::CREATED).await;
    let intruder = Agent { token: bob["token"].as_str().unwrap().to_string(), ..agent.at(&app.address) };
    let (status, _, _) = intruder.send(&json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let ended = app
        .client
        .delete(format!("{}/mcp", app.address))
        .bearer_auth(&token)
        .header("mcp-session-id", agent.session.as_deref().unwrap())
        .header("mcp-protocol-version", PROTOCOL)
        .send()
        .await
        .unwrap();
    assert!(ended.status().is_success(), "{}", ended.status());
    let (status, _, _) = agent.send(&json!({"jsonrpc": "2.0", "id": 10, "method": "tools/list"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an ended session is gone");
    let other = app.another_instance().await;
    let (status, _, _) = agent.at(&other).send(&json!({"jsonrpc": "2.0", "id": 11, "method": "tools/list"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "on every instance");
    // An unknown tool is a JSON-RPC error, not a tool result; arguments that do not fit the
    // schema are a refusal the model can correct, structured as every other.
    let mut fresh = Agent::connect(&app.address, &token).await;
    let answer = fresh.rpc("tools/call", json!({"name": "chargeEveryone", "arguments": {}})).await;
    assert!(answer["error"]["code"].is_i64(), "{answer}");
    let problem = fresh.refused("addToCart", json!({"storeId": 42}), "INVALID_REQUEST").await;
    assert_eq!(problem["retryable"], false);
    assert!(problem["detail"].as_str().unwrap().contains("inputSchema"), "{problem}");
    fresh.refused("getStore", json!({}), "INVALID_REQUEST").await;
}

#[tokio::test]
async fn a_yes_interrupted_by_a_crash_and_retried_on_a_new_server_charges_once() {
    use crate::binary::Server;
    use crate::white_box::count_in;
    use marketfront::app::keys;
    use marketfront::auth::OrgKind;

    let database = TestDatabase::create().await;
    let first = Server::start(&database.url).await;
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let commerce = keys::create(&pool, "Crash Kitchen", OrgKind::Commerce, None, None).await.unwrap().key;
    let distribution = keys::create(&pool, "Agent App", OrgKind::Distribution, None, None).await.unwrap().key;
    marketfront::app::interchange::enable(&pool, "Agent App", "stripe", chrono::Utc::now()).await.unwrap();
    let client = reqwest::Client::new();
    let (store, catalog) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let mut details = store_body("Always Open");
    details["availability"] = every_day("00:00:00", "00:00:00");
    for (path, body) in [
        (format!("/v1/commerce/stores/{store}"), details),
        (format!("/v1/commerce/stores/{store}/catalog-set"), catalog_body(catalog)),
    ] {
        let put =
            client.put(format!("{}{path}", first.address)).bearer_auth(&commerce).json(&body).send().await.unwrap();
        assert!(put.status().is_success());
    }
    let body = json!({"partnerUserId": "ann", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"});
    let created = client
        .post(format!("{}/v1/marketplace/session/create", first.address))
        .bearer_auth(&distribution)
        .json(&body)
        .send()
        .await
        .unwrap();
    let token = created.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();

    let mut agent = Agent::connect(&first.address, &token).await;
    let shop = Shop { commerce, distribution, store, catalog };
    let validated = validated_cart(&mut agent, &shop).await;
    // The card takes a second to authorise: time to kill the server inside the payment step.
    let card = json!({"cardToken": "tok_slow_1000", "processorType": "stripe"});
    let yes = asking(&mut agent, &validated, json!({"cardOnFile": card})).await;

    let mut in_flight_agent = agent.at(&first.address);
    let in_flight = {
        let yes = yes.clone();
        tokio::spawn(
            async move { in_flight_agent.rpc("tools/call", json!({"name": "placeOrder", "arguments": yes})).await },
        )
    };
    for _ in 0..200 {
        if count_in(&pool, "SELECT count(*) FROM idempotency_keys WHERE recovery_point = 'order_created'").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    first.kill();
    assert!(in_flight.await.is_err(), "the agent saw the connection die, not an answer");
    assert_eq!(
        count_in(&pool, "SELECT count(*) FROM sandbox_processor_ledger").await,
        0,
        "killed before the processor"
    );

    // The same conversation, on a server that never saw it: the yes again, until the lease of
    // the dead request has run out, then twice more.
    let second = Server::start(&database.url).await;
    let mut agent = agent.at(&second.address);
    let mut placed = Value::Null;
    for _ in 0..100 {
        let result = agent.call("placeOrder", yes.clone()).await;
        if result["isError"] != true {
            placed = result["structuredContent"].clone();
            break;
        }
        assert_eq!(result["structuredContent"]["retryable"], true, "{result}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(placed["status"], "placed", "{placed}");
    for _ in 0..2 {
        let again = agent.tool("placeOrder", yes.clone()).await;
        assert_eq!(again["order"]["gettOrderId"], placed["order"]["gettOrderId"]);
    }
    assert_eq!(count_in(&pool, "SELECT count(*) FROM orders WHERE placement = 'placed'").await, 1);
    assert_eq!(count_in(&pool, "SELECT count(*) FROM sandbox_processor_ledger WHERE outcome = 'approved'").await, 1);
}

#[tokio::test]
async fn versions_are_negotiated_and_idle_conversations_expire_and_are_reaped() {
    // The person's session and card spend two writes; the agent has two more.
    let app = TestApp::spawn_with(|config| config.rate_limit_writes_per_minute = 4).await;
    let shop = pizzeria(&app).await;
    let (token, _) = person(&app, &shop.distribution).await;
    // An older version the server speaks is answered in kind; one it does not know, with its own.
    for (asked, answered) in [("2025-06-18", "2025-06-18"), ("2024-11-05", "2024-11-05"), ("2099-01-01", PROTOCOL)] {
        let agent = Agent::new(&app.address, &token);
        let params =
            json!({"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "old", "version": "1"}});
        let (status, _, messages) =
            agent.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(messages[0]["result"]["protocolVersion"], answered, "asked {asked}");
    }

    // Writes spend the organisation's write budget, as REST writes do.
    let mut agent = Agent::connect(&app.address, &token).await;
    let size = json!([{"modifierGroupId": "size", "selectedModifiers": [{"itemId": "small"}]}]);
    let add = json!({"storeId": shop.store, "itemId": "margherita", "modifierGroups": size});
    for _ in 0..2 {
        agent.tool("addToCart", add.clone()).await;
    }
    let limited = agent.refused("addToCart", add.clone(), "RATE_LIMITED").await;
    assert_eq!(limited["retryable"], true);
    assert!(limited["retryAfterSeconds"].as_u64().is_some(), "{limited}");
    assert_eq!(agent.tool("viewCart", json!({})).await["cart"]["lineItems"].as_array().unwrap().len(), 2);

    // Used 29 days later, it lives on; idle 30 days, it is gone, and the reaper removes it.
    let other = Agent::connect(&app.address, &token).await;
    app.clock.advance(chrono::Duration::days(29));
    agent.tool("viewCart", json!({})).await;
    app.clock.advance(chrono::Duration::days(2));
    agent.tool("viewCart", json!({})).await;
    let (status, _, _) = other.send(&json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM mcp_sessions").await, 5);
    marketfront::app::housekeeping::reap(&app.state).await.unwrap();
    assert_eq!(app.count("SELECT count(*) FROM mcp_sessions").await, 1, "only the conversation in use is kept");
}

#[tokio::test]
async fn a_menu_of_hundreds_of_items_comes_back_compact_with_detail_on_request() {
    let app = TestApp::spawn().await;
    let menu = |id: uuid::Uuid| {
        let mut items = serde_json::Map::new();
        let mut sections = serde_json::Map::new();
        for section in 0..30 {
            let ids: Vec<String> = (0..25).map(|i| format!("s{section}-i{i}")).collect();
            for id in &ids {
                let item = json!({"itemId": id, "name": format!("Dish {id}"), "basePrice": 9.5,
                                  "description": "A long description an agent does not need until it asks for it.",
                                  "modifierGroupIds": ["size"]});
                items.insert(id.clone(), item);
            }
            sections.insert(
                format!("s{section}"),
                json!({"sectionId": format!("s{section}"), "name": format!("Section {section}"), "itemIds": ids}),
            );
        }
        items.insert("small".into(), json!({"itemId": "small", "name": "Small", "basePrice": 0}));
        let section_ids: Vec<String> = (0..30).map(|s| format!("s{s}")).collect();
        json!({"catalogSetId": id, "currency": "USD",
               "catalogs": {"main": {"catalogId": "main", "name": "Main", "sectionIds": section_ids,
                                     "availability": every_day("00:00:00", "00:00:00")}},
               "sections": sections, "items": items,
               "modifierGroups": {"size": {"modifierGroupId": "size", "name": "Size", "minSelections": 1, "maxSelections": 1, "itemIds": ["small"]}}})
    };
    let shop = shop(&app, &store_body("Big Menu"), menu).await;
    let (token, _) = person(&app, &shop.distribution).await;
    let mut agent = Agent::connect(&app.address, &token).await;
    let result = agent.call("getCatalogSet", json!({"catalogSetId": shop.catalog})).await;
    let compact = &result["structuredContent"];
    // 750 items: past what a compact menu lists item by item, so the sections alone.
    let sections = compact["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 30);
    assert!(sections.iter().all(|s| s["items"].is_null() && s["itemCount"] == 25), "{}", sections[0]);
    let size = result.to_string().len();
    assert!(size < 8_000, "the compact menu is {size} bytes");
    let detail = agent.tool("getCatalogSet", json!({"catalogSetId": shop.catalog, "sectionId": "s7"})).await;
    let items = detail["sections"][0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 25);
    assert_eq!(items[0]["description"], "A long description an agent does not need until it asks for it.");
    assert_eq!(items[0]["modifierGroups"][0]["options"][0]["itemId"], "small");
    let picked =
        agent.tool("getCatalogSet", json!({"catalogSetId": shop.catalog, "itemIds": ["s29-i24", "s0-i0"]})).await;
    assert_eq!(picked["sections"][0]["items"].as_array().unwrap().len(), 2);
    agent.refused("getCatalogSet", json!({"catalogSetId": shop.catalog, "sectionId": "nope"}), "NOT_FOUND").await;
}

#[tokio::test]
async fn get_opens_the_servers_event_stream_of_a_live_conversation() {
    let app = TestApp::spawn().await;
    let shop = pizzeria(&app).await;
    let (token, _) = person(&app, &shop.distribution).await;
    let agent = Agent::connect(&app.address, &token).await;
    let open = |session: String| {
        app.client
            .get(format!("{}/mcp", app.address))
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", PROTOCOL)
            .send()
    };
    let stream = open(agent.session.clone().unwrap()).await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    drop(stream);
    assert_eq!(open("not-a-conversation".into()).await.unwrap().status(), StatusCode::NOT_FOUND);
}
