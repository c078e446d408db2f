#!/usr/bin/env bash
# Validates alertmanager.yml and proves the routing: each provider's KPI alerts reach that
# provider's supervisors, pipeline alerts (no provider label) and unknown providers reach ops.
#   infra/alertmanager/check.sh          exit 0 when everything passes, non-zero otherwise
# Needs amtool (Debian: apt-get install prometheus-alertmanager). AMTOOL=/path/to/amtool overrides.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
amtool="${AMTOOL:-amtool}"
config="$here/alertmanager.yml"

if ! command -v "$amtool" >/dev/null 2>&1; then
  echo "check.sh: amtool not found; install it (apt-get install prometheus-alertmanager) or set AMTOOL" >&2
  exit 2
fi

echo "== amtool check-config alertmanager.yml"
"$amtool" check-config "$config"

failures=0
# expect RECEIVER LABEL=VALUE...: the labels of an alert and the one receiver it must reach
expect() {
  local want="$1"; shift
  local got
  if got="$("$amtool" config routes test --config.file="$config" --verify.receivers="$want" "$@" 2>/dev/null)"; then
    echo "ok    $* -> $got"
  else
    echo "FAIL  $* -> ${got:-?} (expected $want)"
    failures=$((failures + 1))
  fi
}

echo "== amtool config routes test"
# KPI breaches route by provider to the provider's supervisors
expect supervisors-prov-a alertname=KpiBreached provider=prov-a kpi=repeat_rate window=24h contract=c-prov-a-2026 severity=warning
expect supervisors-prov-a alertname=KpiBreached provider=prov-a kpi=service_level window=1h contract=c-prov-a-2026 severity=warning
expect supervisors-prov-b alertname=KpiBreached provider=prov-b kpi=abandon_rate window=1h contract=c-prov-b-2026 severity=warning
expect supervisors-prov-c alertname=KpiBreached provider=prov-c kpi=service_level window=24h contract=c-prov-c-2026-11 severity=warning
# pipeline alerts carry no provider: ops
expect ops alertname=WorkerDown worker=kpi job=kpi severity=critical
expect ops alertname=ConsumerLagGrowing worker=detector topic=cx.contacts.v1 severity=warning
expect ops alertname=DlqRateHigh worker=detector topic=cx.web.v1 reason=SCHEMA_DECODE severity=warning
expect ops alertname=BatchDurationHigh worker=accruals severity=warning
# a provider without its own route is not lost: ops sees it
expect ops alertname=KpiBreached provider=prov-new kpi=repeat_rate window=24h severity=warning

if [ "$failures" -gt 0 ]; then
  echo "check.sh: $failures routing expectation(s) failed" >&2
  exit 1
fi
echo "all routing expectations hold"
