//! The browser assets by their content-hashed names, and the script that loads the
//! WASM only on pages that have islands.
//!
//! `scripts/common.sh` (`build_site`) names each file in `pkg/` after a hash of its
//! content and lists the names in `pkg/assets.json`; the server reads that list once.
//! A changed file gets a new name, so every asset can be cached for a year.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    Js,
    Wasm,
    /// The bundle of the work areas (`/admin`, `/onboarding`, `/practitioner`): every island, built with
    /// the `workspace` feature.
    WorkspaceJs,
    WorkspaceWasm,
    Css,
}

impl Asset {
    /// The name before hashing, which is also what a build without hashing serves.
    fn plain_name(self) -> &'static str {
        match self {
            Asset::Js => "attune.js",
            Asset::Wasm => "attune_bg.wasm",
            Asset::WorkspaceJs => "attune_workspace.js",
            Asset::WorkspaceWasm => "attune_workspace_bg.wasm",
            Asset::Css => "attune.css",
        }
    }
}

#[cfg(feature = "ssr")]
mod manifest {
    use super::Asset;
    use std::collections::HashMap;
    use std::sync::OnceLock;

    static NAMES: OnceLock<HashMap<String, String>> = OnceLock::new();

    /// Reads `<site_root>/pkg/assets.json`; without it (a development build) the plain
    /// names are served.
    pub fn load(site_root: &str) {
        NAMES.get_or_init(|| {
            let path = std::path::Path::new(site_root).join("pkg").join("assets.json");
            match std::fs::read_to_string(&path) {
                Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                    tracing::error!(path = %path.display(), error = %e, "asset list unreadable; serving plain names");
                    HashMap::new()
                }),
                Err(_) => HashMap::new(),
            }
        });
    }

    pub fn name(asset: Asset) -> String {
        let plain = asset.plain_name();
        NAMES.get().and_then(|m| m.get(plain).cloned()).unwrap_or_else(|| plain.to_owned())
    }
}

#[cfg(feature = "ssr")]
pub use manifest::load;

/// The URL path of `asset`.
pub fn asset_path(asset: Asset) -> String {
    #[cfg(feature = "ssr")]
    let name = manifest::name(asset);
    #[cfg(not(feature = "ssr"))]
    let name = asset.plain_name();
    format!("/pkg/{name}")
}

/// Loads the JS glue and WASM, then hydrates every `<leptos-island>` on the page, and
/// marks `<body data-hydrated>` when done (browser tests wait for it). A page without
/// islands downloads neither file and is marked at once: there is nothing to wait for. Pages of the work areas (`/admin…`, `/onboarding…`,
/// `/practitioner…`) and of checkout and orders (`/checkout…`, `/orders…`) load the workspace bundle, which holds their islands as well as everyone's; every
/// other page loads the small one. The text avoids `<` and `&`, which must not appear
/// raw inside a script element.
const BOOT: &str = r#"(async (js, wasm, workspaceJs, workspaceWasm) => {
  const islands = document.querySelectorAll("leptos-island");
  if (islands.length === 0) {
    document.body.dataset.hydrated = "true";
    return;
  }
  if (/^[/](admin|onboarding|practitioner|checkout|orders)([/]|$)/.test(location.pathname)) {
    js = workspaceJs;
    wasm = workspaceWasm;
  }
  const mod = await import(js);
  await mod.default({ module_or_path: wasm });
  mod.hydrate();
  for (const el of islands) {
    const run = mod[el.dataset.component];
    if (run) run(el); else console.error("no WASM function for island " + el.dataset.component);
  }
  document.body.dataset.hydrated = "true";
})"#;

/// Replaces Leptos' `HydrationScripts` in islands mode: the same hydration, with the
/// hashed asset names and no download on pages that have nothing to hydrate.
#[component]
pub fn IslandScripts() -> impl IntoView {
    // Outside islands nothing is hydrated, so resources need not send their data.
    if let Some(shared) = Owner::current_shared_context() {
        shared.set_is_hydrating(false);
    }
    let nonce = leptos::nonce::use_nonce();
    let call = format!(
        "{BOOT}({:?}, {:?}, {:?}, {:?});",
        asset_path(Asset::Js),
        asset_path(Asset::Wasm),
        asset_path(Asset::WorkspaceJs),
        asset_path(Asset::WorkspaceWasm)
    );
    view! { <script type="module" nonce=nonce>{call}</script> }
}
