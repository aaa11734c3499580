use crate::app::components::{PageMeta, RoleGate};
use crate::domain::Role;
use leptos::prelude::*;

#[component]
pub fn PractitionerPage() -> impl IntoView {
    view! {
        <PageMeta title="Your practice" description="Run your practice on Attune: your services, availability and sessions."/>
        <div class="container section">
            <h1>"Your practice"</h1>
            <RoleGate
                role=Role::Practitioner
                render=|u| view! {
                    <section class="card">
                        <h2>"Welcome, "{u.name}</h2>
                        <p>"Account number "<strong>{u.code.to_string()}</strong></p>
                        <p class="muted">"Your services, availability and upcoming sessions will be listed here."</p>
                    </section>
                }
                .into_any()
            />
        </div>
    }
}
