//! `/practitioner/orders`, and the table of service orders it shares with the dashboard.

use crate::app::components::{ErrorPanel, LocalTime, PageMeta, Skeleton, StatusBadge, TableScroll};
use leptos::prelude::*;

/// `/practitioner/orders`: the paid orders a practitioner is to deliver.
#[component]
pub fn PractitionerOrdersPage() -> impl IntoView {
    let orders = Resource::new(|| (), |_| crate::api::checkout::orders_to_deliver());
    view! {
        <PageMeta title="Orders to deliver" description="The paid orders of your services, newest first."/>
        <div class="container section">
            <p><a href="/practitioner">"← Your practice"</a></p>
            <h1>"Orders to deliver"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=5/></div> }>
                {move || Suspend::new(async move {
                    match orders.await {
                        Ok(list) => view! { <OrderTable list empty="No paid orders yet. They appear here as soon as a customer pays." card=true/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Service orders as a table linking to each order's page, as a card of its own when
/// `card` (otherwise inside the caller's).
#[component]
pub fn OrderTable(
    list: Vec<crate::domain::types::ServiceOrderRow>,
    empty: &'static str,
    #[prop(optional)] card: bool,
) -> impl IntoView {
    if list.is_empty() {
        return if card {
            view! { <section class="card"><p>{empty}</p></section> }.into_any()
        } else {
            view! { <p class="muted">{empty}</p> }.into_any()
        };
    }
    view! {
        <TableScroll label="Service orders" card>
            <table class="table" data-testid="service-orders">
                <caption class="sr-only">"Service orders"</caption>
                <thead><tr><th scope="col">"Order"</th><th scope="col">"Service"</th><th scope="col">"With"</th><th scope="col">"Price"</th><th scope="col">"Status"</th><th scope="col">"Unread"</th><th scope="col">"Placed"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|r| view! {
                        <tr>
                            <td class="nowrap"><a href=format!("/orders/{}", r.number)>{r.number.to_string()}</a></td>
                            <td>{r.title.clone()}{r.session.clone().map(|when| view! { <br/><span class="muted small" data-testid="session-time">{when}</span> })}</td>
                            <td>{r.with.clone()}</td>
                            <td class="nowrap">{r.price.clone()}</td>
                            <td><StatusBadge state=r.status.as_str() label=r.status.label()/></td>
                            <td data-testid="unread">{(r.unread > 0).then(|| view! { <span class="badge">{format!("{} new", r.unread)}</span> })}</td>
                            <td><LocalTime at=r.placed_at date_only=true/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </TableScroll>
    }
    .into_any()
}
