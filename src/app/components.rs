//! Building blocks shared by the pages: page metadata, form fields with their errors,
//! submit buttons that show progress, skeletons and error panels.

use crate::domain::datetime::{self, Style};
use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role, TimeZone};
use jiff::Timestamp;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// Sets the page's `<title>`, description, Open Graph tags and canonical address (the
/// public address of this path, without its query).
#[component]
pub fn PageMeta(
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    #[prop(optional)] og_type: Option<&'static str>,
) -> impl IntoView {
    let canonical = format!("{}{}", public_url(), leptos_router::hooks::use_location().pathname.get_untracked());
    view! {
        <Title text=title.clone()/>
        <Meta name="description" content=description.clone()/>
        <Meta property="og:title" content=title/>
        <Meta property="og:description" content=description/>
        <Meta property="og:type" content=og_type.unwrap_or("website")/>
        <Meta property="og:url" content=canonical.clone()/>
        <leptos_meta::Link rel="canonical" href=canonical/>
    }
}

/// The address the platform is served at (`PUBLIC_URL`), without a trailing slash. Pages
/// outside islands render only on the server, which is the only place it is known.
pub fn public_url() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<crate::server::state::AppState>()
            .map(|s| s.config.public_url.trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}

/// The error a form post without JavaScript came back with (`__err`), read outside an
/// island and handed to it as a prop: inside, the browser has no such context, so the
/// island would otherwise render differently from the server.
pub fn posted_error<I, T>() -> Option<AppError>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    ServerAction::<I>::new().value().get_untracked().and_then(|r| r.err())
}

/// The state of a form island: whether a post is running, the error it came back with
/// (before any, the one the page was rendered with), and whether the last one succeeded.
#[derive(Clone, Copy)]
pub struct Submission {
    pub pending: RwSignal<bool>,
    pub error: RwSignal<Option<AppError>>,
    pub done: RwSignal<bool>,
}

impl Submission {
    pub fn new(initial: Option<AppError>) -> Self {
        Submission { pending: RwSignal::new(false), error: RwSignal::new(initial), done: RwSignal::new(false) }
    }
}

/// A key per rendering of a form, so submitting it twice acts once.
pub fn form_key() -> String {
    #[cfg(feature = "ssr")]
    return uuid::Uuid::new_v4().to_string();
    #[cfg(not(feature = "ssr"))]
    String::new()
}

/// The URL of server function `F`, so a form's target cannot drift from its handler.
pub fn endpoint<F: leptos::server_fn::ServerFn>() -> &'static str {
    F::PATH
}

/// A form posting to a server function (`action`, from [`endpoint`]). Before or without
/// the WASM it is a plain form post, and the server redirects back with the outcome.
/// Hydrated, it posts the same fields with `fetch`, shows progress and the error in
/// place, and follows the server's redirect. One non-generic implementation serves
/// every form: Leptos' `ActionForm` is generic over the server function and added
/// several KB to the shared bundle for each form.
#[component]
pub fn PostForm(
    action: &'static str,
    state: Submission,
    #[prop(optional)] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" action=action class=class novalidate="" on:submit=move |ev| submit(ev, action, state)>
            {children()}
        </form>
    }
}

fn submit(ev: leptos::ev::SubmitEvent, action: &'static str, state: Submission) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        ev.prevent_default();
        if state.pending.get_untracked() {
            return;
        }
        let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else {
            return;
        };
        state.pending.set(true);
        state.done.set(false);
        leptos::task::spawn_local(async move {
            let outcome = browser::post(action, &form).await;
            state.pending.set(false);
            match outcome {
                Ok(Some(location)) => {
                    let _ = window().location().set_href(&location);
                }
                Ok(None) => {
                    state.error.set(None);
                    state.done.set(true);
                }
                Err(e) => state.error.set(Some(e)),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, action, state);
}

#[cfg(feature = "hydrate")]
mod browser {
    use crate::domain::AppError;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{FormData, HtmlFormElement, RequestInit, Response, UrlSearchParams};

    fn unreachable(_: JsValue) -> AppError {
        AppError::Transport("no answer".into())
    }

    /// Posts the form's fields as the server function expects them (URL-encoded, asking
    /// for JSON) and returns where the server redirects to, if anywhere.
    pub async fn post(action: &str, form: &HtmlFormElement) -> Result<Option<String>, AppError> {
        let fields = FormData::new_with_form(form).map_err(unreachable)?;
        let body = UrlSearchParams::new_with_str_sequence_sequence(&fields).map_err(unreachable)?;
        let (response, _) = send(action, &body, false).await?;
        let headers = response.headers();
        let redirect = headers.has("serverfnredirect").unwrap_or(false);
        Ok(if redirect { headers.get("location").ok().flatten() } else { None })
    }

    /// Calls server function `action` with `fields` and decodes its JSON answer.
    pub async fn call<T: serde::de::DeserializeOwned>(action: &str, fields: &[(&str, &str)]) -> Result<T, AppError> {
        let body = UrlSearchParams::new().map_err(unreachable)?;
        for (k, v) in fields {
            body.append(k, v);
        }
        let (_, text) = send(action, &body, true).await?;
        serde_json::from_str(&text).map_err(|e| AppError::Transport(e.to_string()))
    }

    /// One POST; an error answer is decoded as the `AppError` it carries. The body of a
    /// successful answer is read only when `read` is set.
    async fn send(action: &str, body: &UrlSearchParams, read: bool) -> Result<(Response, String), AppError> {
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(body);
        let headers = web_sys::Headers::new().map_err(unreachable)?;
        headers.set("Accept", "application/json").map_err(unreachable)?;
        init.set_headers(&headers);
        let response: Response = JsFuture::from(leptos::prelude::window().fetch_with_str_and_init(action, &init))
            .await
            .map_err(unreachable)?
            .unchecked_into();
        if response.ok() && !read {
            return Ok((response, String::new()));
        }
        let text = JsFuture::from(response.text().map_err(unreachable)?).await.map_err(unreachable)?;
        let text = text.as_string().unwrap_or_default();
        if response.ok() {
            return Ok((response, text));
        }
        Err(serde_json::from_str(&text)
            .unwrap_or_else(|_| AppError::Transport(format!("answer {}", response.status()))))
    }
}

#[cfg(feature = "hydrate")]
pub use browser::call;

/// A labelled input whose server-side error (if any) appears beneath it and is tied to
/// it for screen readers.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(into, optional)] value: String,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] maxlength: Option<usize>,
) -> impl IntoView {
    let message = field_message(error, name);
    let described = if hint.is_empty() { format!("{name}-error") } else { format!("{name}-hint {name}-error") };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="field-hint" id=format!("{name}-hint")>{hint}</p> })}
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                required=required
                maxlength=maxlength
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=described
            />
            <FieldError name error/>
        </div>
    }
}

fn field_message(error: Signal<Option<AppError>>, name: &'static str) -> impl Fn() -> Option<String> + Copy {
    move || error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string())
}

/// The error of one field, for controls that are not a `Field` (a select passed into an
/// island, say); its id is `<name>-error`, for `aria-describedby`.
#[component]
pub fn FieldError(name: &'static str, #[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! { <p class="field-error" id=format!("{name}-error")>{field_message(error, name)}</p> }
}

/// A message for errors that belong to no single field (wrong password, rate limit,
/// outage), announced to screen readers.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let message = move || error.get().filter(|e| e.field().is_none()).map(|e| e.to_string());
    view! {
        <div role="alert" class="alert-slot">
            {move || message().map(|m| view! { <p class="alert alert-error">{m}</p> })}
        </div>
    }
}

#[component]
pub fn Notice(#[prop(into)] show: Signal<bool>, message: &'static str) -> impl IntoView {
    view! {
        <div role="status" class="alert-slot">
            {move || show.get().then(|| view! { <p class="alert alert-success">{message}</p> })}
        </div>
    }
}

/// The currency picker of a price field, named `currency`.
#[component]
pub fn CurrencySelect(selected: String, #[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="currency">"Currency"</label>
            <select id="currency" name="currency" aria-describedby="currency-error">
                {crate::domain::Currency::ALL.into_iter().map(|c| view! { <option value=c.code() selected=c.code() == selected>{c.code()}</option> }).collect_view()}
            </select>
            <FieldError name="currency" error/>
        </div>
    }
}

/// A submit button that is disabled and says so while its action runs.
#[component]
pub fn Submit(
    #[prop(into)] label: Oco<'static, str>,
    #[prop(into)] busy_label: Oco<'static, str>,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] secondary: bool,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=if secondary { "btn btn-secondary" } else { "btn btn-primary" }
            disabled=move || pending.get()
            aria-busy=move || if pending.get() { "true" } else { "false" }
        >
            {move || if pending.get() { busy_label.clone() } else { label.clone() }}
        </button>
    }
}

/// A table that may be wider than the screen. It scrolls sideways inside this region,
/// which the keyboard can focus (and then scroll with the arrow keys) and screen
/// readers announce as "`label` table" (apart from the section around it, often named
/// `label` too); a shadow on an edge with more to show says it scrolls.
#[component]
pub fn TableScroll(
    #[prop(into)] label: String,
    /// Drawn as a card of its own rather than inside one.
    #[prop(optional)]
    card: bool,
    children: Children,
) -> impl IntoView {
    let class = if card { "card table-wrap" } else { "table-wrap" };
    view! {
        <div class=class role="region" aria-label=format!("{label} table") tabindex="0">
            {children()}
        </div>
    }
}

/// Grey placeholder lines shown while content loads.
/// A state as a coloured badge: the class names the state (`badge-paid`), the text
/// says it in words.
#[component]
pub fn StatusBadge(
    #[prop(into)] state: String,
    #[prop(into)] label: String,
    #[prop(optional)] testid: Option<&'static str>,
) -> impl IntoView {
    view! { <span class=format!("badge badge-{state}") data-testid=testid>{label}</span> }
}

#[component]
pub fn Skeleton(#[prop(default = 3)] lines: usize) -> impl IntoView {
    view! {
        <div class="skeleton-block" aria-busy="true">
            <span class="sr-only">"Loading…"</span>
            {(0..lines).map(|_| view! { <div class="skeleton-line" aria-hidden="true"></div> }).collect_view()}
        </div>
    }
}

/// Shows a failed load. An expired session sends the person to log in and come back.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let location = use_location();
    // Pages render fully before their head is sent (`SsrMode::Async`), so what was
    // asked for and does not exist is answered with a real 404.
    #[cfg(feature = "ssr")]
    if error == AppError::NotFound
        && let Some(res) = use_context::<leptos_axum::ResponseOptions>()
    {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    match error {
        AppError::Unauthenticated => {
            let next = location.pathname.get_untracked();
            view! { <Redirect path=format!("/login?next={next}")/> }.into_any()
        }
        AppError::OnboardingIncomplete => view! { <Redirect path="/onboarding"/> }.into_any(),
        AppError::Forbidden => view! {
            <section class="card">
                <h2>"Not available"</h2>
                <p>"This area is for a different kind of account. "<a href="/">"Go to the home page"</a>"."</p>
            </section>
        }
        .into_any(),
        other => view! {
            <section class="card">
                <p class="alert alert-error" role="alert">{other.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

/// Renders `render` for a signed-in user with `role`; anyone else gets the same
/// "not available" or log-in answer the server already gave the full page load. The
/// user is the one the server looked up for this request, so no loading state is needed.
#[component]
pub fn RoleGate<F>(role: Role, render: F) -> impl IntoView
where
    F: Fn(SessionUser) -> AnyView + Send + Sync + 'static,
{
    match crate::app::layout::page_user() {
        Some(u) if u.role == role => render(u),
        Some(_) => view! { <ErrorPanel error=AppError::Forbidden/> }.into_any(),
        None => view! { <ErrorPanel error=AppError::Unauthenticated/> }.into_any(),
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageMeta title="Page not found" description="The page you asked for does not exist."/>
        <section class="narrow center">
            <p class="eyebrow">"404"</p>
            <h1>"We could not find that page"</h1>
            <p class="muted">"The address may be mistyped, or the page may have moved."</p>
            <p><a class="btn btn-primary" href="/">"Go to the home page"</a></p>
        </section>
    }
}

/// An instant as a `<time>` element, shown in the signed-in person's zone (UTC for
/// visitors) by the one formatter in `domain::datetime`. Rendered on the server: the
/// browser bundle carries no zone database, so do not use it inside an island.
#[component]
pub fn LocalTime(at: Timestamp, #[prop(optional)] date_only: bool) -> impl IntoView {
    let zone = crate::app::layout::page_user().map(|u| u.time_zone).unwrap_or_else(TimeZone::utc);
    let style = if date_only { Style::Date } else { Style::DateTime };
    view! { <time datetime=datetime::machine(at)>{datetime::show(at, &zone, style)}</time> }
}
