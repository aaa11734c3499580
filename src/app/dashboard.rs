use crate::api::auth::{ChangePassword, SignOutEverywhere, UpdateProfile, get_profile};
use crate::app::components::{
    ErrorPanel, Field, FormAlert, Notice, PageMeta, Skeleton, Submit, action_ok, island_error, posted_error, short_utc,
};
use crate::domain::AppError;
use crate::domain::profile::TIME_ZONES;
use crate::domain::types::Profile;
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_profile());
    view! {
        <PageMeta title="Your dashboard" description="Your Attune account: profile, account number and security settings."/>
        <div class="container section">
            <h1>"Your dashboard"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=5/></div> }>
                {move || Suspend::new(async move {
                    match profile.await {
                        Ok(p) => view! { <ProfileCard profile=p/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <SecurityCard/>
        </div>
    }
}

#[component]
fn ProfileCard(profile: Profile) -> impl IntoView {
    let error = posted_error::<UpdateProfile, ()>();
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <div class="card-head">
                <h2 id="profile-heading">"Profile"</h2>
                <p class="account-code">"Account number "<strong data-testid="user-code">{profile.code.to_string()}</strong></p>
            </div>
            <p class="muted">{profile.email.clone()}" · member since "{short_utc(&profile.member_since)}</p>
            <ProfileForm name=profile.name phone=profile.phone.unwrap_or_default() zone=profile.time_zone error/>
        </section>
    }
}

#[island]
fn ProfileForm(name: String, phone: String, zone: String, error: Option<AppError>) -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let error = island_error(update, error);
    let saved = action_ok(update);
    view! {
        <Notice show=saved message="Profile saved."/>
        <FormAlert error/>
        <ActionForm action=update attr:class="stack" attr:novalidate="">
            <Field label="Name" name="name" autocomplete="name" value=name error required=true maxlength=100/>
            <Field label="Phone (optional)" name="phone" kind="tel" autocomplete="tel" value=phone error hint="International format, e.g. +44 20 7946 0958."/>
            <div class="field">
                <label for="time_zone">"Time zone"</label>
                <select id="time_zone" name="time_zone">
                    {TIME_ZONES.iter().map(|z| {
                        let selected = *z == zone;
                        view! { <option value=*z selected=selected>{z.replace('_', " ")}</option> }
                    }).collect_view()}
                </select>
            </div>
            <Submit label="Save profile" busy_label="Saving…" pending=update.pending()/>
        </ActionForm>
    }
}

#[component]
fn SecurityCard() -> impl IntoView {
    let pw_error = posted_error::<ChangePassword, ()>();
    let all_error = posted_error::<SignOutEverywhere, ()>();
    view! {
        <section class="card" aria-labelledby="security-heading">
            <h2 id="security-heading">"Security"</h2>
            <h3>"Change password"</h3>
            <ChangePasswordForm error=pw_error/>
            <h3>"Sessions"</h3>
            <p class="muted">"Lost a device or used a shared computer? Sign out of every other browser; this one stays signed in."</p>
            <SignOutEverywhereForm error=all_error/>
        </section>
    }
}

#[island]
fn ChangePasswordForm(error: Option<AppError>) -> impl IntoView {
    let change_password = ServerAction::<ChangePassword>::new();
    let error = island_error(change_password, error);
    let done = action_ok(change_password);
    view! {
        <Notice show=done message="Password changed. Your other sessions have been signed out."/>
        <FormAlert error/>
        <ActionForm action=change_password attr:class="stack" attr:novalidate="">
            <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error required=true/>
            <Field label="New password" name="new_password" kind="password" autocomplete="new-password" error required=true hint="At least 10 characters."/>
            <Submit label="Change password" busy_label="Changing…" pending=change_password.pending()/>
        </ActionForm>
    }
}

#[island]
fn SignOutEverywhereForm(error: Option<AppError>) -> impl IntoView {
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let error = island_error(everywhere, error);
    let done = action_ok(everywhere);
    view! {
        <Notice show=done message="All other sessions have been signed out."/>
        <FormAlert error/>
        <ActionForm action=everywhere>
            <Submit label="Sign out everywhere else" busy_label="Signing out…" pending=everywhere.pending() secondary=true/>
        </ActionForm>
    }
}
