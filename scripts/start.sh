#!/usr/bin/env bash
# Installs what is missing, builds Pincer (web UI included) and starts it: the desktop app
# when there is a display, otherwise the headless daemon with its web UI, printing the
# address and a one-time login link. PINCER_HEADLESS=1 starts the daemon even on a desktop.
# Arguments go to `pincer daemon` (e.g. --listen 127.0.0.1:8080) or to the app.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PINCER_ROOT"

target="${CARGO_TARGET_DIR:-$PINCER_ROOT/target}"
if has_display && [ "${PINCER_HEADLESS:-}" != 1 ]; then
  ensure_desktop_build_deps
  build_ui
  say "building the Pincer desktop app (release)"
  cargo build --release --locked -p pincer-app -p pincer-cli
  ensure_default_model "$target/release/pincer"
  exec "$target/release/pincer-app" "$@"
fi

ensure_build_deps
build_ui
say "building pincer (release)"
cargo build --release --locked -p pincer-cli
bin="$target/release/pincer"
ensure_default_model "$bin"
exec "$bin" daemon "$@"
