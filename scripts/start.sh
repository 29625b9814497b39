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
  if ! "$target/release/pincer" doctor >/dev/null 2>&1; then
    say "no working model provider yet: pick one in Settings"
  fi
  exec "$target/release/pincer-app" "$@"
fi

ensure_build_deps
build_ui
say "building pincer (release)"
cargo build --release --locked -p pincer-cli
bin="$target/release/pincer"

if ! "$bin" doctor >/dev/null 2>&1; then
  say "no working model provider yet: pick one in Settings in the web UI, or set PINCER_PROVIDER and friends (docs/configuration.md)"
fi
exec "$bin" daemon "$@"
