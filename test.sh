#!/usr/bin/env bash
# Builds and runs every test (unit, actor, and the namespace lab with real Redis and VRRP),
# then prints one closing line "N passed, N failed". Needs root for the lab tests (CI runs as root).
set -uo pipefail
cd "$(dirname "$0")"

install_packages() {
    local need=() p
    # keepalived: the interop lab tests run Debian's keepalived beside our nodes. systemd: the package
    # test runs systemd-analyze verify on the packaged unit.
    # openssl: the lab makes the cluster TLS certificates with it (lab.sh certs).
    for p in redis-server redis-tools keepalived libpcap0.8 iproute2 tcpdump iptables procps systemd openssl; do
        dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "test.sh: missing packages (${need[*]}); run as root to install them" >&2
        return 1
    fi
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }; then
        echo "test.sh: installing ${need[*]} failed (apt-get's error is above)" >&2
        return 1
    fi
    # The packages may start their daemons in the root namespace; the tests never use them.
    local daemon
    for daemon in redis-server keepalived; do
        if command -v systemctl >/dev/null; then systemctl disable --now "$daemon" 2>/dev/null || true; fi
        if command -v invoke-rc.d >/dev/null; then invoke-rc.d "$daemon" stop 2>/dev/null || true; fi
    done
}

install_packages || { echo "0 passed, 1 failed"; exit 1; }

if ! dotnet build RedisHaActors.sln -c Release -nologo -v q; then
    echo "build failed" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

results=TestResults
rm -rf "$results"
dotnet test tests/RedisHaActors.Tests -c Release --no-build -nologo \
    --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
    --results-directory "$results"
status=$?

trx="$results/results.trx"
if [ ! -f "$trx" ]; then
    echo "no test results were written (dotnet test exit $status)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
num() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(num passed); failed=$(num failed); total=$(num total); executed=$(num executed)
passed=${passed:-0}; failed=${failed:-0}
# Tests that did not run (aborted host, not executed) count as failed.
notrun=$(( ${total:-0} - ${executed:-0} ))
[ "$notrun" -gt 0 ] && failed=$(( failed + notrun ))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
# The failed tests again, each with the start of its message, so that the end of the log (all a CI
# summary may keep) says which test failed and why.
if [ "$failed" -gt 0 ]; then
    echo "failed tests:"
    awk '
        /<UnitTestResult / && /outcome="Failed"/ {
            name = $0; sub(/.*testName="/, "", name); sub(/".*/, "", name)
            print "  " name; inmsg = 0; left = 4; want = 1; next
        }
        want && /<Message>/ { inmsg = 1; sub(/.*<Message>/, "") }
        want && inmsg {
            done = sub(/<\/Message>.*/, "")
            if (left-- > 0 && length($0) > 0) print "    " substr($0, 1, 300)
            if (done) { inmsg = 0; want = 0 }
        }
        /<\/UnitTestResult>/ { want = 0; inmsg = 0 }
    ' "$trx" | sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
    [ "$notrun" -gt 0 ] && echo "  ($notrun tests did not run: the test host stopped early)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
