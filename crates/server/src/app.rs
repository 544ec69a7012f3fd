//! The application: shared state, the router with its middleware, and `launch`, which serves
//! on an already-bound listener so tests can run the real server on port 0.

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use madoguchi_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, internal_error_response};
use madoguchi_app::{App, Settings};

/// What every handler can reach: the application (store, settings, index, hub) and the
/// process's metrics. Cheap to clone; it derefs to the application, so a handler passes
/// `&st` where a use case takes `&App`.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: PrometheusHandle,
}

impl AppState {
    /// The state of a server on `store`; opens (or creates) the search index in the data folder.
    pub fn new(store: Store, settings: Settings) -> anyhow::Result<Self> {
        Ok(AppState { app: App::new(store, settings)?, metrics: metrics_handle() })
    }
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

/// The process-wide Prometheus recorder (a process has one, however many servers it runs).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (embedding); then metrics go there.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts requests and their latency per route and status.
async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("madoguchi_http_requests_total", &labels).increment(1);
    metrics::histogram!("madoguchi_http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    resp
}

/// Defence in depth for the console: even if some text escaped the templates, the browser
/// runs only our own script file and loads nothing from elsewhere.
async fn security_headers(req: Request, next: Next) -> Response {
    use axum::http::HeaderValue;
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // A page that set its own policy (the embeddable contact form) keeps it.
    if h.contains_key("content-security-policy") {
        return resp;
    }
    // The browser phone talks to Twilio's signalling and media servers, and nowhere else.
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://*.twilio.com wss://*.twilio.com; media-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    resp
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let (api, openapi) = crate::api::routes().split_for_parts();
    crate::api::system::OPENAPI.get_or_init(|| {
        let mut doc = serde_json::to_value(&openapi).unwrap_or_default();
        crate::api::openapi::document_shared_errors(&mut doc);
        doc
    });
    let body_limit = state.settings.max_body_bytes;
    // Raw mail is larger than any JSON request: the inbound routes carry their own limit.
    let inbound = crate::inbound::routes().layer(DefaultBodyLimit::max(crate::inbound::mail::MAX_MESSAGE_BYTES));
    api.merge(crate::web::routes())
        .merge(inbound)
        // People read these pages: their errors are pages too, not the API's JSON.
        .merge(
            crate::chat::routes()
                .merge(crate::inbound::form_routes())
                .merge(crate::helpcenter::routes())
                .layer(axum::middleware::from_fn(crate::web::errors::html_errors)),
        )
        .fallback(crate::web::errors::no_such_page)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(middleware::from_fn(track))
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .layer(CatchPanicLayer::custom(|_| internal_error_response()))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// A jobs-only node's HTTP surface: health, readiness and metrics, for its supervisor.
fn system_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(crate::api::system::healthz))
        .route("/readyz", axum::routing::get(crate::api::system::readyz))
        .route("/metrics", axum::routing::get(crate::api::system::metrics))
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn(track))
}

/// Starts this node's jobs, then serves until `shutdown` resolves and drains open requests.
pub async fn launch(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let jobs = madoguchi_app::jobs::start(&state)?;
    let app = if state.settings.role.serves_web() { router(state) } else { system_router(state) };
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    drop(jobs);
    served?;
    Ok(())
}

/// `/metrics` body.
pub async fn render_metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
