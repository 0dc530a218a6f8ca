#!/usr/bin/env bash
# The README's demo: a webhook receiver, the daemon with an embedded NATS on the shipped
# config/, one published SMS delivery report, and the callback arriving at the receiver.
# Then the daemon keeps running in the foreground (Ctrl-C stops everything).
#
#   scripts/demo.sh          run the demo and keep it running
#   scripts/demo.sh --once   stop once the callback has arrived (exit 0), or fail (exit 1)
#
# Environment (all optional; the test uses them so it never touches the default ports):
#   CALLBACK_ROUTER_CONFIG  settings file (default config/callback-router.json); the status
#                           server's host and port are read from it
#   NATS_URL                NATS to use, or to start when nothing answers there
#                           (default: the settings' first server, nats://127.0.0.1:4222)
#   DEMO_RECEIVER_PORT      port of the demo receiver (default 8788, where the shipped
#                           profiles deliver)
#   CALLBACK_ROUTER_CLI     how to run the CLI (default: node dist/core/cli.js, built first
#                           when missing)
#   DEMO_API_KEY, DEMO_AES_KEY, DEMO_WHSEC
#                           the secrets the shipped profiles read (demo values by default)
#   DEMO_TIMEOUT_SECONDS    how long to wait for readiness and for the callback (default 90)
set -euo pipefail
cd "$(dirname "$0")/.."

once=false
case "${1:-}" in
  --once) once=true ;;
  "") ;;
  -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: scripts/demo.sh [--once]" >&2; exit 2 ;;
esac

export CALLBACK_ROUTER_CONFIG="${CALLBACK_ROUTER_CONFIG:-config/callback-router.json}"
export DEMO_API_KEY="${DEMO_API_KEY:-demo-api-key}"
export DEMO_AES_KEY="${DEMO_AES_KEY:-demo-aes-256-key-0123456789abcde}"
export DEMO_WHSEC="${DEMO_WHSEC:-whsec_ZGVtby13ZWJob29rLXNpZ25pbmctc2VjcmV0IQ==}"
receiver_port="${DEMO_RECEIVER_PORT:-8788}"
timeout="${DEMO_TIMEOUT_SECONDS:-90}"

if [ -n "${CALLBACK_ROUTER_CLI:-}" ]; then
  read -r -a cli <<<"$CALLBACK_ROUTER_CLI"
else
  if [ ! -f dist/core/cli.js ]; then
    echo "demo: building (npm run build)" >&2
    npm run --silent build
  fi
  cli=(node dist/core/cli.js)
fi

# Where /readyz answers: the settings' status host and port.
status_url=$(node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).status || {}
  const h = s.host || "127.0.0.1"
  const host = h === "0.0.0.0" ? "127.0.0.1" : h === "::" ? "[::1]" : h.includes(":") ? `[${h}]` : h
  process.stdout.write(`http://${host}:${s.port ?? 8787}`)
' "$CALLBACK_ROUTER_CONFIG")

work=$(mktemp -d "${TMPDIR:-/tmp}/callback-router-demo.XXXXXX")
receiver_log="$work/receiver.log"
daemon_log="$work/daemon.log"
receiver_pid=""
daemon_pid=""
tail_pid=""

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '%sdemo:%s %s\n' "$bold" "$plain" "$*"; }

stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  # The daemon lets in-flight deliveries finish, then stops its embedded nats-server.
  for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null
  stop_pid "$daemon_pid"
  stop_pid "$receiver_pid"
  if [ "$status" != 0 ] && [ "$status" != 130 ]; then
    echo "--- daemon log ($daemon_log) ---" >&2
    tail -n 40 "$daemon_log" >&2 2>/dev/null || true
    echo "--- receiver log ($receiver_log) ---" >&2
    tail -n 40 "$receiver_log" >&2 2>/dev/null || true
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() { echo "demo: $*" >&2; exit 1; }

# 1. The receiver the shipped profiles deliver to.
say "starting the demo receiver on 127.0.0.1:$receiver_port"
"${cli[@]}" demo-receiver --port "$receiver_port" >"$receiver_log" 2>&1 &
receiver_pid=$!
deadline=$((SECONDS + timeout))
until grep -q 'listening on' "$receiver_log" 2>/dev/null; do
  kill -0 "$receiver_pid" 2>/dev/null || fail "the demo receiver did not start"
  [ "$SECONDS" -lt "$deadline" ] || fail "the demo receiver did not start within ${timeout}s"
  sleep 0.2
done

# 2. The daemon, with a local nats-server when none answers at the configured URL.
say "starting the daemon with --embedded-nats (settings: $CALLBACK_ROUTER_CONFIG${NATS_URL:+, NATS_URL=$NATS_URL})"
"${cli[@]}" start --embedded-nats >"$daemon_log" 2>&1 &
daemon_pid=$!
say "waiting for $status_url/readyz"
until node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$status_url/readyz"; do
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited before it was ready"
  [ "$SECONDS" -lt "$deadline" ] || fail "the daemon was not ready within ${timeout}s"
  sleep 0.3
done
say "ready: $(node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t.trim()))' "$status_url/readyz")"

# 3. One event, as an upstream SMS sender would publish it (data: the catalog's examples).
say "publishing: callback-router publish sms sms-send --account acme"
"${cli[@]}" publish sms sms-send --account acme

# 4. The callback at the receiver.
until grep -q ' callback ' "$receiver_log"; do
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited before the callback arrived"
  [ "$SECONDS" -lt "$deadline" ] || fail "no callback arrived within ${timeout}s"
  sleep 0.2
done
sleep 1 # the event fans out to every acme SMS profile: let the others land too
say "the demo receiver got:"
grep -v 'listening on' "$receiver_log"

if [ "$once" = true ]; then
  say "callback delivered; stopping (--once)"
  exit 0
fi

say "the daemon keeps running: publish more with '${cli[*]} publish <channel> <event> --account acme'"
say "status: $status_url/healthz, $status_url/readyz, $status_url/metrics; Ctrl-C stops everything"
say "following the receiver and the daemon log:"
tail -n 0 -f "$receiver_log" "$daemon_log" &
tail_pid=$!
set +e
wait "$daemon_pid"
status=$?
daemon_pid=""
exit "$status"
