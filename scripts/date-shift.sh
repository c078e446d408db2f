#!/usr/bin/env bash
# Runs the whole test suite on a shifted clock, to show that no test depends on today's date and
# that no worker mixes its clock with a store's. Needs Debian's `faketime` (apt-get install faketime).
#
#   scripts/date-shift.sh redis [OFFSET]   a Redis server whose clock is OFFSET ahead (default +365d),
#                                          on its own port; the suite and the stack keep the real clock
#   scripts/date-shift.sh suite [OFFSET]   the suite's own processes (tests, the workers they spawn,
#                                          embedded ClickHouse) run OFFSET ahead; Kafka, the registry
#                                          and Redis keep the real clock
#
# Both end with the suite's own result; exit status is npm test's.
#
# Debian's redis-server is linked with jemalloc, which calls clock_gettime() while libfaketime is
# still initialising and so never starts under faketime ("unexpected recursive calls"). The redis
# mode therefore takes the server from DATE_SHIFT_REDIS_SERVER: a redis-server built with the C
# library's allocator, e.g. from Debian's own source (apt-get source redis; make MALLOC=libc).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode="${1:-}"
offset="${2:-+365d}"
command -v faketime >/dev/null || { echo "date-shift: faketime not found (apt-get install faketime)" >&2; exit 2; }

# The stack is started on the real clock first, so that only what the mode names is shifted.
npx cxg stack up >/dev/null

case "$mode" in
  redis)
    port="${DATE_SHIFT_REDIS_PORT:-6390}"
    dir=$(mktemp -d)
    server="${DATE_SHIFT_REDIS_SERVER:-redis-server}"
    # In the background rather than --daemonize: faketime waits for every process it started.
    faketime -f "$offset" "$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      --logfile "$dir/redis.log" &
    faked=$!
    trap 'kill "$faked" 2>/dev/null || true; pkill -f "$server.*:$port" 2>/dev/null || true' EXIT
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    echo "date-shift: Redis on :$port says $(redis-cli -p "$port" time | head -n1 | xargs -I{} date -u -d @{} +%FT%TZ), this host says $(date -u +%FT%TZ)" >&2
    REDIS_URL="redis://127.0.0.1:$port" npm test
    ;;
  suite)
    # Monotonic clocks stay real: timers and timeouts must not jump.
    echo "date-shift: the suite runs at $(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$offset" date -u +%FT%TZ), Kafka and Redis at $(date -u +%FT%TZ)" >&2
    FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$offset" npm test
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
