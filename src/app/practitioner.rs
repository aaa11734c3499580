use crate::api::auth::current_user;
use crate::app::components::{ErrorPanel, PageMeta, Skeleton};
use crate::domain::AppError;
use leptos::prelude::*;

#[component]
pub fn PractitionerPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <PageMeta title="Your practice" description="Run your practice on Attune: your services, availability and sessions."/>
        <div class="container section">
            <h1>"Your practice"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=3/></div> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) if u.role == crate::domain::Role::Practitioner => view! {
                            <section class="card">
                                <h2>"Welcome, "{u.name}</h2>
                                <p>"Account number "<strong>{u.code.to_string()}</strong></p>
                                <p class="muted">"Your services, availability and upcoming sessions will be listed here."</p>
                            </section>
                        }
                        .into_any(),
                        Ok(Some(_)) => view! { <ErrorPanel error=AppError::Forbidden/> }.into_any(),
                        Ok(None) => view! { <ErrorPanel error=AppError::Unauthenticated/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
