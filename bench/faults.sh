#!/usr/bin/env bash
# Fault-kind figures (issue 11, "Figures for the closing note"): runs the lab tests that inject each
# production fault with real Redis, real VRRP and real Akka clusters, and prints one table row per
# fault from the line each test prints ("fault-figure: kind=... mode=..."):
#   two-writable-ms  time both Redis accepted writes (samplers on each Redis; "-" where the test runs none)
#   lost / acked     acknowledged writes missing on the final master / acknowledged in all
#   outage-ms        longest time without an acknowledged write (VIP writer), or the time until the node
#                    that took over accepted writes (samplers); "-" where no takeover is the right outcome
#   role-changes     Redis role changes the coordinators made after the fault ("redis role: ..." lines)
#   vip-moves        VRRP transitions to MASTER after the fault
# The tests assert their own targets (0 ms with two writable masters, no acked write lost where the
# old master answers); this script only collects the figures and says which tests failed.
#
#   sudo bench/faults.sh
#   sudo BENCH_SKIP_BUILD=1 FAULTS_FILTER="FullyQualifiedName~Repeated_short_stalls" bench/faults.sh
#
# Environment:
#   BENCH_SKIP_BUILD=1   use the existing Release build
#   FAULTS_FILTER=...    a dotnet test filter instead of the default list below
#   FAULTS_KEEP_LOG=F    copy the whole dotnet test output to F
# Exit status: 0 every test passed; 1 a test failed (its figures are still printed); 2 setup failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "faults: $*" >&2; }
die() { say "$*"; exit 2; }
# shellcheck source=bench/packages.sh
source "$ROOT/bench/packages.sh"
ensure_lab_test_host

tests=(
    LeastPrivilegeLabTests.A_least_privilege_user
    FenceLabTests.An_extra_replica_on_the_masters_host
    FenceLabTests.Data_nodes_cut_from_each_other
    ClusterLabTests.A_fault_on_the_master_never_gives_two_writable_masters
    ClusterLabTests.Random_loss_on_the_VRRP_path
    ClusterLabTests.Case_1_guarded
    WritePathLabTests.A_master_refusing_writes
    FailoverLabTests.Repeated_short_stalls
    FailoverLabTests.A_preemption_that_cannot_reach
    FailoverLabTests.A_hung_master_Redis
    FailoverLabTests.Case_1_the_masters_node_and_its_Redis_killed
    FailoverLabTests.Case_2_the_masters_node_killed
    StaleGossipLabTests.A_restarted_masters_coordinator
    LineageLabTests
)
filter=${FAULTS_FILTER:-$(printf 'FullyQualifiedName~%s|' "${tests[@]}")}
filter=${filter%|}

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "building (dotnet build -c Release)"
    (cd "$ROOT" && dotnet build RedisHaActors.sln -c Release -nologo -v q) >&2 || die "build failed (its errors are above)"
fi

out=$(mktemp /tmp/redis-ha-faults.XXXXXX)
trap 'rm -f "$out"' EXIT
say "running the fault lab tests (one at a time; about 10 minutes on 2 cores)"
(cd "$ROOT" && dotnet test tests/RedisHaActors.Tests -c Release --no-build -nologo \
    --filter "$filter" --logger "console;verbosity=detailed") >"$out" 2>&1
status=$?
[[ -n ${FAULTS_KEEP_LOG:-} ]] && cp "$out" "$FAULTS_KEEP_LOG"

rows=$(grep -o 'fault-figure: .*' "$out" | sed 's/^fault-figure: //')
[[ -n $rows ]] || { tail -n 30 "$out" >&2; die "no test printed a figure (dotnet test exit $status; its output's end is above)"; }
printf '%-44s %-9s %15s %12s %10s %12s %9s\n' fault mode two-writable-ms lost/acked outage-ms role-changes vip-moves
while read -r row; do
    declare -A f=()
    for kv in $row; do f[${kv%%=*}]=${kv#*=}; done
    printf '%-44s %-9s %15s %12s %10s %12s %9s\n' "${f[kind]}" "${f[mode]}" "${f[two-writable-ms]}" \
        "${f[lost]}/${f[acked]}" "${f[outage-ms]}" "${f[role-changes]}" "${f[vip-moves]}"
    unset f
done <<<"$rows"
failed=$(grep -E '^\s+Failed [A-Za-z]' "$out" | sed 's/^\s*Failed //; s/ \[.*//')
total=$(grep -oE '^Total tests: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+')
passed=$(grep -oE '^\s+Passed: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+')
echo "tests: ${passed:-0} of ${total:-0} passed (dotnet test exit $status)"
if [[ -n $failed ]]; then
    echo "failed tests (their figures above, if printed, are from a failed run):"
    echo "$failed" | sed 's/^/  /'
fi
[[ $status -eq 0 ]] && exit 0 || exit 1
