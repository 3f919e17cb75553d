#!/usr/bin/env bash
# Failover demo on the namespace lab: the recommended set (two data nodes with Redis and a witness,
# the cluster guard over mutual TLS), a writer through the VIP, kill -9 the master's Redis, watch the
# VIP and the master role move, count the acked writes that were lost.
#
#   sudo lab/demo.sh                       # quick start (Debian 12, .NET 10 SDK, root)
#   DEMO_KEEP_LOGS=/tmp/demo-logs lab/demo.sh
#
# Steps: install missing Debian packages (redis-server libpcap0.8 iproute2 tcpdump openssl), build the
# solution (Release), build a lab with a unique prefix, make the set's CA and node certificates
# (lab.sh certs), start Redis and one redis-ha node in each of n1/n2 and the witness in n3 (the
# hocon/ samples, 200 ms adverts, 200 ms checks), wait until n1 holds VIP 192.0.2.100 and the
# other Redis replicates from it, start labwriter in the client namespace through the VIP, kill -9
# the master's Redis after ~2 s, wait for the VIP and the master role on the other node, stop the
# writer, verify every acked write on the new master, print a timeline.
#
# Exit status: 0 = failover happened and 0 acked writes were lost; 1 = it did not, or writes were
# lost; 2 = setup failed (install, build, lab, nodes never settled).
#
# Environment:
#   DEMO_KEEP_LOGS=DIR      copy node/redis/writer logs and configs to DIR (created) at the end
#   DEMO_GUARD=on           on: two data nodes + witness, cluster guard with mutual TLS (recommended);
#                           off: the two data nodes alone, VRRP decides (the article's setup)
#   DEMO_SKIP_INSTALL=1     do not check/install Debian packages
#   DEMO_SKIP_BUILD=1       use the existing Release build (bench/failover.sh sets this)
#   DEMO_ADVERT=200ms       redis-ha.vrrp.advert-interval
#   DEMO_CHECK=200ms        redis-ha.redis.check.interval (and .timeout = DEMO_CHECK_TIMEOUT)
#   DEMO_CHECK_TIMEOUT=200ms
#   DEMO_PREFIX=rhdNNN      lab prefix (default rhd + this shell's pid, see lab.sh's rules)
# The last line of the output is machine-readable (bench/failover.sh parses it):
#   DEMO_RESULT failover=yes|no outage_ms=N acked=N lost=N old_master=nX new_master=nY mode=guard-on|guard-off
set -Eeuo pipefail
# Nothing ends silently: a command that fails outside the checked steps says which and where.
trap 'echo "demo: line $LINENO: \"$BASH_COMMAND\" failed (exit $?)" >&2' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lab/lab.sh
source "$ROOT/lab/lab.sh"
# Steps whose failure must stop the demo run lab.sh as its own process: a sourced lab function
# called as "f || die" would run with errexit suspended (bash ignores -e in a || context).
LAB=("bash" "$ROOT/lab/lab.sh")

NODE_DLL=$ROOT/src/Coordinator/bin/Release/net10.0/redis-ha.dll
WRITER_DLL=$ROOT/lab/writer/bin/Release/net10.0/labwriter.dll
VIP=$LAB_VIP_DEFAULT
ADVERT=${DEMO_ADVERT:-200ms}
CHECK=${DEMO_CHECK:-200ms}
CHECK_TIMEOUT=${DEMO_CHECK_TIMEOUT:-200ms}
SETTLE_TIMEOUT=30   # s: nodes up, one VIP holder, replica linked
FAILOVER_TIMEOUT=20 # s: VIP and master role on the other node
PRE_KILL=2          # s of writes before the kill
POST_FAILOVER=1     # s of writes after the failover was seen
GUARD=${DEMO_GUARD:-on}
case $GUARD in
    on) NODES=3 MODE="guard on: 2 data nodes + witness, cluster TLS" ;;
    off) NODES=2 MODE="guard off: 2 data nodes, VRRP alone" ;;
    *) echo "demo: DEMO_GUARD must be on or off, not '$GUARD'" >&2; exit 2 ;;
esac

P=${DEMO_PREFIX:-rhd$$}
P=${P:0:10}
T=""
NODE_PIDS=()
WRITER_PID=""
LAB_MADE=0

now() { date '+%H:%M:%S.%3N'; }
say() { echo "[$(now)] $*"; }
die() { echo "demo: $*" >&2; exit "${2:-2}"; }

# ---------------------------------------------------------------------------------------------
# Cleanup: always, on success, failure, Ctrl-C or TERM.
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM ERR
    if [[ -n $WRITER_PID ]]; then kill -9 "$WRITER_PID" 2>/dev/null; fi
    for pid in "${NODE_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for pid in "${NODE_PIDS[@]}" $WRITER_PID; do wait "$pid" 2>/dev/null; done
    if ((LAB_MADE)); then lab_down "$P"; fi
    if [[ -n $T && -d $T ]]; then
        if [[ -n ${DEMO_KEEP_LOGS:-} ]]; then
            mkdir -p "$DEMO_KEEP_LOGS" \
                && cp -r "$T"/. "$DEMO_KEEP_LOGS"/ \
                && echo "demo: logs kept in $DEMO_KEEP_LOGS" >&2
        fi
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT
trap 'echo "demo: terminated" >&2; exit 143' TERM

[[ $EUID -eq 0 ]] || die "needs root (network namespaces)"

# ---------------------------------------------------------------------------------------------
# Packages.
ensure_packages() {
    local missing=0 had_redis=0
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null && had_redis=1
    ((had_redis)) || missing=1
    command -v ip >/dev/null && command -v bridge >/dev/null || missing=1
    command -v tcpdump >/dev/null || missing=1
    command -v openssl >/dev/null || missing=1
    # No "| grep -q" here: with pipefail, grep quitting early fails the pipeline (SIGPIPE).
    [[ $(ldconfig -p 2>/dev/null) == *libpcap.so.0.8* ]] || missing=1
    ((missing)) || return 0
    say "installing redis-server libpcap0.8 iproute2 tcpdump openssl"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed (see above)"
    apt-get install -y -qq redis-server libpcap0.8 iproute2 tcpdump openssl >/dev/null \
        || die "apt-get install redis-server libpcap0.8 iproute2 tcpdump openssl failed (see above)"
    if ((!had_redis)); then
        # The package starts a redis-server in the root namespace: the lab does not use it.
        systemctl disable --now redis-server 2>/dev/null || true
        systemctl stop redis-server 2>/dev/null || true
        invoke-rc.d redis-server stop 2>/dev/null || true
        local root_ns pid
        # /proc/1 is not readable in many containers and sandboxes; this shell runs in the root
        # namespace here (no lab exists yet), so its own namespace serves as well.
        root_ns=$(readlink /proc/1/ns/net 2>/dev/null || readlink /proc/self/ns/net)
        for pid in $(pgrep -x redis-server || true); do
            # Only the package's daemon: root network namespace, run as the 'redis' user.
            [[ $(readlink "/proc/$pid/ns/net" 2>/dev/null) == "$root_ns" ]] || continue
            [[ $(stat -c %U "/proc/$pid" 2>/dev/null) == redis ]] || continue
            kill "$pid" 2>/dev/null || true
        done
    fi
}
[[ ${DEMO_SKIP_INSTALL:-0} == 1 ]] || ensure_packages
command -v dotnet >/dev/null || die "dotnet not found (install the .NET 10 SDK)"

# ---------------------------------------------------------------------------------------------
# Build.
T=$(mktemp -d /tmp/redis-ha-demo.XXXXXX)
if [[ ${DEMO_SKIP_BUILD:-0} != 1 ]]; then
    say "building (dotnet build -c Release)"
    if ! (cd "$ROOT" && dotnet build -c Release -nologo) >"$T/build.log" 2>&1; then
        tail -n 30 "$T/build.log" >&2
        die "build failed"
    fi
fi
[[ -f $NODE_DLL && -f $WRITER_DLL ]] || die "missing $NODE_DLL or $WRITER_DLL (build first)"

# ---------------------------------------------------------------------------------------------
# Configs: copies of the hocon/ samples, same include, faster timers appended to common.conf;
# guarded, each node gets the cluster part: its address, the three voters, its certificate.
mkdir -p "$T/conf"
cp "$ROOT/hocon/common.conf" "$ROOT/hocon/n1.conf" "$ROOT/hocon/n2.conf" "$T/conf/"
cat >>"$T/conf/common.conf" <<EOF

# lab/demo.sh overrides
redis-ha.vrrp.advert-interval = $ADVERT
redis-ha.redis.check.interval = $CHECK
redis-ha.redis.check.timeout = $CHECK_TIMEOUT
EOF
if [[ $GUARD == on ]]; then
    cp "$ROOT/hocon/n3.conf" "$T/conf/"
    "${LAB[@]}" certs "$T/certs" 3 "redis-ha demo CA" || die "making the demo's certificates failed (openssl's error is above)"
    for i in 1 2 3; do
        { echo; echo "# lab/demo.sh: the cluster guard over mutual TLS"; "${LAB[@]}" guard_hocon "$i" 3 "$T/certs"; } >>"$T/conf/n$i.conf" \
            || die "writing n$i's cluster configuration failed"
    done
fi
for ((i = 1; i <= NODES; i++)); do
    dotnet "$NODE_DLL" check-config --config "$T/conf/n$i.conf" >"$T/check-n$i.txt" 2>&1 \
        || { cat "$T/check-n$i.txt" >&2; die "config n$i rejected"; }
done

# ---------------------------------------------------------------------------------------------
# Helpers.
redis_role() { # node -> "master" | "replica-of-<ip>-<linkstatus>" | "down"
    local info role host link
    info=$(LAB_CLI_TIMEOUT=1 lab_redis_cli "$P" "$1" info replication 2>/dev/null | tr -d '\r') || { echo down; return; }
    role=$(sed -n 's/^role://p' <<<"$info")
    case $role in
        master) echo master ;;
        slave)
            host=$(sed -n 's/^master_host://p' <<<"$info")
            link=$(sed -n 's/^master_link_status://p' <<<"$info")
            echo "replica-of-$host-$link" ;;
        *) echo down ;;
    esac
}
describe() { # human-readable state of the pair
    local i h
    h=$(lab_vip_holders "$P" "$NODES" "$VIP")
    [[ -n $h ]] && h="n${h// / n}" || h=none
    printf '  VIP %s holder: %s\n' "$VIP" "$h"
    for i in 1 2; do printf '  n%s redis: %s\n' "$i" "$(redis_role "$i")"; done
}
json_num() { # key file -> number (flat JSON from labwriter)
    sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p" "$2" | head -n 1
}

# ---------------------------------------------------------------------------------------------
# Lab, Redis, nodes.
say "lab prefix $P, work dir $T"
if ip netns list 2>/dev/null | awk '{print $1}' | grep -qE "^${P}(sw|c|n[0-9]+)\$"; then
    die "namespaces with prefix $P already exist (not ours: left alone; set DEMO_PREFIX)"
fi
LAB_MADE=1
"${LAB[@]}" up "$P" "$NODES" || die "lab_up failed"
"${LAB[@]}" redis_start "$P" 1 "$T" || die "redis n1 did not start"
"${LAB[@]}" redis_start "$P" 2 "$T" || die "redis n2 did not start"
say "mode: $MODE"
for ((i = 1; i <= NODES; i++)); do
    ip netns exec "$(lab_ns "$P" "$i")" dotnet "$NODE_DLL" run --config "$T/conf/n$i.conf" >"$T/node-n$i.log" 2>&1 &
    NODE_PIDS+=("$!")
    if ((i == 3)); then say "started the witness n3 (pid $!)"
    else say "started node n$i (pid $!, advert $ADVERT, check $CHECK/$CHECK_TIMEOUT)"; fi
done

say "waiting (<= ${SETTLE_TIMEOUT}s) for n1 (priority 200) to hold the VIP with n2 a linked replica"
MASTER="" OTHER=""
deadline=$((SECONDS + SETTLE_TIMEOUT))
while ((SECONDS < deadline)); do
    for pid in "${NODE_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$T"/node-n*.log >&2; die "a node exited"; }
    done
    h=$(lab_vip_holders "$P" "$NODES" "$VIP")
    # n1 has the higher priority and the samples preempt: whichever node wins the boot race, the
    # set settles with n1 as master once n2's data is on n1 (see README, "Boot").
    if [[ $h == 1 ]]; then
        o=$((3 - h))
        if [[ $(redis_role "$h") == master && $(redis_role "$o") == "replica-of-192.0.2.$h-up" ]]; then
            MASTER=$h OTHER=$o
            break
        fi
    fi
    sleep 0.2
done
[[ -n $MASTER ]] || { describe >&2; die "nodes did not settle within ${SETTLE_TIMEOUT}s"; }
BEFORE=$(describe)
say "settled: n$MASTER holds the VIP, n$OTHER replicates"

# ---------------------------------------------------------------------------------------------
# Writer through the VIP, then the fault.
ip netns exec "$(lab_ns "$P" c)" dotnet "$WRITER_DLL" write --host "$VIP" --port "$LAB_REDIS_PORT" \
    --duration-ms 120000 --interval-ms 10 --acked "$T/acked.txt" --verbose \
    >"$T/writer.json" 2>"$T/writer.log" &
WRITER_PID=$!
say "writer started in the client namespace (pid $WRITER_PID) -> $VIP:$LAB_REDIS_PORT"
deadline=$((SECONDS + 10))
until [[ -s $T/acked.txt ]]; do
    ((SECONDS < deadline)) || die "writer got no ack within 10 s (see $T/writer.log)"
    kill -0 "$WRITER_PID" 2>/dev/null || die "writer exited: $(cat "$T/writer.log")"
    sleep 0.1
done
sleep "$PRE_KILL"

T_KILL=$(date '+%Y-%m-%d %H:%M:%S.%3N')
"${LAB[@]}" redis_kill "$P" "$MASTER" "$T" || die "could not kill redis on n$MASTER"
say "kill -9 redis-server on n$MASTER"

FAILOVER=no
deadline=$((SECONDS + FAILOVER_TIMEOUT))
while ((SECONDS < deadline)); do
    if [[ $(lab_vip_holders "$P" "$NODES" "$VIP") == "$OTHER" && $(redis_role "$OTHER") == master ]]; then
        FAILOVER=yes
        break
    fi
    sleep 0.05
done
T_SEEN=$(date '+%Y-%m-%d %H:%M:%S.%3N')
if [[ $FAILOVER == yes ]]; then
    say "failover seen: VIP on n$OTHER, its redis is master"
else
    say "NO failover within ${FAILOVER_TIMEOUT}s"
fi
sleep "$POST_FAILOVER"

kill -TERM "$WRITER_PID" 2>/dev/null || true
wait_deadline=$((SECONDS + 10))
while kill -0 "$WRITER_PID" 2>/dev/null && ((SECONDS < wait_deadline)); do sleep 0.1; done
kill -9 "$WRITER_PID" 2>/dev/null || true
wait "$WRITER_PID" 2>/dev/null || true
WRITER_PID=""
AFTER=$(describe)

OUTAGE=$(json_num longest_outage_ms "$T/writer.json")
ACKED=$(json_num acked "$T/writer.json")
ATTEMPTS=$(json_num attempts "$T/writer.json")
[[ -n $OUTAGE && -n $ACKED ]] || die "writer printed no result (see $T/writer.log)"

# Verify against the new master's own address (the VIP should be there too).
VERIFY_HOST=192.0.2.$OTHER
[[ $FAILOVER == yes ]] || VERIFY_HOST=$VIP
LOST=""
if ip netns exec "$(lab_ns "$P" c)" dotnet "$WRITER_DLL" verify --host "$VERIFY_HOST" --port "$LAB_REDIS_PORT" \
    --acked "$T/acked.txt" >"$T/verify.json" 2>"$T/verify.log"; then
    LOST=$(json_num lost "$T/verify.json")
    PRESENT=$(json_num present "$T/verify.json")
fi

# ---------------------------------------------------------------------------------------------
# Timeline.
timeline() {
    local i
    {
        for ((i = 1; i <= NODES; i++)); do
            # Either "DATE TIME LEVEL: Akka.Actor.ActorSystem[0] [INFO]...[akka://redis-ha/user/ha-node/vrrp] MSG"
            # or "DATE TIME LEVEL: redis-ha.vrrp[0] MSG" -> "DATE TIME|nI|LEVEL|vrrp|MSG".
            sed -nE 's#^([0-9-]+ [0-9:.]+) ([a-z]+): .*\[akka://[^]]*/([A-Za-z0-9_-]+)\] (.*)$#\1|n'"$i"'|\2|\3|\4#p
                     t
                     s#^([0-9-]+ [0-9:.]+) ([a-z]+): ([^ []+)\[[0-9]+\] (.*)$#\1|n'"$i"'|\2|\3|\4#p' \
                "$T/node-n$i.log" \
                | sed -E 's#\|(redis-ha|RedisHaActors)\.([^|]*)\|#|\2|#' \
                | grep -E '^[^|]*\|[^|]*\|(warn|fail|crit)\||\| *(INITIALIZE|BACKUP|MASTER|FAULT) -> |redis role|role change|check: |check failed|following master|cancelling|superseded|VIP|yield|quorum' || true
        done
        echo "$T_KILL|demo|info|-|kill -9 redis-server on n$MASTER"
        echo "$T_SEEN|demo|info|-|$([[ $FAILOVER == yes ]] && echo "failover observed (VIP on n$OTHER, redis master)" || echo "gave up waiting for failover")"
    } | sort -t'|' -k1,1 -s | awk -F'|' '{
        split($1, d, " "); msg = $5; for (k = 6; k <= NF; k++) msg = msg "|" $k
        printf "  %s  %-4s %-13s %s%s\n", d[2], $2, $4, ($3 == "info" ? "" : toupper($3) ": "), msg }'
}

echo
echo "==================== failover demo ($MODE): timeline ===================="
timeline
echo
echo "before the kill:"
echo "$BEFORE"
echo "after the failover:"
echo "$AFTER"
echo
echo "writer (client namespace -> $VIP, SET every 10 ms):"
echo "  attempts:            $ATTEMPTS"
echo "  acked writes:        $ACKED"
echo "  write outage:        $OUTAGE ms (longest gap between acks)"
echo "  acked writes lost:   ${LOST:-unknown (verify failed: $(cat "$T/verify.log" 2>/dev/null))}${PRESENT:+ (present on n$OTHER: $PRESENT)}"
echo "  writer errors:       $(sed -n 's/.*"errors":\({[^}]*}\).*/\1/p' "$T/writer.json")"
echo "=================================================================="

RC=0
if [[ $FAILOVER != yes ]]; then
    echo "RESULT: FAIL - no failover to n$OTHER"
    RC=1
elif [[ $LOST != 0 ]]; then
    echo "RESULT: FAIL - acked writes lost: ${LOST:-unknown}"
    RC=1
else
    echo "RESULT: OK - failover n$MASTER -> n$OTHER, outage $OUTAGE ms, 0 of $ACKED acked writes lost ($MODE)"
fi
echo "DEMO_RESULT failover=$FAILOVER outage_ms=$OUTAGE acked=$ACKED lost=${LOST:-unknown} old_master=n$MASTER new_master=n$OTHER mode=guard-$GUARD"
exit "$RC"
