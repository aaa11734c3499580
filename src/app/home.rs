use crate::api::catalog::{home_stats, service_types};
use crate::app::components::{LocalTime, PageMeta, Skeleton};
use crate::domain::types::StatsView;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let stats = Resource::new(|| (), |_| home_stats());
    let types = Resource::new(|| (), |_| service_types());
    let deleted = leptos_router::hooks::use_query_map().read_untracked().get("deleted").is_some();
    view! {
        {deleted.then(|| view! {
            <div class="container" role="status"><p class="alert alert-success">"Your account has been deleted. Thank you for having been with us."</p></div>
        })}
        <PageMeta
            title="Book sessions with trusted practitioners"
            description="Attune connects you with astrologers, yoga teachers, coaches and consultants. Buy credits, book real time slots and manage everything in one place."
        />
        <section class="hero">
            <div class="container">
                <h1>"Sessions with practitioners you can trust"</h1>
                <p class="lead">"Find astrologers, yoga teachers, coaches and consultants. Book a real time slot, pay by card or credits, and keep every order in one place."</p>
                <p class="hero-actions">
                    <a class="btn btn-primary btn-lg" href="/practitioners">"Find a practitioner"</a>
                    <a class="btn btn-secondary btn-lg" href="/signup">"Create your account"</a>
                </p>
            </div>
        </section>
        <section class="container section" aria-labelledby="stats-heading">
            <h2 id="stats-heading">"The platform today"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=2/> }>
                {move || Suspend::new(async move {
                    match stats.await {
                        Ok(StatsView::Available(s)) => view! {
                            <dl class="stats">
                                <div class="stat"><dt>"Live practitioners"</dt><dd data-stat="practitioners">{s.practitioners}</dd></div>
                                <div class="stat"><dt>"Customers"</dt><dd data-stat="customers">{s.customers}</dd></div>
                                <div class="stat"><dt>"Service types"</dt><dd data-stat="service_types">{s.service_types}</dd></div>
                                <div class="stat"><dt>"Sessions completed"</dt><dd data-stat="sessions_completed">{s.sessions_completed}</dd></div>
                                <div class="stat"><dt>"Average rating"</dt><dd data-stat="average_rating">{match s.average_rating_tenths {
                                    Some(t) => format!("{}.{} / 5", t / 10, t % 10),
                                    None => "No reviews yet".to_owned(),
                                }}</dd></div>
                            </dl>
                            <p class="muted small">"Counted from our records as of "<LocalTime at=s.as_of/>"."</p>
                        }
                        .into_any(),
                        _ => view! { <p class="alert alert-info" role="status">"Statistics are unavailable right now."</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="container section" aria-labelledby="types-heading">
            <h2 id="types-heading">"What you can book"</h2>
            <Suspense fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    match types.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No services are listed yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="cards" role="list">
                                {list.into_iter().map(|t| view! {
                                    <li class="card service-type">
                                        <h3><a href=format!("/practitioners?service_type={}", t.slug)>{t.name}</a></h3>
                                        <p class="muted">{t.description}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
