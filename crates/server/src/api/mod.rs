//! The JSON API under `/api/v1`. Handlers are thin: authenticate, resolve the caller's scope,
//! validate, call the store, audit reads of personal data, answer.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

pub mod audit;
pub mod cases;
pub mod channels;
pub mod conversations;
pub mod customers;
pub mod escalations;
pub mod files;
pub mod kb;
pub mod merchants;
pub mod openapi;
pub mod order_import;
pub mod orders;
pub mod playbook;
pub mod policies;
pub mod routing;
pub mod search;
pub mod system;
pub mod users;
pub mod voice;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Madoguchi API",
        description = "Contact centre for Japanese e-commerce shops. Every list is keyset-paginated \
                       (`cursor`, `limit`); every error is `{\"code\", \"message\"}`; anything outside the \
                       caller's merchants answers 404.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "merchants", description = "Shops served by the desk"),
        (name = "users", description = "Staff, roles and API tokens"),
        (name = "customers", description = "Customers of a merchant and their identities"),
        (name = "orders", description = "Orders, shipments and tracking events"),
        (name = "policies", description = "Each shop's policies and the decisions taken by them"),
        (name = "cases", description = "Delivery cases, their checklists and the task queue"),
        (name = "conversations", description = "Conversations, messages and timelines"),
        (name = "routing", description = "Presence, skills, capacity and queues"),
        (name = "escalations", description = "Questions from the desk to the merchant, and answers"),
        (name = "playbook", description = "Talk scripts, canned responses, disposition codes and wrap-ups"),
        (name = "files", description = "Stored files: scans of FAX and postcards, attachments"),
        (name = "audit", description = "Audit log"),
        (name = "system", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Every documented route. The OpenAPI document is generated from exactly these.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::healthz))
        .routes(routes!(system::readyz))
        .routes(routes!(system::metrics))
        .routes(routes!(system::openapi_json))
        .routes(routes!(users::issue_token))
        .routes(routes!(users::me))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::unlock_user))
        .routes(routes!(users::send_password_link))
        .routes(routes!(users::list_tokens, users::create_token))
        .routes(routes!(users::delete_token))
        .routes(routes!(merchants::list_merchants, merchants::create_merchant))
        .routes(routes!(merchants::get_merchant, merchants::update_merchant))
        .routes(routes!(merchants::calendar))
        .routes(routes!(customers::list_customers, customers::create_customer))
        .routes(routes!(customers::lookup_customer))
        .routes(routes!(customers::get_customer, customers::update_customer, customers::delete_customer))
        .routes(routes!(customers::add_identity))
        .routes(routes!(customers::remove_identity))
        .routes(routes!(customers::merge_customer))
        .routes(routes!(search::search))
        .routes(routes!(kb::list_articles, kb::create_article))
        .routes(routes!(kb::get_article, kb::update_article, kb::delete_article))
        .routes(routes!(kb::search_articles))
        .routes(routes!(kb::export_articles))
        .routes(routes!(kb::import_articles))
        .routes(routes!(kb::faq_gaps))
        .routes(routes!(kb::bot_figures))
        .routes(routes!(channels::list_channels))
        .routes(routes!(channels::put_channel))
        .routes(routes!(customers::duplicates))
        .routes(routes!(customers::mark_distinct))
        .routes(routes!(orders::list_orders, orders::create_order))
        .routes(routes!(orders::bulk_upsert_orders))
        .routes(routes!(orders::get_order, orders::update_order, orders::delete_order))
        .routes(routes!(orders::add_shipment))
        .routes(routes!(orders::get_shipment, orders::update_shipment, orders::delete_shipment))
        .routes(routes!(orders::add_shipment_event))
        .routes(routes!(order_import::get_mapping, order_import::put_mapping))
        .routes(routes!(order_import::get_webhook, order_import::rotate_webhook_secret))
        .routes(routes!(policies::get_policies, policies::put_policies))
        .routes(routes!(policies::preview))
        .routes(routes!(policies::get_decision))
        .routes(routes!(policies::record_decision, policies::list_decisions))
        .routes(routes!(cases::case_kinds))
        .routes(routes!(cases::get_checklist, cases::put_checklist, cases::reset_checklist))
        .routes(routes!(cases::open_case))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::complete_task))
        .routes(routes!(cases::list_tasks))
        .routes(utoipa_axum::router::UtoipaMethodRouterExt::layer(
            routes!(order_import::import_orders),
            axum::extract::DefaultBodyLimit::max(madoguchi_app::usecases::order_import::MAX_FILE_BYTES),
        ))
        .routes(routes!(conversations::list_conversations, conversations::create_conversation))
        .routes(routes!(conversations::get_conversation, conversations::update_conversation))
        .routes(routes!(conversations::list_messages, conversations::add_message))
        .routes(utoipa_axum::router::UtoipaMethodRouterExt::layer(
            routes!(files::upload_file),
            axum::extract::DefaultBodyLimit::max(crate::files::MAX_UPLOAD_BYTES),
        ))
        .routes(routes!(files::download_file))
        .routes(routes!(audit::list_audit_events))
        .routes(routes!(routing::my_presence, routing::set_my_presence))
        .routes(routes!(routing::get_agent_profile, routing::update_agent_profile))
        .routes(routes!(routing::merchant_agents))
        .routes(routes!(routing::board))
        .routes(routes!(routing::list_queues, routing::create_queue))
        .routes(routes!(routing::delete_queue))
        .routes(routes!(escalations::create_escalation))
        .routes(routes!(escalations::list_escalations))
        .routes(routes!(escalations::get_escalation))
        .routes(routes!(escalations::answer_escalation))
        .routes(routes!(playbook::list_scripts, playbook::put_script))
        .routes(routes!(playbook::list_canned, playbook::create_canned))
        .routes(routes!(playbook::delete_canned))
        .routes(routes!(playbook::list_dispositions, playbook::create_disposition))
        .routes(routes!(playbook::list_wrap_ups, playbook::create_wrap_up))
        .routes(routes!(voice::put_flow, voice::get_flow))
        .routes(routes!(voice::list_numbers, voice::add_number))
        .routes(routes!(voice::my_phone))
        .routes(routes!(voice::my_phone_token))
        .routes(routes!(voice::hold_call))
        .routes(routes!(voice::transfer_call))
        .routes(routes!(voice::offer_call))
}
