//! The console over HTTP as a browser uses it: a cookie jar that does not follow redirects,
//! the sign-in form, the forms' security token, pages and the typed-in contact form.

use super::TestApp;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client")
}

/// The hidden CSRF token of the first form on a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").map(|i| i + 19).unwrap_or(0);
    html[at..].split('"').next().unwrap_or_default().to_owned()
}

pub async fn login_page(app: &TestApp, c: &reqwest::Client) -> anyhow::Result<String> {
    Ok(c.get(format!("{}/login", app.base)).send().await?.text().await?)
}

pub async fn sign_in(
    app: &TestApp,
    c: &reqwest::Client,
    login: &str,
    password: &str,
) -> anyhow::Result<(StatusCode, String, Option<String>)> {
    let page = login_page(app, c).await?;
    let resp = c
        .post(format!("{}/login", app.base))
        .form(&[("login", login), ("password", password), ("csrf", &csrf_of(&page))])
        .send()
        .await?;
    let status = resp.status();
    let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).map(String::from);
    Ok((status, resp.text().await?, location))
}

/// Signs in and returns the page of a conversation.
pub async fn page(app: &TestApp, c: &reqwest::Client, id: &str) -> anyhow::Result<(StatusCode, String)> {
    let resp = c.get(format!("{}/desk/conversations/{id}", app.base)).send().await?;
    Ok((resp.status(), resp.text().await?))
}

/// The conversation page's reply form as a browser sends it: multipart, the token first.
pub fn reply_form(csrf: &str, kind: &str, body: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("kind", kind.to_owned())
        .text("body", body.to_owned())
}

pub async fn contact_form(
    app: &TestApp,
    c: &reqwest::Client,
    fields: &[(&str, String)],
    scans: Vec<(&str, Vec<u8>)>,
) -> anyhow::Result<(StatusCode, String, Option<String>)> {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.clone());
    }
    for (name, data) in scans {
        form = form.part("scans", reqwest::multipart::Part::bytes(data).file_name(name.to_owned()));
    }
    let resp = c.post(format!("{}/desk/contacts", app.base)).multipart(form).send().await?;
    let status = resp.status();
    let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).map(String::from);
    Ok((status, resp.text().await?, location))
}
