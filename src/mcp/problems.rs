//! How a use case's refusal reaches an agent: a tool result with `isError: true` whose
//! structured content says what went wrong (`errorCode`, the registry's), whether trying the
//! same call again can help (`retryable`), and one sentence of what to do next (`guidance`, the
//! registry's action for the code). A malformed call never gets here: rmcp answers it with a
//! JSON-RPC error.

use crate::app::error::AppError;
use crate::domain::error_code::ErrorCode;
use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult};
use serde_json::{Map, Value, json};

/// A refused tool call.
#[derive(Debug)]
pub struct ToolProblem(pub AppError);

impl From<AppError> for ToolProblem {
    fn from(error: AppError) -> Self {
        ToolProblem(error)
    }
}

/// The structured content of a refusal.
pub fn content(error: &AppError) -> Value {
    let code = error.code();
    let mut body = Map::new();
    body.insert("errorCode".into(), code.as_str().into());
    body.insert("retryable".into(), code.retryable().into());
    body.insert("guidance".into(), code.action().into());
    body.insert("detail".into(), error.detail().into());
    if !error.errors().is_empty() {
        body.insert("errors".into(), json!(error.errors()));
    }
    if let Some(seconds) = error.retry_after() {
        body.insert("retryAfterSeconds".into(), seconds.into());
    }
    if let AppError::Refused(refusal) = error {
        // A use case may say more precisely than the registry what to do next (`guidance`).
        for (name, value) in &refusal.members {
            if name == "guidance" {
                body.insert(name.clone(), value.clone());
            } else {
                body.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    Value::Object(body)
}

impl IntoCallToolResult for ToolProblem {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        if let Some(cause) = self.0.cause() {
            // The one place an MCP call's internal cause is logged; the agent sees the code.
            tracing::error!(error_code = %self.0.code(), cause = format!("{cause:#}"), "tool call failed");
        }
        Ok(CallToolResult::structured_error(content(&self.0)).into())
    }
}

/// What rmcp says of arguments it could not read as the tool's input.
const UNFIT_ARGUMENTS: &str = "failed to deserialize parameters:";

/// Arguments that do not fit the tool's input schema are, by MCP 2025-11-25, a tool error the
/// model can correct (not a JSON-RPC error); rmcp answers them as text alone. This gives that
/// answer the structure of every other refusal: INVALID_REQUEST, not retryable as it is.
pub fn unfit_arguments(result: CallToolResult) -> CallToolResult {
    let unfit = result.is_error == Some(true)
        && result.structured_content.is_none()
        && result.content.first().and_then(|c| c.as_text()).is_some_and(|t| t.text.starts_with(UNFIT_ARGUMENTS));
    if !unfit {
        return result;
    }
    let said = result.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
    let why = said.trim_start_matches(UNFIT_ARGUMENTS).trim();
    let error =
        AppError::new(ErrorCode::InvalidRequest, format!("The arguments do not fit the tool's inputSchema: {why}."))
            .with_member(
                "guidance",
                "Call the tool again with arguments that match its inputSchema (names, types, required fields).",
            );
    CallToolResult::structured_error(content(&error))
}
