#!/usr/bin/env bash
# Validates the Prometheus configuration and unit-tests the alert rules.
#   infra/prometheus/check.sh            exit 0 when everything passes, non-zero otherwise
# Needs promtool (Debian: apt-get install prometheus). PROMTOOL=/path/to/promtool overrides.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
promtool="${PROMTOOL:-promtool}"

if ! command -v "$promtool" >/dev/null 2>&1; then
  echo "check.sh: promtool not found; install it (apt-get install prometheus) or set PROMTOOL" >&2
  exit 2
fi

cd "$here"
echo "== promtool check config prometheus.yml"
"$promtool" check config prometheus.yml

echo "== promtool check rules rules/*.rules.yml"
"$promtool" check rules rules/*.rules.yml

echo "== promtool test rules tests/*.test.yml"
"$promtool" test rules tests/*.test.yml
