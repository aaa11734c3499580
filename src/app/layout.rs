use crate::api::auth::{LogOut, current_user};
use crate::domain::Role;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let logout = ServerAction::<LogOut>::new();
    let location = use_location();
    // Re-read on every navigation and after logging out, so the header never shows a
    // stale account.
    let user = Resource::new(move || (location.pathname.get(), logout.version().get()), |_| current_user());
    view! {
        <header class="site-header">
            <nav class="nav container" aria-label="Main">
                <a class="brand" href="/">"Attune"</a>
                <Transition fallback=|| view! { <div class="nav-links" aria-hidden="true"></div> }>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(u)) => {
                                let home = u.role.home_path();
                                let area = match u.role {
                                    Role::Admin => "Admin",
                                    Role::Practitioner => "My practice",
                                    Role::Customer => "Dashboard",
                                };
                                view! {
                                    <div class="nav-links">
                                        <a href=home>{area}</a>
                                        {(u.role != Role::Customer).then(|| view! { <a href="/dashboard">"Account"</a> })}
                                        <span class="nav-user" title="Your account number">{u.name.clone()}" · "{u.code.to_string()}</span>
                                        <ActionForm action=logout attr:class="inline-form">
                                            <button type="submit" class="btn btn-ghost">"Log out"</button>
                                        </ActionForm>
                                    </div>
                                }
                                .into_any()
                            }
                            _ => view! {
                                <div class="nav-links">
                                    <a href="/login">"Log in"</a>
                                    <a class="btn btn-primary" href="/signup">"Sign up"</a>
                                </div>
                            }
                            .into_any(),
                        }
                    })}
                </Transition>
            </nav>
        </header>
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
