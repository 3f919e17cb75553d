#!/usr/bin/env bash
# Failover benchmark: runs lab/demo.sh's scenario RUNS times, each in a fresh lab (kill -9 the
# master's Redis under a 10 ms SET stream through the VIP, 200 ms adverts and checks), and reports
# each run's write outage and lost acked writes, then median/min/max outage.
#
#   sudo bench/failover.sh                 # RUNS=5
#   sudo RUNS=11 bench/failover.sh
#
# Environment:
#   RUNS=5                 number of runs
#   BENCH_OUT=DIR          where each run's full demo output and logs go
#                          (default bench/out/failover-<timestamp>, git-ignored)
#   BENCH_SKIP_BUILD=1     use the existing Release build
#   DEMO_ADVERT / DEMO_CHECK / DEMO_CHECK_TIMEOUT   passed through to lab/demo.sh (default 200ms)
#   DEMO_GUARD=on|off      passed through: the recommended guarded set (default) or the pair alone
# Exit status: 0 when every run failed over with 0 acked writes lost, 1 otherwise, 2 on setup errors.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "failover: RUNS must be a positive integer" >&2; exit 2; }
[[ $EUID -eq 0 ]] || { echo "failover: needs root (network namespaces)" >&2; exit 2; }
OUT=${BENCH_OUT:-$ROOT/bench/out/failover-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

CHILD=""
on_signal() {
    # demo.sh cleans up its own lab on TERM (it runs in the background, so it never sees our
    # terminal's SIGINT: forward it as TERM).
    if [[ -n $CHILD ]]; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    echo "failover: interrupted" >&2
    exit 130
}
trap on_signal INT TERM

# Packages and build once; the runs then skip both.
run_demo() { # run-number extra-env... ; sets RESULT_LINE
    local run=$1 log=$OUT/run-$1.txt
    shift
    env "$@" DEMO_KEEP_LOGS="$OUT/run-$run-logs" "$ROOT/lab/demo.sh" >"$log" 2>&1 &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=""
    RESULT_LINE=$(grep '^DEMO_RESULT ' "$log" | tail -n 1 || true)
    return "$rc"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$RESULT_LINE"; }

echo "failover benchmark: $RUNS runs, guard ${DEMO_GUARD:-on}, advert ${DEMO_ADVERT:-200ms}, check ${DEMO_CHECK:-200ms}" \
    "(timeout ${DEMO_CHECK_TIMEOUT:-200ms}); logs in $OUT"
outages=()
lost_total=0
failed=0
for ((n = 1; n <= RUNS; n++)); do
    extra=(DEMO_SKIP_INSTALL=1 DEMO_SKIP_BUILD=1)
    if ((n == 1)); then
        extra=(DEMO_SKIP_INSTALL=0 "DEMO_SKIP_BUILD=${BENCH_SKIP_BUILD:-0}")
    fi
    rc=0
    run_demo "$n" "${extra[@]}" || rc=$?
    if [[ -z $RESULT_LINE ]]; then
        echo "run $n: setup failed (exit $rc), see $OUT/run-$n.txt" >&2
        tail -n 15 "$OUT/run-$n.txt" >&2
        exit 2
    fi
    fo=$(field failover) outage=$(field outage_ms) lost=$(field lost) acked=$(field acked)
    printf 'run %d: failover %s -> %s: %s, outage %s ms, acked %s, lost %s\n' \
        "$n" "$(field old_master)" "$(field new_master)" "$fo" "$outage" "$acked" "$lost"
    outages+=("$outage")
    if [[ $lost =~ ^[0-9]+$ ]]; then
        lost_total=$((lost_total + lost))
    else
        failed=1
    fi
    [[ $fo == yes && $lost == 0 && $rc == 0 ]] || failed=1
done

read -r median min max < <(printf '%s\n' "${outages[@]}" | sort -n | awk '
    { v[NR] = $1 }
    END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%g %s %s\n", m, v[1], v[NR]
    }')

echo
echo "---- summary ----"
echo "failover outage min/max: $min / $max ms"
echo "failover outage median: $median ms (runs: ${outages[*]}), acked lost total: $lost_total"
exit "$failed"
