#!/usr/bin/env bash
# Installs what is missing, builds Pincer and starts it: `pincer chat` in this terminal.
# Arguments are passed to `pincer chat` (e.g. --session work).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PINCER_ROOT"

ensure_build_deps
say "building pincer (release)"
cargo build --release --locked -p pincer-cli
bin="$PINCER_ROOT/target/release/pincer"
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/release/pincer"

if ! "$bin" doctor >/dev/null 2>&1; then
  "$bin" doctor || true
  cat >&2 <<'HELP'

pincer: no working model provider yet. Point Pincer at one, for example:
  export PINCER_PROVIDER=deepseek DEEPSEEK_API_KEY=sk-...           # a vendor preset
  export PINCER_PROVIDER=openai PINCER_BASE_URL=http://127.0.0.1:8080/v1 PINCER_MODEL=...  # any OpenAI-compatible server
or add [[providers]] to config.toml (see docs/configuration.md), then run this again.
HELP
  exit 1
fi
exec "$bin" chat "$@"
