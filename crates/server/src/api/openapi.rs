//! The error answers every route shares, added to the generated document so that it states
//! every status a route can answer. They follow from a route's shape, because the extractors
//! that produce them are the same everywhere: a bearer token (`auth::Caller`), query and path
//! parameters (`ApiQuery`, `extract::id`), a JSON body (`ApiJson`) or a raw one (`ApiBytes`).
//! A route's own answers (403, 409, its own 422s…) stay in its `#[utoipa::path]`.

use serde_json::{Value, json};

/// Adds the shared error answers to every operation of `doc` that does not state them itself.
pub fn document_shared_errors(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                add_to_operation(op);
            }
        }
    }
}

fn add_to_operation(op: &mut Value) {
    let params: Vec<String> = op["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["in"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    // `security: [{}]` marks a public route; no `security` inherits the document's bearer token.
    let public =
        op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())));
    let body_types: Vec<String> =
        op["requestBody"]["content"].as_object().map(|c| c.keys().cloned().collect()).unwrap_or_default();
    let json_body = body_types.iter().any(|t| t == "application/json");

    let mut add: Vec<(&str, &str)> = vec![("500", "`internal_error`: a fault on the server's side (logged)")];
    if !public {
        add.push(("401", "`unauthorized`: no, an unknown or a revoked API token"));
    }
    if params.iter().any(|p| p == "path") {
        add.push(("404", "`not_found`: no such resource, or one outside the caller's merchants"));
    }
    if params.iter().any(|p| p == "query") {
        add.push(("400", "`invalid_query`: a query parameter of the wrong type, or unknown"));
        add.push(("422", "a query parameter out of its range (`limit`, a cursor, a date)"));
    }
    if json_body {
        add.push(("400", "`malformed_json`: the body is not JSON"));
        add.push(("415", "`unsupported_media_type`: the body is not sent as `application/json`"));
        add.push(("422", "`invalid_body`, `invalid_text` or a field's own code: the body does not fit"));
    }
    if !body_types.is_empty() {
        add.push(("413", "`payload_too_large`: the body is over the route's limit"));
    }
    let responses = op.as_object_mut().map(|o| o.entry("responses").or_insert_with(|| json!({})));
    let Some(responses) = responses.and_then(Value::as_object_mut) else { return };
    for (status, description) in add {
        responses.entry(status).or_insert_with(|| {
            json!({
                "description": description,
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_errors_follow_the_route_shape_and_keep_a_routes_own() {
        let mut doc = json!({ "paths": {
            "/api/v1/things/{thing}": {
                "parameters": [],
                "patch": {
                    "parameters": [{ "in": "path", "name": "thing" }, { "in": "query", "name": "limit" }],
                    "requestBody": { "content": { "application/json": {} } },
                    "responses": { "200": {}, "404": { "description": "own" } }
                }
            },
            "/healthz": { "get": { "security": [{}], "responses": { "200": {} } } }
        }});
        document_shared_errors(&mut doc);
        let patch = &doc["paths"]["/api/v1/things/{thing}"]["patch"]["responses"];
        let mut codes: Vec<&str> = patch.as_object().unwrap().keys().map(String::as_str).collect();
        codes.sort_unstable();
        assert_eq!(codes, ["200", "400", "401", "404", "413", "415", "422", "500"]);
        assert_eq!(patch["404"]["description"], "own");
        let health = doc["paths"]["/healthz"]["get"]["responses"].as_object().unwrap();
        assert_eq!(health.keys().map(String::as_str).collect::<Vec<_>>(), ["200", "500"]);
    }
}
