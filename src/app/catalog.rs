//! The public catalog: the practitioner directory (`/practitioners`) and the service
//! page (`/s/<slug>`). Both are server-rendered pages with no islands: the search is a
//! plain GET form, so everything works without JavaScript and loads no WASM.

use crate::api::catalog::{directory, service_page};
use crate::app::components::{ErrorPanel, PageMeta, Skeleton, public_url};
use crate::domain::catalog::{DIRECTORY_PAGE, Delivery, DirectoryQuery, DirectorySearch, DirectorySort, from_label};
use crate::domain::types::{DirectoryCard, DirectoryPage, ServicePage, ServiceView};
use crate::domain::{AppError, Locale};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A `<script type="application/ld+json">` body: JSON with `<` escaped, so no text in
/// it can end the script element.
pub fn json_ld(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// How a service is delivered and for how long: `Video call · 60 minutes`.
pub fn delivery_line(s: &ServiceView) -> String {
    match s.duration_minutes {
        Some(m) => format!("{} · {m} minutes", s.delivery.label()),
        None => s.delivery.label().to_owned(),
    }
}

#[component]
pub fn DirectoryPageView() -> impl IntoView {
    let q = use_query_map().read_untracked();
    let get = |k: &str| q.get(k).unwrap_or_default();
    let query = DirectoryQuery {
        q: get("q"),
        service_type: get("service_type"),
        delivery: get("delivery"),
        language: get("language"),
        min_credits: get("min_credits"),
        max_credits: get("max_credits"),
        sort: get("sort"),
        page: get("page"),
    };
    let title = match query.q.trim() {
        "" => "Find a practitioner".to_owned(),
        words => format!("Practitioners for “{words}”"),
    };
    let typed = query.clone();
    let shown = query.clone();
    let page = Resource::new(move || query.clone(), directory);
    view! {
        <PageMeta title=title description="Search Attune's approved astrologers, yoga teachers, coaches and consultants by what they offer, how they work, language and price."/>
        <div class="container section">
            <h1>"Find a practitioner"</h1>
            <Suspense fallback=move || view! { <SearchForm query=typed.clone() page=None error=None/><div class="card"><Skeleton lines=6/></div> }>
                {move || {
                    let shown = shown.clone();
                    Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <Results p/> }.into_any(),
                        Err(e @ AppError::Invalid(_)) => view! {
                            <SearchForm query=shown page=None error=Some(e.clone())/>
                            <p class="alert alert-error" role="alert">{e.to_string()}" "<a href="/practitioners">"Clear the search"</a></p>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}}
            </Suspense>
        </div>
    }
}

#[component]
fn Results(p: DirectoryPage) -> impl IntoView {
    let s = p.search.clone();
    let pages = (p.total + DIRECTORY_PAGE - 1) / DIRECTORY_PAGE;
    let count = match p.total {
        0 => "No practitioners match this search.".to_owned(),
        1 => "1 practitioner".to_owned(),
        n => format!("{n} practitioners"),
    };
    let count = if pages > 1 { format!("{count} · page {} of {pages}", s.page) } else { count };
    let query = query_of(&s);
    view! {
        <SearchForm query page=Some(p.clone()) error=None/>
        <p class="muted" role="status" data-testid="directory-count">{count}</p>
        {(p.total == 0).then(|| view! { <p>"Try fewer words or filters, or "<a href="/practitioners">"see everyone"</a>"."</p> })}
        <ul class="directory" aria-label="Practitioners" inner_html=cards_html(p.cards)></ul>
        {(pages > 1).then(|| view! {
            <nav class="pager" aria-label="Pages">
                {(s.page > 1).then(|| view! { <a rel="prev" href=s.href(s.page - 1)>"← Previous"</a> })}
                <span>{format!("Page {} of {pages}", s.page)}</span>
                {(s.page < pages).then(|| view! { <a rel="next" href=s.href(s.page + 1)>"Next →"</a> })}
            </nav>
        })}
    }
}

/// The cards as HTML. The last cards rendered are kept with their HTML: the directory's
/// first page is the same for every visitor until its data changes, so it is rendered
/// once, not on every request. A different page is rendered and becomes the kept one.
fn cards_html(cards: Vec<DirectoryCard>) -> String {
    #[cfg(feature = "ssr")]
    {
        use std::sync::{Arc, Mutex};
        static LAST: Mutex<Option<(Vec<DirectoryCard>, Arc<str>)>> = Mutex::new(None);
        if let Some((kept, html)) = LAST.lock().expect("the card cache is never poisoned").as_ref()
            && *kept == cards
        {
            return html.to_string();
        }
        let html: String = cards.iter().cloned().map(|c| view! { <Card c/> }.to_html()).collect();
        *LAST.lock().expect("the card cache is never poisoned") = Some((cards, html.as_str().into()));
        html
    }
    #[cfg(not(feature = "ssr"))]
    cards.into_iter().map(|c| view! { <Card c/> }.to_html()).collect()
}

fn query_of(s: &DirectorySearch) -> DirectoryQuery {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    DirectoryQuery {
        q: text(&s.words),
        service_type: text(&s.service_type),
        delivery: s.delivery.map(|d| d.as_str().to_owned()).unwrap_or_default(),
        language: text(&s.language),
        min_credits: num(s.min_credits),
        max_credits: num(s.max_credits),
        sort: s.sort.as_str().to_owned(),
        page: String::new(),
    }
}

#[component]
fn SearchForm(query: DirectoryQuery, page: Option<DirectoryPage>, error: Option<AppError>) -> impl IntoView {
    let (types, languages) = page.map(|p| (p.types, p.languages)).unwrap_or_default();
    view! {
        <form class="card directory-search" method="get" action="/practitioners" role="search" aria-label="Search practitioners">
            <div class="field">
                <label for="q">"What are you looking for?"</label>
                <input id="q" name="q" type="search" value=query.q.clone() maxlength="100" placeholder="e.g. birth chart, back pain, Hindi"/>
            </div>
            <div class="filter-row">
                <div class="field">
                    <label for="service_type">"Service type"</label>
                    <select id="service_type" name="service_type">
                        <option value="">"Any type"</option>
                        {types.into_iter().map(|t| { let selected = t.slug == query.service_type; view! { <option value=t.slug selected=selected>{t.name}</option> } }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="delivery">"How"</label>
                    <select id="delivery" name="delivery">
                        <option value="">"Any way"</option>
                        {Delivery::ALL.into_iter().map(|d| view! { <option value=d.as_str() selected=d.as_str() == query.delivery>{d.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="language">"Language"</label>
                    <select id="language" name="language">
                        <option value="">"Any language"</option>
                        {languages.into_iter().map(|l| { let selected = l.eq_ignore_ascii_case(&query.language); let value = l.clone(); view! { <option value=value selected=selected>{l}</option> } }).collect_view()}
                    </select>
                </div>
                <CreditBound name="min_credits" label="From (credits)" value=query.min_credits.clone() error=error.clone()/>
                <CreditBound name="max_credits" label="To (credits)" value=query.max_credits.clone() error=error.clone()/>
                <div class="field">
                    <label for="sort">"Order"</label>
                    <select id="sort" name="sort">
                        {DirectorySort::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s.as_str() == query.sort>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <button type="submit" class="btn btn-primary">"Search"</button>
        </form>
    }
}

/// One end of the credit range, with the error a search came back with for it.
#[component]
fn CreditBound(name: &'static str, label: &'static str, value: String, error: Option<AppError>) -> impl IntoView {
    let message = error.filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let invalid = if message.is_some() { "true" } else { "false" };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <input id=name name=name type="text" inputmode="numeric" maxlength="6" value=value
                aria-invalid=invalid aria-describedby=format!("{name}-error")/>
            <p class="field-error" id=format!("{name}-error")>{message}</p>
        </div>
    }
}

#[component]
fn Card(c: DirectoryCard) -> impl IntoView {
    let href = format!("/p/{}", c.slug);
    let price = from_label(&c.prices, Locale::default());
    view! {
        <li class="card directory-card">
            {c.photo.map(|id| view! { <img src=format!("/media/{id}/thumb.jpg") alt="" width="96" height="96" loading="lazy"/> })}
            <div>
                <h2><a href=href>{c.name.clone()}</a></h2>
                <p class="muted small">{format!("{} · {} · {} years", c.practice_type, c.location, c.years_experience)}</p>
                <p>{c.headline}</p>
                <p class="small">
                    {(!c.service_types.is_empty()).then(|| view! { <span>{c.service_types.join(", ")}</span>" · " })}
                    <span>{c.languages.join(", ")}</span>
                </p>
                {price.map(|p| view! { <p class="directory-price" data-testid="card-price">{p}</p> })}
            </div>
        </li>
    }
}

/// `/s/<slug>`: a published service.
#[component]
pub fn ServicePageView() -> impl IntoView {
    let slug = use_params_map().read_untracked().get("slug").unwrap_or_default();
    let page = Resource::new(move || slug.clone(), service_page);
    view! {
        <Suspense fallback=|| view! { <div class="container section"><Skeleton lines=8/></div> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <ServiceDetail p/> }.into_any(),
                    Err(e) => view! {
                        <PageMeta title="Service" description="A service on Attune."/>
                        <div class="container section"><ErrorPanel error=e/></div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ServiceDetail(p: ServicePage) -> impl IntoView {
    let s = p.service.clone();
    let who = p.practitioner.clone();
    let price = s.price.label(Locale::default());
    let shown_price = price.clone();
    let title = format!("{} with {}", s.title, who.name);
    let description: String = s.description.chars().take(155).collect();
    let base = public_url();
    // Offers need an ISO currency, which credits are not: only the card price is one.
    let offers: Vec<serde_json::Value> = s
        .price
        .card
        .map(|m| serde_json::json!({ "@type": "Offer", "price": m.plain(), "priceCurrency": m.currency().code() }))
        .into_iter()
        .collect();
    let ld = json_ld(&serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Service",
        "name": s.title,
        "description": s.description,
        "serviceType": s.type_name,
        "url": format!("{base}/s/{}", s.slug),
        "provider": { "@type": "Person", "name": who.name, "url": format!("{base}/p/{}", who.slug) },
        "offers": offers,
    }));
    view! {
        <PageMeta title=title description og_type="product"/>
        <script type="application/ld+json" inner_html=ld></script>
        <article class="container section service">
            <p class="eyebrow">{s.type_name.clone()}</p>
            <h1>{s.title.clone()}</h1>
            <p class="lead">"With "<a href=format!("/p/{}", who.slug)>{who.name.clone()}</a>", "{who.practice_type.clone()}</p>
            <dl class="facts">
                <dt>"Price"</dt><dd data-testid="service-price">{shown_price}</dd>
                <dt>"Delivery"</dt><dd>{delivery_line(&s)}</dd>
                <dt>"Questions before you start"</dt><dd>{match s.questions.len() { 0 => "None".to_owned(), 1 => "1 question".to_owned(), n => format!("{n} questions") }}</dd>
            </dl>
            {if s.delivery.is_scheduled() {
                view! { <p class="actions"><a class="btn btn-primary" href=format!("/s/{}/book", s.slug) data-testid="book">{format!("Book a time · {price}")}</a></p> }.into_any()
            } else {
                view! { <p class="actions"><a class="btn btn-primary" href=format!("/checkout/new/{}", s.slug) data-testid="purchase">{format!("Purchase · {price}")}</a></p> }.into_any()
            }}
            <section aria-labelledby="about-service">
                <h2 id="about-service">"About this service"</h2>
                {s.description.split("\n\n").map(|para| view! { <p class="bio">{para.to_owned()}</p> }).collect_view()}
            </section>
            {(!p.more.is_empty()).then(|| view! {
                <section aria-labelledby="more-services">
                    <h2 id="more-services">{format!("More from {}", who.name)}</h2>
                    <ServiceList services=p.more.clone()/>
                </section>
            })}
        </article>
    }
}

/// Published services as links with their prices, for profiles and service pages.
#[component]
pub fn ServiceList(services: Vec<ServiceView>) -> impl IntoView {
    view! {
        <ul class="entry-list service-list">
            {services.into_iter().map(|s| {
                let line = delivery_line(&s);
                view! {
                    <li>
                        <span><a href=format!("/s/{}", s.slug)><strong>{s.title.clone()}</strong></a>" · "{line}</span>
                        <span data-testid="listed-price">{s.price.label(Locale::default())}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
