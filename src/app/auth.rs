use crate::api::auth::{
    ConfirmSignUp, LogIn, RequestPasswordReset, RequestPhoneCode, ResetPassword, SignUp, VerifyPhoneCode,
};
use crate::app::components::{
    Field, FormAlert, Notice, PageMeta, PostForm, Submission, Submit, endpoint, posted_error,
};
use crate::domain::password::{PASSWORD_MAX, PASSWORD_MIN};
use crate::domain::{AppError, Password};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A password input with a show/hide toggle and, for new passwords, the same policy
/// check the server runs, as the person types.
#[component]
fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] check_policy: bool,
) -> impl IntoView {
    let (visible, set_visible) = signal(false);
    let (hint, set_hint) = signal(None::<String>);
    // The toggle needs the WASM, so it appears only once the page is interactive.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let server_message = move || error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let message = move || server_message().or_else(|| hint.get());
    let hint_text = if check_policy {
        format!("At least {PASSWORD_MIN} characters. A long phrase is easiest to remember.")
    } else {
        String::new()
    };
    let has_hint = check_policy;
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {has_hint.then(|| view! { <p class="field-hint" id=format!("{name}-hint")>{hint_text.clone()}</p> })}
            <div class="password-row">
                <input
                    id=name
                    name=name
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required=true
                    maxlength=PASSWORD_MAX
                    aria-invalid=move || if message().is_some() { "true" } else { "false" }
                    aria-describedby=if has_hint { format!("{name}-hint {name}-error") } else { format!("{name}-error") }
                    on:input=move |ev| {
                        if check_policy {
                            let value = event_target_value(&ev);
                            set_hint.set(if value.is_empty() { None } else { Password::parse_new(&value, name, None).err().map(|e| e.message) });
                        }
                    }
                />
                {move || {
                    hydrated.get().then(|| {
                        view! {
                            <button
                                type="button"
                                class="btn btn-ghost toggle"
                                aria-controls=name
                                aria-pressed=move || if visible.get() { "true" } else { "false" }
                                on:click=move |_| set_visible.update(|v| *v = !*v)
                            >
                                {move || if visible.get() { "Hide password" } else { "Show password" }}
                            </button>
                        }
                    })
                }}
            </div>
            <p class="field-error" id=format!("{name}-error") aria-live="polite">{message}</p>
        </div>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = query.read_untracked().get("next").unwrap_or_default();
    let reset_done = query.read_untracked().get("reset").is_some();
    let error = posted_error::<LogIn, ()>();
    view! {
        <PageMeta title="Log in" description="Log in to Attune to manage your bookings, credits and account."/>
        <section class="auth-card card">
            <h1>"Log in"</h1>
            <Notice show=reset_done message="Your password has been changed. Log in with your new password."/>
            <LoginForm next error/>
            <p class="muted"><a href="/forgot-password">"Forgot your password?"</a></p>
            <p class="muted">"Practitioner? "<a href="/login/phone">"Sign in with your phone"</a></p>
            <p class="muted">"New to Attune? "<a href="/signup">"Create an account"</a></p>
        </section>
    }
}

#[island]
fn LoginForm(next: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<LogIn>()} state class="stack">
            <input type="hidden" name="next" value=next/>
            <Field label="Email" name="email" kind="email" autocomplete="email" error required=true/>
            <PasswordField label="Password" name="password" autocomplete="current-password" error/>
            <Submit label="Log in" busy_label="Logging in…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let sent = use_query_map().read_untracked().get("sent").is_some();
    let error = posted_error::<SignUp, ()>();
    view! {
        <PageMeta title="Create your account" description="Create a free Attune account to book sessions and buy credits."/>
        <section class="auth-card card">
            <h1>"Create your account"</h1>
            <Notice show=sent message="Check your inbox: we have sent that address an email. Open the link in it to finish creating your account; it works for 24 hours."/>
            <SignupForm error/>
            <p class="muted">"Already have an account? "<a href="/login">"Log in"</a></p>
        </section>
    }
}

#[island]
fn SignupForm(error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    // The browser's zone, once hydrated; without JavaScript the account starts in UTC
    // and the person can choose their zone in the profile.
    let zone = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move || {
        if let Some(z) = browser_time_zone() {
            zone.set(z);
        }
    });
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<SignUp>()} state class="stack">
            <input type="hidden" name="time_zone" prop:value=move || zone.get()/>
            <Field label="Your name" name="name" autocomplete="name" error required=true maxlength=100/>
            <Field label="Email" name="email" kind="email" autocomplete="email" error required=true maxlength=254/>
            <PasswordField label="Password" name="password" autocomplete="new-password" error check_policy=true/>
            <Submit label="Create account" busy_label="Creating your account…" pending=state.pending/>
        </PostForm>
    }
}

/// Where the link of a sign-up email lands: one button makes the account, so a mail
/// scanner that opens links makes nothing.
#[component]
pub fn ConfirmSignupPage() -> impl IntoView {
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    let error = posted_error::<ConfirmSignUp, ()>();
    view! {
        <PageMeta title="Finish creating your account" description="Confirm your email address to finish creating your Attune account."/>
        <section class="auth-card card">
            <h1>"Finish creating your account"</h1>
            <p class="muted">"Your email address is confirmed by this link. Create the account to sign in."</p>
            <ConfirmSignupForm token error/>
            <p class="muted"><a href="/signup">"Sign up again"</a></p>
        </section>
    }
}

#[island]
fn ConfirmSignupForm(token: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    // The one field is hidden, so every refusal is shown above the button.
    let message = move || error.get().map(|e| e.to_string());
    view! {
        <div role="alert" class="alert-slot">
            {move || message().map(|m| view! { <p class="alert alert-error">{m}</p> })}
        </div>
        <PostForm action={endpoint::<ConfirmSignUp>()} state class="stack">
            <input type="hidden" name="token" value=token/>
            <Submit label="Create my account" busy_label="Creating your account…" pending=state.pending/>
        </PostForm>
    }
}

/// The IANA zone the browser runs in: `Intl.DateTimeFormat().resolvedOptions().timeZone`.
#[cfg(feature = "hydrate")]
fn browser_time_zone() -> Option<String> {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen]
    extern "C" {
        type DateTimeFormat;
        #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
        fn date_time_format() -> DateTimeFormat;
        type ResolvedOptions;
        #[wasm_bindgen(method, js_name = resolvedOptions)]
        fn resolved_options(this: &DateTimeFormat) -> ResolvedOptions;
        #[wasm_bindgen(method, getter, js_name = timeZone)]
        fn time_zone(this: &ResolvedOptions) -> Option<String>;
    }
    date_time_format().resolved_options().time_zone()
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let sent = use_query_map().read_untracked().get("sent").is_some();
    let error = posted_error::<RequestPasswordReset, ()>();
    view! {
        <PageMeta title="Reset your password" description="Get a link to choose a new Attune password."/>
        <section class="auth-card card">
            <h1>"Reset your password"</h1>
            <p class="muted">"Enter the email address of your account and we will send you a link to choose a new password. The link works once, for 30 minutes."</p>
            <Notice show=sent message="If an account exists for that address, we have sent it a reset link. Check your inbox."/>
            <ForgotPasswordForm error/>
            <p class="muted"><a href="/login">"Back to log in"</a></p>
        </section>
    }
}

#[island]
fn ForgotPasswordForm(error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<RequestPasswordReset>()} state class="stack">
            <Field label="Email" name="email" kind="email" autocomplete="email" error required=true/>
            <Submit label="Send reset link" busy_label="Sending…" pending=state.pending/>
        </PostForm>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    let error = posted_error::<ResetPassword, ()>();
    view! {
        <PageMeta title="Choose a new password" description="Choose a new password for your Attune account."/>
        <section class="auth-card card">
            <h1>"Choose a new password"</h1>
            <ResetPasswordForm token error/>
            <p class="muted"><a href="/forgot-password">"Ask for a new link"</a></p>
        </section>
    }
}

#[island]
fn ResetPasswordForm(token: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<ResetPassword>()} state class="stack">
            <input type="hidden" name="token" value=token/>
            <PasswordField label="New password" name="password" autocomplete="new-password" error check_policy=true/>
            <Submit label="Save new password" busy_label="Saving…" pending=state.pending/>
        </PostForm>
    }
}

/// Practitioners sign in with a code sent to their phone: first the number, then the
/// code (with the number carried in the address, so a reload keeps the place).
#[component]
pub fn PhoneLoginPage() -> impl IntoView {
    let query = use_query_map();
    let phone = query.read_untracked().get("phone").unwrap_or_default();
    let sent = query.read_untracked().get("sent").is_some();
    let request_error = posted_error::<RequestPhoneCode, ()>();
    let verify_error = posted_error::<VerifyPhoneCode, ()>();
    let minutes = crate::domain::otp::VALID_MINUTES;
    view! {
        <PageMeta title="Sign in with your phone" description="Practitioners sign in to Attune with a one-time code sent to their phone."/>
        <section class="auth-card card">
            <h1>"Sign in with your phone"</h1>
            {if phone.is_empty() {
                view! {
                    <p class="muted">"For practitioners. We will text you a 6-digit code; no password needed. New here? The same code opens your account."</p>
                    <PhoneNumberForm error=request_error/>
                }.into_any()
            } else {
                view! {
                    <Notice show=sent message="We have sent you a code by text message."/>
                    <p>"Enter the code sent to "<strong>{phone.clone()}</strong>". It works for "{minutes}" minutes."</p>
                    <PhoneCodeForm phone=phone.clone() error=verify_error/>
                    <PhoneResendForm phone=phone.clone() error=request_error/>
                    <p class="muted"><a href="/login/phone">"Use a different number"</a></p>
                }.into_any()
            }}
            <p class="muted"><a href="/login">"Sign in with email and password instead"</a></p>
        </section>
    }
}

#[island]
fn PhoneNumberForm(error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<RequestPhoneCode>()} state class="stack">
            <Field label="Mobile number" name="phone" kind="tel" autocomplete="tel" error required=true maxlength=24
                hint="In international form, with + and the country code, e.g. +91 98765 43210."/>
            <Submit label="Text me a code" busy_label="Sending…" pending=state.pending/>
        </PostForm>
    }
}

#[island]
fn PhoneCodeForm(phone: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<VerifyPhoneCode>()} state class="stack">
            <input type="hidden" name="phone" value=phone/>
            <Field label="Code" name="code" kind="text" autocomplete="one-time-code" error required=true maxlength=9/>
            <Submit label="Sign in" busy_label="Checking…" pending=state.pending/>
        </PostForm>
    }
}

#[island]
fn PhoneResendForm(phone: String, error: Option<AppError>) -> impl IntoView {
    let state = Submission::new(error);
    let error = state.error;
    view! {
        <FormAlert error/>
        <PostForm action={endpoint::<RequestPhoneCode>()} state class="inline-form">
            <input type="hidden" name="phone" value=phone/>
            <Submit label="Send a new code" busy_label="Sending…" pending=state.pending secondary=true/>
        </PostForm>
    }
}
