use crate::api::catalog::public_profile;
use crate::api::practitioner::practice_overview;
use crate::app::catalog::{ServiceList, json_ld};
use crate::app::components::{ErrorPanel, PageMeta, Skeleton, TableScroll, public_url};
use crate::domain::AppError;
use crate::domain::types::PublicProfile;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The practice dashboard. Its data comes from practitioner server functions, which
/// refuse until onboarding is approved; that answer sends the page to the wizard, so
/// the decision is the server's alone.
#[component]
pub fn PractitionerPage() -> impl IntoView {
    // One load, the earnings asked for only once the overview has answered: a second
    // resource the page never reads (when it sends the visitor to the wizard) would run
    // on after the request has ended, without the request's context.
    let practice = Resource::new(
        || (),
        |_| async move {
            let overview = practice_overview().await?;
            Ok::<_, AppError>((overview, crate::api::checkout::my_earnings().await))
        },
    );
    view! {
        <PageMeta title="Your practice" description="Run your practice on Attune: your services, availability and sessions."/>
        <div class="container section">
            <h1>"Your practice"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=4/></div> }>
                {move || Suspend::new(async move {
                    match practice.await {
                        Ok((w, earnings)) => {
                            let public = w.slug.clone().map(|s| format!("/p/{s}")).unwrap_or_default();
                            view! {
                                <section class="card">
                                    <h2>{format!("Welcome, {}", w.basic.first_name)}</h2>
                                    <p>"Account number "<strong>{w.code.to_string()}</strong></p>
                                    <p class="actions"><a href=public>"See your public profile"</a><a href="/practitioner/services">"Your services"</a><a href="/practitioner/orders">"Orders to deliver"</a><a href="/practitioner/availability">"Availability"</a></p>
                                </section>
                                <Earnings loaded=earnings/>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Credits and card payments earned per month.
#[component]
fn Earnings(loaded: Result<Vec<crate::domain::types::EarningsRow>, AppError>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="earnings-heading">
            <h2 id="earnings-heading">"Earnings"</h2>
            {match loaded {
                Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing yet: paid orders appear here by month."</p> }.into_any(),
                Ok(list) => view! {
                    <TableScroll label="Earnings by month">
                        <table class="table" data-testid="earnings">
                            <caption class="sr-only">"Earnings by month"</caption>
                            <thead><tr><th scope="col">"Month"</th><th scope="col">"Paid orders"</th><th scope="col">"Credits"</th><th scope="col">"Card payments"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let money = if r.money.is_empty() { "None".to_owned() } else {
                                        r.money.iter().map(|m| m.format(crate::domain::Locale::default())).collect::<Vec<_>>().join(" · ")
                                    };
                                    view! { <tr><td>{r.month}</td><td>{r.orders}</td><td>{r.credits}</td><td>{money}</td></tr> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </TableScroll>
                }.into_any(),
                Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
            }}
        </section>
    }
}

/// A live practitioner's public profile, `/p/<slug>`.
#[component]
pub fn PublicProfilePage() -> impl IntoView {
    let slug = use_params_map().read_untracked().get("slug").unwrap_or_default();
    let profile = Resource::new(move || slug.clone(), public_profile);
    view! {
        <Suspense fallback=|| view! { <div class="container section"><Skeleton lines=6/></div> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(p) => view! { <ProfileView p/> }.into_any(),
                    Err(e) => view! {
                        <PageMeta title="Practitioner" description="A practitioner on Attune."/>
                        <div class="container section"><ErrorPanel error=e/></div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProfileView(p: PublicProfile) -> impl IntoView {
    let title = format!("{} — {}", p.name, p.practice_type);
    let description: String = p.headline.clone();
    let base = public_url();
    let ld = json_ld(&serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Person",
        "name": p.name,
        "jobTitle": p.practice_type,
        "description": p.headline,
        "url": format!("{base}/p/{}", p.slug),
        "knowsLanguage": p.languages,
        "knowsAbout": p.specialties,
        "image": p.photo.map(|id| format!("{base}/media/{id}/photo.jpg")),
        "makesOffer": p.services.iter().map(|s| serde_json::json!({
            "@type": "Offer",
            "itemOffered": { "@type": "Service", "name": s.title, "url": format!("{base}/s/{}", s.slug) },
        })).collect::<Vec<_>>(),
    }));
    let services = p.services.clone();
    let reviews = p.reviews.clone();
    view! {
        <PageMeta title description og_type="profile"/>
        <script type="application/ld+json" inner_html=ld></script>
        <article class="container section profile">
            <header class="profile-head">
                {p.photo.map(|id| view! { <img class="profile-photo" src=format!("/media/{id}/photo.jpg") alt=format!("Photo of {}", p.name) width="192"/> })}
                <div>
                    <h1>{p.name.clone()}</h1>
                    <p class="lead">{p.headline.clone()}</p>
                    <p class="muted">{format!("{} · {} · {} years of practice", p.practice_type, p.location, p.years_experience)}</p>
                </div>
            </header>
            <section aria-labelledby="services-heading">
                <h2 id="services-heading">"Services"</h2>
                {if services.is_empty() {
                    view! { <p class="muted">"No services are published yet."</p> }.into_any()
                } else {
                    view! { <ServiceList services/> }.into_any()
                }}
            </section>
            <section aria-labelledby="reviews-heading" data-testid="reviews">
                <h2 id="reviews-heading">"Reviews"</h2>
                {match reviews.average_label() {
                    Some(avg) => view! {
                        <p><strong data-testid="rating-average">{format!("{avg} / 5")}</strong>{format!(" from {} {}", reviews.count, if reviews.count == 1 { "review" } else { "reviews" })}</p>
                    }.into_any(),
                    None => view! { <p class="muted">"No reviews yet."</p> }.into_any(),
                }}
                <ul class="entry-list">
                    {reviews.latest.iter().map(|r| view! {
                        <li>
                            <span class="rating" aria-label=format!("{} out of 5", r.rating)>{"★".repeat(r.rating as usize)}{"☆".repeat(5 - r.rating as usize)}</span>
                            " "{r.body.clone()}<span class="muted">{format!(" · {}", r.by)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section aria-labelledby="about-heading">
                <h2 id="about-heading">"About"</h2>
                {p.bio.split("\n\n").map(|para| view! { <p>{para.to_owned()}</p> }).collect_view()}
            </section>
            <section aria-labelledby="details-heading">
                <h2 id="details-heading">"Specialties and languages"</h2>
                <dl class="facts">
                    <dt>"Specialties"</dt><dd>{p.specialties.join(", ")}</dd>
                    <dt>"Languages"</dt><dd>{p.languages.join(", ")}</dd>
                </dl>
            </section>
            <section aria-labelledby="experience-heading">
                <h2 id="experience-heading">"Experience"</h2>
                <ul class="entry-list">
                    {p.experience.into_iter().map(|e| {
                        let years = match e.end_year { Some(end) => format!("{}–{end}", e.start_year), None => format!("since {}", e.start_year) };
                        view! { <li><span><strong>{e.title}</strong>", "{e.organisation}" ("{years}")"</span></li> }
                    }).collect_view()}
                </ul>
            </section>
        </article>
    }
}
