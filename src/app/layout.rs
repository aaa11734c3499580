use crate::api::auth::LogOut;
use crate::app::components::endpoint;
use crate::domain::Role;
use crate::domain::types::SessionUser;
use leptos::prelude::*;

/// The header, rendered on the server for the user of this request. Every navigation
/// is a page load, so it never goes stale and needs no code in the browser; logging out
/// is a plain form post.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let user = page_user();
    view! {
        <header class="site-header">
            <nav class="nav container" aria-label="Main">
                <a class="brand" href="/">"Attune"</a>
                {match user {
                    Some(u) => {
                        let home = u.role.home_path();
                        let area = match u.role {
                            Role::Admin => "Admin",
                            Role::Practitioner => "My practice",
                            Role::Customer => "Dashboard",
                        };
                        view! {
                            <div class="nav-links">
                                <a href="/practitioners">"Practitioners"</a>
                                <a href="/credits">"Buy credits"</a>
                                <a href=home>{area}</a>
                                {(u.role != Role::Customer).then(|| view! { <a href="/dashboard">"Account"</a> })}
                                <span class="nav-user" title="Your account number">{u.name.clone()}" · "{u.code.to_string()}</span>
                                <form method="post" action={endpoint::<LogOut>()} class="inline-form">
                                    <button type="submit" class="btn btn-ghost">"Log out"</button>
                                </form>
                            </div>
                        }
                        .into_any()
                    }
                    None => view! {
                        <div class="nav-links">
                            <a href="/practitioners">"Practitioners"</a>
                            <a href="/credits">"Credits"</a>
                            <a href="/login">"Log in"</a>
                            <a class="btn btn-primary" href="/signup">"Sign up"</a>
                        </div>
                    }
                    .into_any(),
                }}
            </nav>
        </header>
    }
}

/// The user the server found for this page request (see `PageUser`).
pub(crate) fn page_user() -> Option<SessionUser> {
    #[cfg(feature = "ssr")]
    {
        // Borrowed, not `use_context`: that would clone the whole request head.
        with_context::<http::request::Parts, _>(|p| p.extensions.get::<crate::server::http::PageUser>().cloned())
            .flatten()
            .and_then(|u| u.0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container footer-inner">
                <p>"Attune — sessions with practitioners you can trust."</p>
                <p class="muted">"Payments and credits are handled securely on our servers."</p>
            </div>
        </footer>
    }
}
