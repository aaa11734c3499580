//! The wizard's input: checked as it is typed, with where a call-centre value came from.

use super::PrefillNote;
use crate::domain::AppError;
use crate::domain::wizard;
use leptos::prelude::*;

/// An input checked as it is typed with the server's own rule for the field, showing the
/// server's answer when the page comes back with one, and, for a value the call centre
/// supplied, where it came from and a box to confirm it.
#[component]
pub(super) fn WizardField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(into)] value: String,
    error: RwSignal<Option<AppError>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] notes: Vec<PrefillNote>,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] readonly: bool,
    #[prop(default = 2100)] year: i16,
) -> impl IntoView {
    let local = RwSignal::new(None::<String>);
    let count = RwSignal::new(value.chars().count());
    let check = move |raw: String| {
        count.set(raw.chars().count());
        local.set(wizard::problem(name, &raw, year));
    };
    let server = move || error.get().filter(|e| e.field() == Some(name)).map(|e| e.to_string());
    let message = move || local.get().or_else(server);
    let note = notes.into_iter().find(|n| n.field == name);
    let mut described = vec![format!("{name}-error")];
    if !hint.is_empty() {
        described.push(format!("{name}-hint"));
    }
    if note.is_some() {
        described.push(format!("{name}-source"));
    }
    let described = described.join(" ");
    let input = if multiline {
        view! {
            <textarea id=name name=name rows="10" aria-describedby=described.clone()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                on:blur=move |ev| check(event_target_value(&ev))
                on:input=move |ev| { let v = event_target_value(&ev); if local.get_untracked().is_some() { check(v) } else { count.set(v.chars().count()) } }
            >{value.clone()}</textarea>
            <p class="field-hint" aria-live="polite">{move || format!("{} characters", count.get())}</p>
        }
        .into_any()
    } else {
        view! {
            <input id=name name=name type=kind autocomplete=autocomplete value=value.clone() readonly=readonly
                aria-describedby=described.clone()
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                on:blur=move |ev| check(event_target_value(&ev))
                on:input=move |ev| if local.get_untracked().is_some() { check(event_target_value(&ev)) }
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {(!hint.is_empty()).then(|| view! { <p class="field-hint" id=format!("{name}-hint")>{hint}</p> })}
            {input}
            {note.map(|n| {
                let confirm = format!("confirm_{name}");
                view! {
                    <p class="prefill-note" id=format!("{name}-source")>
                        "From the "{n.source.clone()}{n.confirmed.then_some(" · confirmed by you")}
                    </p>
                    {(!n.confirmed).then(|| view! {
                        <div class="field checkbox">
                            <input type="checkbox" id=confirm.clone() name=confirm.clone() value="on"/>
                            <label for=confirm>{format!("This {} is correct", label.to_lowercase())}</label>
                        </div>
                    })}
                }
            })}
            <p class="field-error" id=format!("{name}-error") aria-live="polite">{message}</p>
        </div>
    }
}
