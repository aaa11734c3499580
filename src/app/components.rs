//! Building blocks shared by the pages: page metadata, form fields with their errors,
//! submit buttons that show progress, skeletons and error panels.

use crate::domain::types::SessionUser;
use crate::domain::{AppError, Role};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// Sets the page's `<title>` and description.
#[component]
pub fn PageMeta(title: &'static str, description: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <Meta name="description" content=description/>
        <Meta property="og:title" content=title/>
        <Meta property="og:description" content=description/>
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

/// The error of `action`'s last run in the browser, or, before any, the one the page
/// was rendered with.
pub fn island_error<I, T>(action: ServerAction<I>, initial: Option<AppError>) -> Signal<Option<AppError>>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || match action.value().get() {
        Some(result) => result.err(),
        None => initial.clone(),
    })
}

/// Whether the action's last run succeeded.
pub fn action_ok<I, T>(action: ServerAction<I>) -> Signal<bool>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || matches!(action.value().get(), Some(Ok(_))))
}

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
    let message = move || error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string());
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
            <p class="field-error" id=format!("{name}-error")>{message}</p>
        </div>
    }
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

/// A submit button that is disabled and says so while its action runs.
#[component]
pub fn Submit(
    label: &'static str,
    busy_label: &'static str,
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
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// Grey placeholder lines shown while content loads.
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
    match error {
        AppError::Unauthenticated => {
            let next = location.pathname.get_untracked();
            view! { <Redirect path=format!("/login?next={next}")/> }.into_any()
        }
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

/// Formats an RFC 3339 UTC time as `2026-11-22 16:34 UTC`.
pub fn short_utc(rfc3339: &str) -> String {
    match (rfc3339.get(0..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times_are_shortened_for_display() {
        assert_eq!(super::short_utc("2026-11-22T16:34:05.123Z"), "2026-11-22 16:34 UTC");
        assert_eq!(super::short_utc("garbage"), "garbage");
    }
}
