# Shared by scripts/run and scripts/test: install what is missing (quietly when it is
# already there) and build the site. Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CACHE=${ATTUNE_CACHE_DIR:-$HOME/.cache/attune}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}
export SQLX_OFFLINE=true
TOOLS=$CACHE/tools
WASM_BINDGEN_VERSION=0.2.130
BINARYEN_VERSION=132.0.0
SITE=$ROOT/target/site

# Each step says when it started, counted from the script's start, so a slow step shows.
say() { printf '==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

# Runs a command, showing its output only when it fails.
quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out waiting for $what" >&2
      return 1
    fi
    sleep 0.5
  done
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

http_ok() {
  node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))" "$1"
}

# Secrets that every process of one deployment must share, made up once when the
# environment does not give them: the sandbox payment provider's signing secret (each
# process would otherwise pick its own, and events signed by one would not verify in
# another) and the key that seals the links the email outbox holds until delivery
# (what one process sealed, another must open).
export_shared_secrets() {
  export SANDBOX_WEBHOOK_SECRET=${SANDBOX_WEBHOOK_SECRET:-whsec_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}
  export OUTBOX_KEY=${OUTBOX_KEY:-$(head -c 32 /dev/urandom | base64)}
}

APT_UPDATED=
apt_install() {
  local sudo=
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "Please install: $*" >&2; exit 1; }
    sudo=sudo
  fi
  say "installing $* (Debian packages)"
  if [ -z "$APT_UPDATED" ]; then
    quietly $sudo apt-get update
    APT_UPDATED=1
  fi
  quietly $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

ensure_cargo() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || { echo "Rust is needed: install it from https://rustup.rs" >&2; exit 1; }
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    quietly rustup target add wasm32-unknown-unknown
  fi
  command -v cc >/dev/null || apt_install build-essential
}

ensure_wasm_bindgen() {
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
    quietly cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
}

# wasm-opt from npm's binaryen: Debian's older binaryen produces WASM that never hydrates.
ensure_wasm_opt() {
  ensure_node
  if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
    say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
    mkdir -p "$TOOLS"
    quietly npm install --prefix "$TOOLS" --no-audit --no-fund "binaryen@$BINARYEN_VERSION"
  fi
  export PATH="$TOOLS/node_modules/.bin:$PATH"
}

ensure_postgres_binaries() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
    apt_install postgresql
  fi
}

# The HTML validator (vnu-jar) runs on Java.
ensure_java() {
  command -v java >/dev/null 2>&1 || apt_install default-jre-headless
}

# A PyPI tool in a virtualenv of its own under $TOOLS, installed once:
# pip_tool <dir name> <pip requirement> <file that proves it is installed> [check command]
pip_tool() {
  local venv=$TOOLS/$1 requirement=$2 proof=$3 check=${4:-true}
  if [ ! -x "$venv/$proof" ] || ! (cd "$venv" && eval "$check") >/dev/null 2>&1; then
    say "installing $requirement (PyPI, once)"
    python3 -c 'import venv' 2>/dev/null || apt_install python3-venv
    rm -rf "$venv"
    quietly python3 -m venv "$venv"
    quietly "$venv/bin/pip" install --disable-pip-version-check "$requirement"
  fi
}

# localstripe: the offline stand-in for Stripe that the Stripe provider's tests run
# against (tests/stripe). Exports LOCALSTRIPE_PYTHON.
LOCALSTRIPE_VERSION=1.15.10
ensure_localstripe() {
  pip_tool "localstripe-$LOCALSTRIPE_VERSION" "localstripe==$LOCALSTRIPE_VERSION" bin/python "bin/python -c 'import localstripe'"
  export LOCALSTRIPE_PYTHON=$TOOLS/localstripe-$LOCALSTRIPE_VERSION/bin/python
}

# moto in server mode: a real S3 API on loopback, for the tests of the S3 storage path.
# Exports MOTO_SERVER.
MOTO_VERSION=5.2.5
ensure_moto() {
  pip_tool "moto-$MOTO_VERSION" "moto[server]==$MOTO_VERSION" bin/moto_server
  export MOTO_SERVER=$TOOLS/moto-$MOTO_VERSION/bin/moto_server
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

# The load balancer the browser tests go through (scripts/balanced). Exports HAPROXY
# (Debian puts it in /usr/sbin, which is not on every user's PATH).
ensure_haproxy() {
  HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
  [ -x "$HAPROXY" ] || apt_install haproxy
  export HAPROXY
}

# Builds the hydration bundle (WASM + JS glue), the stylesheet and the static assets
# into target/site, exactly where Leptos.toml tells the server to look.
build_site() {
  ensure_wasm_bindgen
  ensure_wasm_opt
  say "building the browser bundle"
  mkdir -p "$SITE/pkg"
  local wasm=$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/attune.wasm
  # Two bundles from the same crate: the small one every page loads, and the work areas'
  # one (`workspace` feature) with their islands too. Each build leaves its own copy
  # beside the one cargo overwrites, and wasm-bindgen and wasm-opt (~30 s each) are
  # skipped for a bundle that is already current.
  local name features
  for name in attune attune_workspace; do
    features=hydrate
    [ "$name" = attune_workspace ] && features=workspace
    cargo build -q --lib --target wasm32-unknown-unknown --no-default-features --features "$features" --profile wasm-release
    local copy=${wasm%/*}/bundle-$name.wasm
    if [ ! -f "$copy" ] || ! cmp -s "$wasm" "$copy"; then
      cp "$wasm" "$copy"
    fi
    if [ ! -f "$SITE/pkg/$name.js" ] || [ "$copy" -nt "$SITE/pkg/${name}_bg.wasm" ]; then
      quietly wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name "$name" "$copy"
      quietly wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
        "$SITE/pkg/${name}_bg.wasm" -o "$SITE/pkg/${name}_bg.wasm"
    fi
  done
  cp style/main.css "$SITE/pkg/attune.css"
  cp -R public/. "$SITE/"
  if [ ! -f scripts/site/node_modules/.package-lock.json ] || [ scripts/site/package-lock.json -nt scripts/site/node_modules/.package-lock.json ]; then
    say "installing the asset tools"
    (cd scripts/site && quietly npm ci --no-audit --no-fund)
  fi
  quietly node scripts/site/finish.mjs "$SITE"
}

# Builds the server binary and makes it reachable as target/<profile>/attune.
# build_server PROFILE: the server binary, with the benchmark examples in the same cargo
# call, so the library is compiled once for all of them (examples bring the
# dev-dependencies' features, and a separate call would compile the library a second
# time with those). scripts/run and scripts/test build with this one call, so whichever
# runs second finds everything built.
build_server() {
  local profile=$1
  say "building the server ($profile)"
  if [ "$profile" = release ]; then
    cargo build -q --release --features ssr --bin attune --examples
  else
    cargo build -q --features ssr --bin attune --examples
  fi
  if [ "$CARGO_TARGET_DIR" != "$ROOT/target" ]; then
    # A real folder here is left over from a build with the default target dir.
    [ -L "$ROOT/target/$profile" ] || rm -rf "$ROOT/target/$profile"
    ln -sfn "$CARGO_TARGET_DIR/$profile" "$ROOT/target/$profile"
  fi
}
