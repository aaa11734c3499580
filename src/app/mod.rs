//! The user interface, rendered on the server. Only islands (`#[island]`: the forms and
//! other controls that react in the browser) are hydrated, so a page without one loads
//! no WASM at all; see "Islands" in the README.

mod admin;
mod assets;
mod auth;
mod booking;
mod catalog;
mod checkout;
mod components;
mod dashboard;
mod home;
mod layout;
mod onboarding;
mod practitioner;
mod services;
mod shop;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

#[cfg(feature = "ssr")]
pub use assets::load as load_assets;
pub use assets::{Asset, asset_path};
pub use components::NotFound;

/// The HTML document around the app. On the server it also sets the page's
/// Content-Security-Policy, naming this response's script nonce.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <IslandScripts/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[cfg(feature = "ssr")]
fn set_page_csp() {
    use http::HeaderValue;
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
        let csp = crate::server::http::content_security_policy(nonce.as_deref());
        if let Ok(value) = HeaderValue::from_str(&csp) {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}

use assets::IslandScripts;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href=asset_path(Asset::Css)/>
        // leptos_meta writes the title into the head as it is, so it is escaped here:
        // practitioners' own words (a service's title) reach it.
        <Title formatter=|text: String| if text.is_empty() { "Attune".to_owned() } else { format!("{} · Attune", crate::domain::markup::escape(&text)) }/>
        <Router>
            <a class="skip-link" href="#main" rel="external">"Skip to content"</a>
            <layout::SiteHeader/>
            <main id="main" class="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=auth::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/phone") view=auth::PhoneLoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=auth::SignupPage ssr=SsrMode::Async/>
                    <Route path=path!("/signup/confirm") view=auth::ConfirmSignupPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=auth::ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view=auth::ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/dashboard") view=dashboard::DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=admin::AdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/practitioner") view=practitioner::PractitionerPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/packages") view=admin::PackagesPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/payments") view=admin::PaymentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/leads") view=admin::LeadsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/practitioners") view=admin::PractitionersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/practitioners/:code") view=admin::PractitionerReviewPage ssr=SsrMode::Async/>
                    <Route path=path!("/onboarding") view=onboarding::WizardPage ssr=SsrMode::Async/>
                    <Route path=path!("/onboarding/:step") view=onboarding::WizardPage ssr=SsrMode::Async/>
                    <Route path=path!("/p/:slug") view=practitioner::PublicProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/practitioners") view=catalog::DirectoryPageView ssr=SsrMode::Async/>
                    <Route path=path!("/s/:slug") view=catalog::ServicePageView ssr=SsrMode::Async/>
                    <Route path=path!("/s/:slug/book") view=booking::SlotPickerPage ssr=SsrMode::Async/>
                    <Route path=path!("/practitioner/availability") view=booking::AvailabilityPage ssr=SsrMode::Async/>
                    <Route path=path!("/practitioner/services") view=services::ServicesPage ssr=SsrMode::Async/>
                    <Route path=path!("/practitioner/services/:id") view=services::ServiceEditorPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/service-types") view=admin::ServiceTypesPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/orders/:number") view=admin::OrderPage ssr=SsrMode::Async/>
                    <Route path=path!("/credits") view=shop::CreditsPage ssr=SsrMode::Async/>
                    <Route path=path!("/checkout/success") view=shop::OrderResultPage ssr=SsrMode::Async/>
                    <Route path=path!("/checkout/failed") view=shop::OrderResultPage ssr=SsrMode::Async/>
                    <Route path=path!("/checkout/new/:slug") view=checkout::NewCheckoutPage ssr=SsrMode::Async/>
                    <Route path=path!("/checkout/:number") view=checkout::CheckoutPage ssr=SsrMode::Async/>
                    <Route path=path!("/orders/:number") view=checkout::OrderPage ssr=SsrMode::Async/>
                    <Route path=path!("/practitioner/orders") view=checkout::PractitionerOrdersPage ssr=SsrMode::Async/>
                    <Route path=path!("/sandbox/checkout/:id") view=shop::SandboxCheckoutPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <layout::SiteFooter/>
        </Router>
    }
}
