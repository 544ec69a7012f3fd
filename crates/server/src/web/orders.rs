//! The shop's order data page: the column mapping of its order files, a file upload with a dry
//! run that lists every bad row (row, line, column, reason in the reader's language), and the
//! order webhook's address and secret (shown once when made).

use askama::Template;
use axum::Form;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::access::Principal;
use madoguchi_core::merchant::Merchant;
use madoguchi_store::merchants::MerchantKey;
use serde::Deserialize;

use super::{form_value, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{FormError, Lang, Texts, form_error};
use crate::web::ConsoleUser;
use madoguchi_app::order_files::{Column, ColumnMapping};
use madoguchi_app::usecases::order_import::MAX_FILE_BYTES;
use madoguchi_app::usecases::order_import::{self, ImportOptions, ImportReport};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/settings/{slug}/orders", axum::routing::get(show))
        .route("/settings/{slug}/orders/mapping", axum::routing::post(save_mapping))
        .route("/settings/{slug}/orders/webhook", axum::routing::post(new_secret))
        .route(
            "/settings/{slug}/orders/import",
            axum::routing::post(import).layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)),
        )
}

struct Labels {
    title: &'static str,
    mapping: &'static str,
    mapping_hint: &'static str,
    column: &'static str,
    header: &'static str,
    usual: &'static str,
    upload: &'static str,
    upload_hint: &'static str,
    file: &'static str,
    dry_run: &'static str,
    skip_invalid: &'static str,
    import: &'static str,
    result: &'static str,
    encoding: &'static str,
    rows: &'static str,
    created: &'static str,
    updated: &'static str,
    skipped: &'static str,
    stored: &'static str,
    not_stored: &'static str,
    errors: &'static str,
    row: &'static str,
    line: &'static str,
    reason: &'static str,
    webhook: &'static str,
    webhook_hint: &'static str,
    webhook_configured: &'static str,
    webhook_missing: &'static str,
    new_secret: &'static str,
    secret_once: &'static str,
    no_file: &'static str,
}

const JA: Labels = Labels {
    title: "注文データ",
    mapping: "CSVの列の対応",
    mapping_hint: "空欄の列は、よく使われる見出し（右の一覧）から自動で探します。",
    column: "項目",
    header: "このショップのCSVの見出し",
    usual: "自動で認識する見出し",
    upload: "注文CSVの取り込み",
    upload_hint: "UTF-8（BOM付き可）またはShift_JIS。1行が注文の1明細です。同じ注文番号は上書きされます。",
    file: "ファイル",
    dry_run: "確認のみ（保存しない）",
    skip_invalid: "エラーのない注文だけ保存する",
    import: "取り込む",
    result: "取り込み結果",
    encoding: "文字コード",
    rows: "行数",
    created: "新規",
    updated: "更新",
    skipped: "除外",
    stored: "保存しました",
    not_stored: "保存していません",
    errors: "エラーのある行",
    row: "行",
    line: "ファイルの行",
    reason: "内容",
    webhook: "注文データの自動連携",
    webhook_hint: "ショップのシステムから注文と出荷を送る宛先です。送信には署名が必要です。",
    webhook_configured: "シークレット設定済み",
    webhook_missing: "シークレット未設定（すべて拒否されます）",
    new_secret: "新しいシークレットを発行",
    secret_once: "このシークレットは今だけ表示されます。以前のシークレットは使えなくなりました。",
    no_file: "ファイルを選んでください。",
};

const EN: Labels = Labels {
    title: "Order data",
    mapping: "CSV column mapping",
    mapping_hint: "Columns left blank are found by their usual headers (listed on the right).",
    column: "Column",
    header: "This shop's CSV header",
    usual: "Recognised headers",
    upload: "Import an order CSV",
    upload_hint: "UTF-8 (with or without BOM) or Shift_JIS; one row per order line. Known order numbers are updated.",
    file: "File",
    dry_run: "Check only (store nothing)",
    skip_invalid: "Store the orders without errors",
    import: "Import",
    result: "Result",
    encoding: "Encoding",
    rows: "Rows",
    created: "New",
    updated: "Updated",
    skipped: "Left out",
    stored: "Stored",
    not_stored: "Nothing stored",
    errors: "Rows with errors",
    row: "Row",
    line: "Line",
    reason: "Reason",
    webhook: "Order webhook",
    webhook_hint: "Where the shop's system sends orders and shipments; every call must be signed.",
    webhook_configured: "secret set",
    webhook_missing: "no secret yet (every call is refused)",
    new_secret: "Make a new secret",
    secret_once: "This secret is shown this once; the previous one no longer works.",
    no_file: "Choose a file.",
};

#[derive(Template)]
#[template(path = "orders.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    l: &'static Labels,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    slug: String,
    merchant_name: String,
    /// (column code, the shop's header, usual headers)
    /// Each column as (code, what the page calls it, the header mapped to it, usual headers).
    columns: Vec<(&'static str, &'static str, String, String)>,
    report: Option<ReportView>,
    webhook_url: String,
    webhook_configured: bool,
    secret: Option<String>,
    error: Option<FormError>,
    saved: bool,
}

struct ReportView {
    encoding: String,
    rows: usize,
    created: usize,
    updated: usize,
    skipped: usize,
    dry_run: bool,
    stored: bool,
    /// (row, line, column, reason)
    errors: Vec<(usize, usize, String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    saved: Option<String>,
}

/// The merchant, if the user may manage its order data.
async fn manageable(st: &AppState, p: &Principal, slug: &str) -> Result<Merchant, ApiError> {
    let m = st.store.get_merchant(&p.scope(), MerchantKey::Slug(slug)).await?;
    if !p.can_import_orders() {
        return Err(ApiError::forbidden("only admins, supervisors and the shop's admins manage its order data"));
    }
    Ok(m)
}

struct Extra {
    report: Option<ImportReport>,
    secret: Option<String>,
    error: Option<FormError>,
    status: StatusCode,
}

async fn page(
    st: &AppState,
    user: &ConsoleUser,
    jar: &CookieJar,
    headers: &HeaderMap,
    slug: &str,
    extra: Extra,
    saved: bool,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(jar, headers);
    let l = if lang == Lang::Ja { &JA } else { &EN };
    let session = &user.session;
    let p = user.principal.clone();
    let m = manageable(st, &p, slug).await?;
    let mapping = order_import::mapping(&st.store, &p.scope(), m.id).await?;
    let columns = Column::ALL
        .into_iter()
        .map(|c| {
            // In Japanese a column is called by the header shop systems print first (受注番号),
            // and its usual headers are the Japanese ones; the code is for the API.
            let usual: Vec<&str> =
                c.usual_headers().iter().copied().filter(|h| lang == Lang::En || !h.is_ascii()).collect();
            let label = if lang == Lang::Ja { usual.first().copied().unwrap_or(c.as_str()) } else { c.as_str() };
            (c.as_str(), label, mapping.columns.get(&c).cloned().unwrap_or_default(), usual.join("、"))
        })
        .collect();
    let report = extra.report.map(|r| ReportView {
        encoding: r.encoding,
        rows: r.rows,
        created: r.created,
        updated: r.updated,
        skipped: r.skipped,
        dry_run: r.dry_run,
        stored: r.stored,
        errors: r
            .errors
            .into_iter()
            .map(|e| {
                let reason = if lang == Lang::Ja { e.message_ja } else { e.message };
                (e.row, e.line, e.column.unwrap_or_default(), reason)
            })
            .collect(),
    });
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        l,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        columns,
        report,
        webhook_url: madoguchi_app::usecases::order_import::webhook_url(st, &m.slug),
        webhook_configured: st.store.order_webhook_secret(m.id).await?.is_some(),
        secret: extra.secret,
        error: extra.error,
        saved,
    };
    Ok(render(extra.status, &page))
}

fn plain() -> Extra {
    Extra { report: None, secret: None, error: None, status: StatusCode::OK }
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    page(&st, &user, &jar, &headers, &slug, plain(), q.saved.is_some()).await
}

/// Saves the mapping: `column.<code>` fields, blank ones left out.
pub async fn save_mapping(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let csrf = form_value(&form, "csrf");
    let p = user.checked(csrf)?.clone();
    let m = manageable(&st, &p, &slug).await?;
    let columns = Column::ALL
        .into_iter()
        .filter_map(|c| {
            let header = form_value(&form, &format!("column.{}", c.as_str())).trim().to_owned();
            (!header.is_empty()).then_some((c, header))
        })
        .collect();
    match (ColumnMapping { columns }).validate() {
        Ok(mapping) => {
            order_import::save_mapping(&st.store, &p.scope(), Some(p.user_id), m.id, &mapping).await?;
            Ok(Redirect::to(&format!("/settings/{slug}/orders?saved=1")).into_response())
        }
        Err(e) => {
            let extra = Extra {
                // The page lists columns by their codes: the error names the code.
                error: Some(form_error(Lang::from_request(&jar, &headers), e.field.trim_start_matches("columns."), &e)),
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..plain()
            };
            page(&st, &user, &jar, &headers, &slug, extra, false).await
        }
    }
}

/// Imports (or checks) an uploaded order file and shows the report on the page.
pub async fn import(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    // No byte of an upload is read for someone who is not signed in, or for a forged form.
    let Some(user) = super::files::upload_principal(&st, &jar, &mut multipart).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let p = user.principal.clone();
    let m = manageable(&st, &p, &slug).await?;
    let (mut file, mut opts) = (None, ImportOptions::default());
    while let Some(field) = crate::files::next_field(&mut multipart).await? {
        match field.name().unwrap_or_default() {
            "dry_run" => opts.dry_run = true,
            "skip_invalid" => opts.skip_invalid = true,
            "file" => file = crate::files::uploaded(field).await?,
            _ => {}
        }
    }
    let lang = Lang::from_request(&jar, &headers);
    let extra = match file {
        None => Extra {
            error: Some(FormError {
                field: "file".into(),
                text: (if lang == Lang::Ja { JA.no_file } else { EN.no_file }).to_owned(),
            }),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..plain()
        },
        Some((_, data)) => {
            let report = order_import::import_orders(&st.store, &p.scope(), Some(p.user_id), m.id, &data, opts).await?;
            let status =
                if !report.dry_run && !report.stored { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            Extra { report: Some(report), status, ..plain() }
        }
    };
    page(&st, &user, &jar, &headers, &slug, extra, false).await
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Makes a new webhook secret and shows it this once.
pub async fn new_secret(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    let m = manageable(&st, &p, &slug).await?;
    let secret = order_import::new_webhook_secret();
    st.store.set_order_webhook_secret(&p.scope(), Some(p.user_id), m.id, &secret).await?;
    page(&st, &user, &jar, &headers, &slug, Extra { secret: Some(secret), ..plain() }, false).await
}
