#!/usr/bin/env bash
# Takeover time after kill -9 of the VRRP master: redis-ha vs keepalived 2.2.7, read from packet
# captures, at several advert intervals.
#
#   sudo bench/takeover.sh                         # intervals 1000 200 100 ms, 3 runs each
#   sudo RUNS=5 TAKEOVER_INTERVALS="200" bench/takeover.sh
#
# Every run builds two fresh 2-node namespace labs at once (lab/lab.sh):
#   redis-ha   (prefix rto<pid>): Redis + redis-ha in n1 (priority 200) and n2 (priority 190),
#              VRRPv3 multicast at the interval, Redis checks every 200 ms;
#   keepalived (prefix rtk<pid>): Debian's keepalived in n1 (200) and n2 (190), vrrp_version 3,
#              advert_int at the interval, a plain vrrp_instance (no vrrp_script, no Redis).
# n1 is started first and settles as MASTER, then n2 joins as BACKUP. tcpdump runs in each lab's
# client namespace (the bridge floods the multicast adverts to it; it is a passive observer).
# After TAKEOVER_CAPTURE seconds of steady adverts, n1's redis-ha gets kill -9; once n2 holds the
# VIP, n1's keepalived gets kill -9 (VRRP child first, then the parent: killing only the parent
# makes the child shut down gracefully with a priority-0 advert, which is not a crash).
# Takeover = first advert from the new master (192.0.2.2) - last advert from the old one
# (192.0.2.1), both capture timestamps. The protocol's floor is the backup's Master_Down_Interval
# (RFC 5798 6.1: 3 * interval + (256 - 190) * interval / 256), measured from that last advert.
# The same captures give the old master's advert jitter: inter-advert gaps before the kill.
#
# Environment:
#   TAKEOVER_INTERVALS="1000 200 100"   advert intervals in ms (10..40950, multiples of 10)
#   RUNS=3                              runs per interval
#   TAKEOVER_CAPTURE=10                 seconds of steady adverts captured before the kills
#   BENCH_SKIP_BUILD=1                  use the existing Release build
#   TAKEOVER_KEEP_LOGS=DIR              copy configs, node logs and captures to DIR
# Exit status: 0 all runs measured, 1 a run had no takeover, 2 setup failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lab/lab.sh
source "$ROOT/lab/lab.sh"
LAB=("bash" "$ROOT/lab/lab.sh") # as a process: errexit holds even under "|| die"

NODE_DLL=$ROOT/src/Coordinator/bin/Release/net10.0/redis-ha.dll
VIP=$LAB_VIP_DEFAULT
INTERVALS=${TAKEOVER_INTERVALS:-"1000 200 100"}
RUNS=${RUNS:-3}
CAPTURE=${TAKEOVER_CAPTURE:-10}
PRIO_MASTER=200 PRIO_BACKUP=190
OLD=$LAB_NET.1 NEW=$LAB_NET.2
[[ $RUNS =~ ^[1-9][0-9]*$ && $CAPTURE =~ ^[1-9][0-9]*$ ]] || { echo "takeover: RUNS and TAKEOVER_CAPTURE must be positive integers" >&2; exit 2; }
for iv in $INTERVALS; do
    [[ $iv =~ ^[1-9][0-9]*$ ]] && ((iv % 10 == 0 && iv <= 40950)) \
        || { echo "takeover: interval '$iv' ms is not 10..40950 in 10 ms steps" >&2; exit 2; }
done

PR=rto$$ PK=rtk$$
PR=${PR:0:10} PK=${PK:0:10}
T=""
PIDS=()
LABS_UP=()

say() { echo "[$(date '+%H:%M:%S')] $*" >&2; }
die() { echo "takeover: $*" >&2; exit "${2:-2}"; }

# Kill this script's children (nodes, keepalived, tcpdump) that are still ours, and the labs
# made so far (lab_down kills whatever else runs in their namespaces).
teardown() {
    local pid p
    # stderr off: bash reports each job it sees die of SIGKILL ("Killed"). wait returns the
    # child's status (137 after SIGKILL): not an error here.
    {
        for pid in "${PIDS[@]}"; do
            if [[ $(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) == "$$" ]]; then kill -9 "$pid" || true; fi
            wait "$pid" || true
        done
    } 2>/dev/null
    PIDS=()
    for p in "${LABS_UP[@]}"; do lab_down "$p"; done
    LABS_UP=()
}
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    teardown
    if [[ -n $T && -d $T ]]; then
        if [[ -n ${TAKEOVER_KEEP_LOGS:-} ]]; then
            mkdir -p "$TAKEOVER_KEEP_LOGS" && cp -r "$T"/. "$TAKEOVER_KEEP_LOGS"/ && echo "takeover: logs kept in $TAKEOVER_KEEP_LOGS" >&2
        fi
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "takeover: interrupted" >&2; exit 130' INT
trap 'echo "takeover: terminated" >&2; exit 143' TERM

[[ $EUID -eq 0 ]] || die "needs root (network namespaces)"

# ---------------------------------------------------------------------------------------------
# shellcheck source=bench/packages.sh
source "$ROOT/bench/packages.sh"
ensure_packages
command -v dotnet >/dev/null || die "dotnet not found (install the .NET 10 SDK)"

T=$(mktemp -d /tmp/redis-ha-takeover.XXXXXX)
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "building (dotnet build -c Release)"
    if ! (cd "$ROOT" && dotnet build -c Release -nologo) >"$T/build.log" 2>&1; then
        tail -n 30 "$T/build.log" >&2
        die "build failed"
    fi
fi
[[ -f $NODE_DLL ]] || die "missing $NODE_DLL (build first)"

new_lab() { # prefix
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qE "^${1}(sw|c|n[0-9]+)\$"; then
        die "namespaces with prefix $1 already exist (not ours: left alone)"
    fi
    LABS_UP+=("$1")
    "${LAB[@]}" up "$1" 2 || die "lab_up $1 failed"
}

redis_role() { # prefix node -> master | replica-of-HOST-STATUS | down
    local info
    info=$(LAB_CLI_TIMEOUT=1 lab_redis_cli "$1" "$2" info replication 2>/dev/null | tr -d '\r') || { echo down; return; }
    case $(sed -n 's/^role://p' <<<"$info") in
        master) echo master ;;
        slave) echo "replica-of-$(sed -n 's/^master_host://p' <<<"$info")-$(sed -n 's/^master_link_status://p' <<<"$info")" ;;
        *) echo down ;;
    esac
}
ka_pids() { # prefix node -> "PARENT CHILD..." of keepalived in that namespace
    local pid ppid parent="" kids=()
    for pid in $(ip netns pids "$(lab_ns "$1" "$2")" 2>/dev/null); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == keepalived ]] || continue
        ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        if [[ $(cat "/proc/$ppid/comm" 2>/dev/null) == keepalived ]]; then kids+=("$pid"); else parent=$pid; fi
    done
    echo "$parent ${kids[*]}"
}
# kill -9 keepalived in a namespace like a crash: stop the parent (so it neither respawns the
# VRRP child nor lets the kernel SIGTERM it via PDEATHSIG), kill the children, then the parent.
ka_crash() { # prefix node
    local parent kids
    read -r parent kids <<<"$(ka_pids "$1" "$2")"
    [[ -n $parent ]] || return 1
    kill -STOP "$parent"
    # shellcheck disable=SC2086
    [[ -z $kids ]] || kill -9 $kids
    kill -9 "$parent"
}
holds_vip() { # prefix node
    [[ " $(lab_vip_holders "$1" 2 "$VIP") " == *" $2 "* ]]
}
start_capture() { # prefix file
    # --immediate-mode: without it libpcap hands packets over in blocks (up to 1 s late) and
    # whatever is still buffered when tcpdump is stopped is lost ("received by filter" > "captured").
    ip netns exec "$(lab_ns "$1" c)" tcpdump -i eth0 -nn --immediate-mode -U -w "$2" 'ip proto 112' 2>"$2.err" &
    PIDS+=("$!")
    local tries
    for ((tries = 0; tries < 100; tries++)); do
        grep -q "listening on" "$2.err" 2>/dev/null && return 0
        sleep 0.05
    done
    die "tcpdump in $1 did not start: $(cat "$2.err")"
}
stop_captures() { # files...
    local pid f got seen
    for pid in "${CAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null; done
    for pid in "${CAP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for f in "$@"; do
        got=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$f.err") seen=$(sed -n 's/^\([0-9]*\) packets received by filter.*/\1/p' "$f.err")
        [[ $got == "$seen" ]] || say "warning: $f: $seen packets received by filter, $got captured"
    done
}
# capture -> "time src dst prio" per advert
adverts() { tcpdump -r "$1" -nn -tt 'ip proto 112' 2>/dev/null | awk '$2 == "IP" && /VRRPv/ {
    sub(/:$/, "", $5); for (i = 6; i <= NF; i++) if ($i == "prio") { p = $(i + 1); sub(/,$/, "", p) }
    print $1, $3, $5, p }'; }
# capture -> takeover ms (first NEW advert after the last OLD advert), or "-"
takeover_ms() {
    adverts "$1" | awk -v old="$OLD" -v new="$NEW" '
        $2 == old { last = $1; first = "" }
        $2 == new && last != "" && first == "" { first = $1 }
        END { if (last != "" && first != "") printf "%.0f\n", (first - last) * 1000; else print "-" }'
}
# capture -> gaps (ms) between consecutive OLD adverts, one per line
old_gaps() { adverts "$1" | awk -v old="$OLD" '$2 == old && $4 > 0 { if (prev != "") printf "%.3f\n", ($1 - prev) * 1000; prev = $1 }'; }

ours_conf() { # dir node priority interval_ms
    cat >"$1/n$2.conf" <<EOF
redis-ha {
  node { name = "n$2" }
  vrrp {
    interface = "eth0"
    virtual-router-id = 51
    priority = $3
    advert-interval = $4ms
    version = 3
    preempt = on
    virtual-ipaddress = ["$VIP/24"]
  }
  redis {
    announce-host = "$LAB_NET.$2"
    check { interval = 200ms, timeout = 200ms, rise = 2, fall = 2, weight = -20 }
    sync-timeout = 5s
  }
}
EOF
}
ka_conf() { # dir node priority interval_ms
    cat >"$1/keepalived-n$2.conf" <<EOF
global_defs {
    router_id takeover-n$2
    vrrp_version 3
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $3
    advert_int $(awk -v ms="$4" 'BEGIN { printf "%g", ms / 1000 }')
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}
EOF
}
start_ours() { # dir node
    ip netns exec "$(lab_ns "$PR" "$2")" dotnet "$NODE_DLL" run --config "$1/n$2.conf" >"$1/node-n$2.log" 2>&1 &
    PIDS+=("$!")
    OURS_PID[$2]=$!
}
start_ka() { # dir node
    ip netns exec "$(lab_ns "$PK" "$2")" keepalived -n -l -D -f "$1/keepalived-n$2.conf" \
        -p "$1/keepalived-n$2.pid" -r "$1/keepalived-n$2-vrrp.pid" -c "$1/keepalived-n$2-checkers.pid" \
        >"$1/keepalived-n$2.log" 2>&1 &
    PIDS+=("$!")
    KA_PID[$2]=$!
}
wait_for() { # seconds description condition... (the description documents the call)
    local deadline=$((SECONDS + $1))
    shift 2
    while ((SECONDS < deadline)); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
rh_settled() { # n1 master with the VIP alone, n2's Redis a linked replica of n1
    [[ $(lab_vip_holders "$PR" 2 "$VIP") == 1 && $(redis_role "$PR" 1) == master && $(redis_role "$PR" 2) == "replica-of-$OLD-up" ]]
}
ka_settled() {
    [[ $(lab_vip_holders "$PK" 2 "$VIP") == 1 ]] && grep -q "Entering BACKUP STATE" "$D/keepalived-n2.log"
}

# One run: both labs, capture, kill -9 the masters one after the other. Sets RES_OURS, RES_KA
# (ms or "-"). Runs in the main shell (not in $(...)) so the EXIT trap sees every lab it makes.
declare -A OURS_PID KA_PID
RES_OURS="" RES_KA=""
one_run() { # interval_ms run
    local iv=$1 run=$2 limit
    D=$T/iv$iv-run$run
    mkdir -p "$D"
    new_lab "$PR"
    new_lab "$PK"
    for i in 1 2; do "${LAB[@]}" redis_start "$PR" "$i" "$D" || die "redis $PR n$i did not start"; done
    ours_conf "$D" 1 $PRIO_MASTER "$iv"
    ours_conf "$D" 2 $PRIO_BACKUP "$iv"
    ka_conf "$D" 1 $PRIO_MASTER "$iv"
    ka_conf "$D" 2 $PRIO_BACKUP "$iv"
    start_ours "$D" 1
    start_ka "$D" 1
    limit=$((10 + 4 * iv / 1000))
    wait_for $((limit + 20)) "redis-ha n1 MASTER" eval '[[ $(lab_vip_holders "$PR" 2 "$VIP") == 1 ]]' \
        || die "redis-ha n1 did not take the VIP: $(tail -n 5 "$D/node-n1.log")"
    wait_for "$limit" "keepalived n1 MASTER" eval '[[ $(lab_vip_holders "$PK" 2 "$VIP") == 1 ]]' \
        || die "keepalived n1 did not take the VIP: $(tail -n 5 "$D/keepalived-n1.log")"
    start_ours "$D" 2
    start_ka "$D" 2
    wait_for $((limit + 20)) "redis-ha settled" rh_settled || die "redis-ha lab did not settle (see $D)"
    wait_for "$limit" "keepalived settled" ka_settled || die "keepalived lab did not settle (see $D)"

    CAP_PIDS=()
    start_capture "$PR" "$D/ours.pcap"
    CAP_PIDS+=("${PIDS[-1]}")
    start_capture "$PK" "$D/ka.pcap"
    CAP_PIDS+=("${PIDS[-1]}")
    sleep "$CAPTURE"

    # redis-ha: kill -9 n1's node process (ip netns exec execs dotnet in place: $! is its pid).
    date +%s.%N >"$D/ours.kill"
    { kill -9 "${OURS_PID[1]}"; wait "${OURS_PID[1]}" || true; } 2>/dev/null
    wait_for "$limit" "redis-ha n2 MASTER" holds_vip "$PR" 2 || say "redis-ha n2 did not take the VIP (interval $iv ms, run $run)"
    sleep 1
    date +%s.%N >"$D/ka.kill"
    ka_crash "$PK" 1 || die "no keepalived found in $PK n1"
    wait "${KA_PID[1]}" 2>/dev/null || true
    wait_for "$limit" "keepalived n2 MASTER" holds_vip "$PK" 2 || say "keepalived n2 did not take the VIP (interval $iv ms, run $run)"
    sleep 1
    stop_captures "$D/ours.pcap" "$D/ka.pcap"
    teardown
    RES_OURS=$(takeover_ms "$D/ours.pcap") RES_KA=$(takeover_ms "$D/ka.pcap")
}

median() { tr ' ' '\n' | awk '/^[0-9.]+$/' | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# gaps (stdin, ms) -> "n mean stddev maxdev" against the nominal interval
gap_stats() { awk -v iv="$1" '{ g[NR] = $1; s += $1 } END {
    if (NR < 2) { print "- - - -"; exit }
    m = s / NR; for (i = 1; i <= NR; i++) { v += (g[i] - m) ^ 2; d = g[i] - iv; if (d < 0) d = -d; if (d > md) md = d }
    printf "%d %.2f %.2f %.2f\n", NR, m, sqrt(v / (NR - 1)), md }'; }

FAILED=0
declare -A OURS KA
say "redis-ha $PR vs keepalived $PK; intervals: $INTERVALS ms; $RUNS runs each; ${CAPTURE} s of adverts before each kill"
for iv in $INTERVALS; do
    OURS[$iv]="" KA[$iv]=""
    for ((run = 1; run <= RUNS; run++)); do
        one_run "$iv" "$run"
        o=$RES_OURS k=$RES_KA
        say "interval $iv ms run $run: redis-ha $o ms, keepalived $k ms"
        [[ $o != - && $k != - ]] || FAILED=1
        OURS[$iv]+="$o " KA[$iv]+="$k "
    done
done

echo
echo "takeover after kill -9 of the master (n1, priority $PRIO_MASTER -> n2, priority $PRIO_BACKUP), VRRPv3 multicast,"
echo "from capture timestamps in the client namespace: last advert of the old master -> first advert of the new one"
printf '%-9s %9s %-26s %-26s %8s %16s\n' interval "MDI" "redis-ha median (runs)" "keepalived median (runs)" "ours/MDI" "ours/keepalived"
for iv in $INTERVALS; do
    mdi=$(awk -v iv="$iv" -v p=$PRIO_BACKUP 'BEGIN { printf "%.0f", 3 * iv + (256 - p) * iv / 256 }')
    om=$(median <<<"${OURS[$iv]}") km=$(median <<<"${KA[$iv]}")
    r1=$(awk -v a="$om" -v b="$mdi" 'BEGIN { if (a ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }')
    r2=$(awk -v a="$om" -v b="$km" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-9s %9s %-26s %-26s %8s %16s\n' "$iv ms" "$mdi ms" "$om ms (${OURS[$iv]% })" "$km ms (${KA[$iv]% })" "$r1" "$r2"
done

echo
echo "advert jitter of the master before the kill (gaps between consecutive adverts, all runs pooled, ~${CAPTURE} s per run)"
printf '%-9s %-11s %6s %10s %11s %13s\n' interval impl gaps "mean ms" "stddev ms" "max |dev| ms"
for iv in $INTERVALS; do
    for impl in ours ka; do
        # shellcheck disable=SC2046
        read -r n m sd md <<<"$(for ((run = 1; run <= RUNS; run++)); do old_gaps "$T/iv$iv-run$run/$impl.pcap"; done | gap_stats "$iv")"
        printf '%-9s %-11s %6s %10s %11s %13s\n' "$iv ms" "$([[ $impl == ours ]] && echo redis-ha || echo keepalived)" "$n" "$m" "$sd" "$md"
    done
done
((FAILED == 0)) || { echo "takeover: at least one run had no takeover in the capture" >&2; exit 1; }
exit 0
