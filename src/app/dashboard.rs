use crate::api::auth::{ChangePassword, SignOutEverywhere, UpdateProfile, get_profile};
use crate::app::components::{
    ErrorPanel, Field, FormAlert, Notice, PageMeta, Skeleton, Submit, action_error, action_ok, short_utc,
};
use crate::domain::profile::TIME_ZONES;
use crate::domain::types::Profile;
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let change_password = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let profile = Resource::new(move || update.version().get(), |_| get_profile());
    view! {
        <PageMeta title="Your dashboard" description="Your Attune account: profile, account number and security settings."/>
        <div class="container section">
            <h1>"Your dashboard"</h1>
            <Suspense fallback=|| view! { <div class="card"><Skeleton lines=5/></div> }>
                {move || Suspend::new(async move {
                    match profile.await {
                        Ok(p) => view! { <ProfileCard profile=p update/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <SecurityCard change_password everywhere/>
        </div>
    }
}

#[component]
fn ProfileCard(profile: Profile, update: ServerAction<UpdateProfile>) -> impl IntoView {
    let error = action_error(update);
    let saved = action_ok(update);
    let zone = profile.time_zone.clone();
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <div class="card-head">
                <h2 id="profile-heading">"Profile"</h2>
                <p class="account-code">"Account number "<strong data-testid="user-code">{profile.code.to_string()}</strong></p>
            </div>
            <p class="muted">{profile.email.clone()}" · member since "{short_utc(&profile.member_since)}</p>
            <Notice show=saved message="Profile saved."/>
            <FormAlert error/>
            <ActionForm action=update attr:class="stack" attr:novalidate="">
                <Field label="Name" name="name" autocomplete="name" value=profile.name.clone() error required=true maxlength=100/>
                <Field label="Phone (optional)" name="phone" kind="tel" autocomplete="tel" value=profile.phone.clone().unwrap_or_default() error hint="International format, e.g. +44 20 7946 0958."/>
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
        </section>
    }
}

#[component]
fn SecurityCard(
    change_password: ServerAction<ChangePassword>,
    everywhere: ServerAction<SignOutEverywhere>,
) -> impl IntoView {
    let pw_error = action_error(change_password);
    let pw_ok = action_ok(change_password);
    let all_error = action_error(everywhere);
    let all_ok = action_ok(everywhere);
    view! {
        <section class="card" aria-labelledby="security-heading">
            <h2 id="security-heading">"Security"</h2>
            <h3>"Change password"</h3>
            <Notice show=pw_ok message="Password changed. Your other sessions have been signed out."/>
            <FormAlert error=pw_error/>
            <ActionForm action=change_password attr:class="stack" attr:novalidate="">
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=pw_error required=true/>
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" error=pw_error required=true hint="At least 10 characters."/>
                <Submit label="Change password" busy_label="Changing…" pending=change_password.pending()/>
            </ActionForm>
            <h3>"Sessions"</h3>
            <p class="muted">"Lost a device or used a shared computer? Sign out of every other browser; this one stays signed in."</p>
            <Notice show=all_ok message="All other sessions have been signed out."/>
            <FormAlert error=all_error/>
            <ActionForm action=everywhere>
                <Submit label="Sign out everywhere else" busy_label="Signing out…" pending=everywhere.pending() secondary=true/>
            </ActionForm>
        </section>
    }
}
