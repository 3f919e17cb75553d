#!/usr/bin/env bash
# Redis versions (issue 11: "Redis 6.2 and 7.x, the versions distributions ship"): runs a set of lab
# tests (real Redis, real VRRP, real Akka clusters) once per Redis build and prints a pass/fail table,
# one row per test, one column per build, headed by each build's `redis-server --version`.
#
#   sudo LAB_REDIS_BIN=/opt/redis-6.2/bin bench/redis-versions.sh       # that build, then PATH's Redis
#   sudo VERSIONS_BINS="/opt/redis-6.2/bin" bench/redis-versions.sh     # that build only
#   sudo VERSIONS_FILTER="FullyQualifiedName~LeastPrivilegeLabTests" LAB_REDIS_BIN=/opt/redis-6.2/bin bench/redis-versions.sh
#
# A build is a directory holding redis-server and redis-cli; the lab runs it through LAB_REDIS_BIN
# (lab/lab.sh and the tests' LabBinaries read it; unset = the redis-server on PATH). This script
# builds no Redis: Debian 12 ships 7.0, and an older build is the operator's to provide. A manual
# bench: CI cannot have a 6.2 (no Debian 12 package, no network on a fresh machine to fetch one).
# Besides the lab tests it runs the adapter's tests against a real Redis (StackExchangeRedisNodeTests,
# which start the same build), except the TLS one (a build without TLS support is enough here).
#
# Environment:
#   LAB_REDIS_BIN=DIR    one build to run beside PATH's (default VERSIONS_BINS is "DIR path")
#   VERSIONS_BINS="..."  the builds, in column order: directories, or "path" for PATH's redis-server
#   VERSIONS_FILTER=...  a dotnet test filter instead of the default list below
#   VERSIONS_KEEP_LOGS=D keep each build's whole dotnet test output as D/<n>-<version>.log
#   BENCH_SKIP_BUILD=1   use the existing Release build
# Exit status: 0 every test passed on every build; 1 a test failed; 2 setup failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "redis-versions: $*" >&2; }
die() { say "$*"; exit 2; }
# shellcheck source=bench/packages.sh
source "$ROOT/bench/packages.sh"
ensure_lab_test_host

# The tests whose Redis commands, INFO fields, ACL rules and replication behaviour differ by version:
# failover and its loss estimate, masterauth, restarts told by run_id and key counts (one INFO per
# section on 6.2), min-replicas, DEBUG SLEEP hangs, the least-privilege ACL, the guard's fence,
# switchover (CLIENT PAUSE WRITE), the write path (MISCONF, OOM).
tests=(
    FailoverLabTests.Boot_gives_one_VIP_holder
    FailoverLabTests.Killing_the_masters_Redis
    FailoverLabTests.Case_1_the_masters_node_and_its_Redis_killed
    FailoverLabTests.Case_2_the_masters_node_killed
    FailoverLabTests.A_password_protected_pair
    FailoverLabTests.A_master_Redis_started_read_only
    FailoverLabTests.A_master_Redis_restarted_empty_within_the_fall_window
    FailoverLabTests.Without_the_guard_the_operators_min_replicas
    FailoverLabTests.A_hung_master_Redis
    LeastPrivilegeLabTests.A_least_privilege_user
    ClusterLabTests.Case_1_guarded
    ClusterLabTests.A_fault_on_the_master_never_gives_two_writable_masters
    ClusterLabTests.A_master_Redis_restarted_empty_within_the_fall_window
    ClusterLabTests.Cold_boot_promotes_the_Redis_that_has_the_data
    ClusterLabTests.Switchover_hands_the_VIP
    ClusterLabTests.A_switchover_whose_target_cannot_catch_up
    WritePathLabTests
    FenceLabTests
    StackExchangeRedisNodeTests
)
filter=$(printf 'FullyQualifiedName~%s|' "${tests[@]}")
filter=${VERSIONS_FILTER:-(${filter%|})&FullyQualifiedName!~TLS_with_the_CA}

read -r -a bins <<<"${VERSIONS_BINS:-${LAB_REDIS_BIN:+$LAB_REDIS_BIN }path}"
versions=()
for b in "${bins[@]}"; do
    if [[ $b == path ]]; then server=redis-server; else server=$b/redis-server; fi
    [[ $b == path || -x $b/redis-cli ]] || die "$b has no redis-cli"
    v=$("$server" --version 2>/dev/null | grep -oE 'v=[0-9.]+' | cut -c3-) || true
    [[ -n $v ]] || die "$server --version gave no version (is it a redis-server?)"
    versions+=("$v")
done

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "building (dotnet build -c Release)"
    (cd "$ROOT" && dotnet build RedisHaActors.sln -c Release -nologo -v q) >&2 || die "build failed (its errors are above)"
fi

tmp=$(mktemp -d /tmp/redis-ha-versions.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
declare -A result=()
names=()
status=0
for n in "${!bins[@]}"; do
    b=${bins[$n]} v=${versions[$n]} out="$tmp/$n.log"
    say "Redis $v ($b): running the lab tests one at a time (about 20 minutes on 2 cores)"
    if [[ $b == path ]]; then
        (cd "$ROOT" && env -u LAB_REDIS_BIN dotnet test tests/RedisHaActors.Tests -c Release --no-build -nologo \
            --filter "$filter" --logger "console;verbosity=detailed") >"$out" 2>&1
    else
        (cd "$ROOT" && LAB_REDIS_BIN=$b dotnet test tests/RedisHaActors.Tests -c Release --no-build -nologo \
            --filter "$filter" --logger "console;verbosity=detailed") >"$out" 2>&1
    fi
    rc=$?
    ((rc == 0)) || status=1
    if [[ -n ${VERSIONS_KEEP_LOGS:-} ]]; then mkdir -p "$VERSIONS_KEEP_LOGS" && cp "$out" "$VERSIONS_KEEP_LOGS/$n-$v.log"; fi
    # The lab prints the Redis it started; a run that used another one proves nothing about this column.
    grep -q "Redis server v=$v " "$out" || { say "no lab test of this run reported Redis $v (dotnet test exit $rc)"; status=1; }
    # "  Passed RedisHaActors.Tests.Lab.Class.Method(args) [12 s]" (and Failed, Skipped)
    while read -r verdict name; do
        name=${name#RedisHaActors.Tests.}
        [[ -n ${result[$name]+x} ]] || names+=("$name")
        result[$name]+="$n:$verdict "
    done < <(sed -nE 's/^\s+(Passed|Failed|Skipped) (RedisHaActors\.[^ (]+(\([^)]*\))?).*/\1 \2/p' "$out")
done

declare -A passed=()
for v in "${versions[@]}"; do printf '%-8s ' "$v"; done
echo test
for name in "${names[@]}"; do
    for n in "${!bins[@]}"; do
        verdict=$(grep -oE "(^| )$n:[A-Za-z]+" <<<"${result[$name]}" | cut -d: -f2)
        [[ $verdict == Passed ]] && passed[$n]=$((${passed[$n]:-0} + 1))
        printf '%-8s ' "${verdict:--}"
    done
    echo "$name"
done
for n in "${!bins[@]}"; do
    echo "Redis ${versions[$n]} (${bins[$n]}): ${passed[$n]:-0} of ${#names[@]} passed"
done
exit $status
