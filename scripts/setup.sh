#!/usr/bin/env bash
# Installs what callback-router needs on a fresh Debian/Ubuntu machine, then its npm packages.
# Safe to run again: it installs only what is missing. `--test` adds what the test suite
# needs besides (Debian's chromium for the console's browser tests, docker-compose to check
# docker/compose.yml, redis-server for the benchmark's BullMQ peer).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then need_apt+=(nats-server); fi
if [ "${1:-}" = "--test" ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  # Checks docker/compose.yml (`docker-compose config`) without a Docker engine.
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || need_apt+=(docker-compose)
  # npm run bench starts its own redis-server (free port, no persistence) for the peer P.
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
