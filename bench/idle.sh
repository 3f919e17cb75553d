#!/usr/bin/env bash
# Idle cost: redis-ha vs keepalived, both in 2-node namespace labs with 200 ms VRRPv3 adverts.
#
#   sudo bench/idle.sh                      # 60 s window after a 20 s warm-up
#   sudo IDLE_SECONDS=30 IDLE_WARMUP=10 bench/idle.sh
#
# Lab A (prefix rhi<pid>): Redis + one redis-ha node in n1 and n2 (hocon/ samples with
#   advert-interval 200ms, check interval 200ms timeout 200ms), settled: one VIP holder, the other
#   Redis a linked replica.
# Lab B (prefix rhk<pid>): Redis + keepalived 2.2.7 (Debian) in n1 and n2: vrrp_version 3,
#   advert_int 0.2, the article's instance (state BACKUP, nopreempt, priority 200/190) and a
#   vrrp_script "redis-cli -h 127.0.0.1 ping" (weight -20, rise/fall 2). keepalived runs with
#   -n -l -D -f CONF -p/-r/-c pid files in the temp dir.
#   NOTE: keepalived 2.2.7 only takes whole seconds for vrrp_script interval ("interval 0.2" is
#   rejected: "invalid number '0.2' ... setting to 1"), so its check runs every 1 s (the article
#   used 2 s), five times less often than redis-ha's 200 ms check. The "+children" column shows
#   what those forks cost (CPU of reaped children: cutime+cstime).
# Both labs run at the same time; after the warm-up every node is sampled over the same window:
#   CPU % of one core = delta(utime+stime) / CLK_TCK / wall seconds * 100 (from /proc/PID/stat,
#   summed over the node's processes: 1 for redis-ha, parent + VRRP child for keepalived),
#   RSS = VmRSS at the end of the window (summed likewise).
# The window only counts if the VIP holder did not change during it (i.e. the nodes were idle).
#
# Environment:
#   IDLE_SECONDS=60        measurement window
#   IDLE_WARMUP=20         settle time before the window (JIT, Akka startup)
#   KA_SCRIPT_INTERVAL=1   keepalived vrrp_script interval (integer seconds, keepalived's minimum)
#   BENCH_SKIP_BUILD=1     use the existing Release build
#   IDLE_KEEP_LOGS=DIR     copy configs and logs to DIR
# Exit status: 0 measured, 1 the nodes were not idle (VIP moved) or a process died, 2 setup failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lab/lab.sh
source "$ROOT/lab/lab.sh"
LAB=("bash" "$ROOT/lab/lab.sh") # as a process: errexit holds even under "|| die"

NODE_DLL=$ROOT/src/Coordinator/bin/Release/net10.0/redis-ha.dll
VIP=$LAB_VIP_DEFAULT
WINDOW=${IDLE_SECONDS:-60}
WARMUP=${IDLE_WARMUP:-20}
KA_SCRIPT_INTERVAL=${KA_SCRIPT_INTERVAL:-1}
[[ $WINDOW =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ && $KA_SCRIPT_INTERVAL =~ ^[1-9][0-9]*$ ]] \
    || { echo "idle: IDLE_SECONDS, IDLE_WARMUP, KA_SCRIPT_INTERVAL must be integers" >&2; exit 2; }
CLK_TCK=$(getconf CLK_TCK)

PR=rhi$$ PK=rhk$$
PR=${PR:0:10} PK=${PK:0:10}
T=""
PIDS=()
MADE=()

say() { echo "[$(date '+%H:%M:%S')] $*"; }
die() { echo "idle: $*" >&2; exit "${2:-2}"; }

cleanup() {
    local rc=$? pid p
    set +e
    trap - EXIT INT TERM
    # Reap our own children before lab_down, or bash reports each as "Killed" on the way.
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    for p in "${MADE[@]}"; do lab_down "$p"; done
    if [[ -n $T && -d $T ]]; then
        if [[ -n ${IDLE_KEEP_LOGS:-} ]]; then
            mkdir -p "$IDLE_KEEP_LOGS" && cp -r "$T"/. "$IDLE_KEEP_LOGS"/ && echo "idle: logs kept in $IDLE_KEEP_LOGS" >&2
        fi
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "idle: interrupted" >&2; exit 130' INT
trap 'echo "idle: terminated" >&2; exit 143' TERM

[[ $EUID -eq 0 ]] || die "needs root (network namespaces)"

# ---------------------------------------------------------------------------------------------
# shellcheck source=bench/packages.sh
source "$ROOT/bench/packages.sh"
ensure_packages
command -v dotnet >/dev/null || die "dotnet not found (install the .NET 10 SDK)"

T=$(mktemp -d /tmp/redis-ha-idle.XXXXXX)
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
    MADE+=("$1")
    "${LAB[@]}" up "$1" 2 || die "lab_up $1 failed"
}

# ---------------------------------------------------------------------------------------------
# Lab A: redis-ha.
mkdir -p "$T/rh/conf" "$T/ka"
cp "$ROOT/hocon/common.conf" "$ROOT/hocon/n1.conf" "$ROOT/hocon/n2.conf" "$T/rh/conf/"
cat >>"$T/rh/conf/common.conf" <<'EOF'

# bench/idle.sh overrides
redis-ha.vrrp.advert-interval = 200ms
redis-ha.redis.check.interval = 200ms
redis-ha.redis.check.timeout = 200ms
EOF
new_lab "$PR"
for i in 1 2; do "${LAB[@]}" redis_start "$PR" "$i" "$T/rh" || die "redis $PR n$i did not start"; done
declare -A RH_PID
for i in 1 2; do
    ip netns exec "$(lab_ns "$PR" "$i")" dotnet "$NODE_DLL" run --config "$T/rh/conf/n$i.conf" >"$T/rh/node-n$i.log" 2>&1 &
    RH_PID[$i]=$!
    PIDS+=("$!")
done
say "redis-ha lab $PR: nodes started (pids ${RH_PID[1]} ${RH_PID[2]})"

# ---------------------------------------------------------------------------------------------
# Lab B: keepalived.
new_lab "$PK"
for i in 1 2; do
    "${LAB[@]}" redis_start "$PK" "$i" "$T/ka" || die "redis $PK n$i did not start"
    cat >"$T/ka/keepalived-n$i.conf" <<EOF
# bench/idle.sh: the article's setup at 200 ms adverts (keepalived 2.2.7).
global_defs {
    router_id lab-n$i
    vrrp_version 3
    script_user root
    enable_script_security
}
vrrp_script chk_redis {
    script "/usr/bin/redis-cli -h 127.0.0.1 ping"
    interval $KA_SCRIPT_INTERVAL
    timeout 1
    weight -20
    rise 2
    fall 2
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    nopreempt
    priority $((210 - 10 * i))
    advert_int 0.2
    virtual_ipaddress {
        $VIP/24
    }
    track_script {
        chk_redis
    }
}
EOF
    ip netns exec "$(lab_ns "$PK" "$i")" keepalived -n -l -D -f "$T/ka/keepalived-n$i.conf" \
        -p "$T/ka/keepalived-n$i.pid" -r "$T/ka/keepalived-n$i-vrrp.pid" -c "$T/ka/keepalived-n$i-checkers.pid" \
        >"$T/ka/keepalived-n$i.log" 2>&1 &
    PIDS+=("$!")
done
say "keepalived lab $PK: keepalived started"

# ---------------------------------------------------------------------------------------------
# Settle both.
redis_role() { # prefix node
    local info
    info=$(LAB_CLI_TIMEOUT=1 lab_redis_cli "$1" "$2" info replication 2>/dev/null | tr -d '\r') || { echo down; return; }
    case $(sed -n 's/^role://p' <<<"$info") in
        master) echo master ;;
        slave) echo "replica-of-$(sed -n 's/^master_host://p' <<<"$info")-$(sed -n 's/^master_link_status://p' <<<"$info")" ;;
        *) echo down ;;
    esac
}
ka_pids() { # prefix node -> keepalived pids in that namespace
    local pid
    for pid in $(ip netns pids "$(lab_ns "$1" "$2")" 2>/dev/null); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == keepalived ]] && echo "$pid"
    done
    return 0
}
RH_MASTER="" KA_MASTER=""
deadline=$((SECONDS + 40))
while ((SECONDS < deadline)); do
    for i in 1 2; do kill -0 "${RH_PID[$i]}" 2>/dev/null || die "redis-ha node n$i exited: $(tail -n 5 "$T/rh/node-n$i.log")"; done
    if [[ -z $RH_MASTER ]]; then
        h=$(lab_vip_holders "$PR" 2 "$VIP")
        if [[ $h == [12] && $(redis_role "$PR" "$h") == master && $(redis_role "$PR" $((3 - h))) == "replica-of-192.0.2.$h-up" ]]; then
            RH_MASTER=$h
        fi
    fi
    if [[ -z $KA_MASTER ]]; then
        h=$(lab_vip_holders "$PK" 2 "$VIP")
        if [[ $h == [12] && $(ka_pids "$PK" 1 | wc -l) -ge 2 && $(ka_pids "$PK" 2 | wc -l) -ge 2 ]]; then
            KA_MASTER=$h
        fi
    fi
    [[ -n $RH_MASTER && -n $KA_MASTER ]] && break
    sleep 0.2
done
[[ -n $RH_MASTER ]] || die "redis-ha lab did not settle (VIP: '$(lab_vip_holders "$PR" 2 "$VIP")')"
[[ -n $KA_MASTER ]] || die "keepalived lab did not settle (VIP: '$(lab_vip_holders "$PK" 2 "$VIP")', see $T/ka)"
if grep -q "invalid number" "$T/ka/keepalived-n1.log"; then
    echo "idle: keepalived warned about its config:" >&2
    grep -h "WARNING\|invalid" "$T/ka/keepalived-n1.log" >&2
fi
say "settled: redis-ha master n$RH_MASTER, keepalived master n$KA_MASTER; warm-up ${WARMUP}s, then ${WINDOW}s window"
sleep "$WARMUP"

# ---------------------------------------------------------------------------------------------
# Measure.
# Groups: label -> pids.
declare -A GROUP
GROUP[rh-master]=${RH_PID[$RH_MASTER]}
GROUP[rh-backup]=${RH_PID[$((3 - RH_MASTER))]}
GROUP[ka-master]=$(ka_pids "$PK" "$KA_MASTER" | tr '\n' ' ')
GROUP[ka-backup]=$(ka_pids "$PK" $((3 - KA_MASTER)) | tr '\n' ' ')
LABELS=(rh-master rh-backup ka-master ka-backup)

ticks() { # pids... -> "own children" (clock ticks, summed); fails if a pid is gone
    local pid rest own=0 kids=0
    for pid in "$@"; do
        rest=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
        rest=${rest##*) }                       # fields from 3 (state) on; comm may hold spaces
        # shellcheck disable=SC2086
        set -- $rest
        own=$((own + ${12} + ${13}))            # utime stime  (fields 14, 15)
        kids=$((kids + ${14} + ${15}))          # cutime cstime (fields 16, 17)
    done
    echo "$own $kids"
}
rss_kb() { # pids... -> summed VmRSS kB
    local pid sum=0 v
    for pid in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}
stat_of() { # prefix node field (INFO stats/all)
    LAB_CLI_TIMEOUT=1 lab_redis_cli "$1" "$2" info all 2>/dev/null | tr -d '\r' | sed -n "s/^$3://p"
}

declare -A T0 T1 RSS
for l in "${LABELS[@]}"; do
    # shellcheck disable=SC2086
    T0[$l]=$(ticks ${GROUP[$l]}) || die "process of $l vanished"
done
ka_conn0=$(stat_of "$PK" "$KA_MASTER" total_connections_received)
rh_cmd0=$(stat_of "$PR" "$RH_MASTER" total_commands_processed)
rh_vip0=$(lab_vip_holders "$PR" 2 "$VIP") ka_vip0=$(lab_vip_holders "$PK" 2 "$VIP")
w0=$(date +%s.%N)
sleep "$WINDOW"
for l in "${LABELS[@]}"; do
    # shellcheck disable=SC2086
    T1[$l]=$(ticks ${GROUP[$l]}) || die "process of $l died during the window" 1
    # shellcheck disable=SC2086
    RSS[$l]=$(rss_kb ${GROUP[$l]}) || die "process of $l died during the window" 1
done
w1=$(date +%s.%N)
ka_conn1=$(stat_of "$PK" "$KA_MASTER" total_connections_received)
rh_cmd1=$(stat_of "$PR" "$RH_MASTER" total_commands_processed)
rh_vip1=$(lab_vip_holders "$PR" 2 "$VIP") ka_vip1=$(lab_vip_holders "$PK" 2 "$VIP")

IDLE_OK=1
[[ $rh_vip0 == "$rh_vip1" && $rh_vip1 == "$RH_MASTER" ]] || { echo "idle: redis-ha VIP moved during the window ($rh_vip0 -> $rh_vip1)" >&2; IDLE_OK=0; }
[[ $ka_vip0 == "$ka_vip1" && $ka_vip1 == "$KA_MASTER" ]] || { echo "idle: keepalived VIP moved during the window ($ka_vip0 -> $ka_vip1)" >&2; IDLE_OK=0; }

# ---------------------------------------------------------------------------------------------
# Report.
declare -A CPU CPUK NPROC
for l in "${LABELS[@]}"; do
    read -r o0 k0 <<<"${T0[$l]}"
    read -r o1 k1 <<<"${T1[$l]}"
    CPU[$l]=$(awk -v d=$((o1 - o0)) -v hz="$CLK_TCK" -v a="$w0" -v b="$w1" 'BEGIN { printf "%.2f", d / hz / (b - a) * 100 }')
    CPUK[$l]=$(awk -v d=$((o1 - o0 + k1 - k0)) -v hz="$CLK_TCK" -v a="$w0" -v b="$w1" 'BEGIN { printf "%.2f", d / hz / (b - a) * 100 }')
    # shellcheck disable=SC2206
    arr=(${GROUP[$l]})
    NPROC[$l]=${#arr[@]}
done
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a (keepalived below 1 tick)" }'; }
node_of() { case $1 in rh-master) echo "n$RH_MASTER" ;; rh-backup) echo "n$((3 - RH_MASTER))" ;; ka-master) echo "n$KA_MASTER" ;; ka-backup) echo "n$((3 - KA_MASTER))" ;; esac; }
secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.1f", b - a }')

echo
echo "idle cost over ${secs} s (after ${WARMUP} s warm-up), VRRPv3 adverts every 200 ms, CLK_TCK $CLK_TCK"
echo "  redis-ha: check every 200 ms (in-process PING/INFO); keepalived 2.2.7: vrrp_script redis-cli ping every ${KA_SCRIPT_INTERVAL} s"
printf '  %-22s %5s %12s %16s %9s\n' "node" "procs" "cpu % (own)" "cpu % (+child)" "rss MB"
for l in "${LABELS[@]}"; do
    case $l in rh-*) name="redis-ha" ;; *) name="keepalived" ;; esac
    printf '  %-22s %5s %12s %16s %9s\n' "$name ${l#*-} $(node_of "$l")" "${NPROC[$l]}" "${CPU[$l]}" "${CPUK[$l]}" "$(mb "${RSS[$l]}")"
done
awk -v c0="$ka_conn0" -v c1="$ka_conn1" -v s="$secs" 'BEGIN { if (c1 != "" && c0 != "") printf "  keepalived check rate (redis connections on its master): %.2f/s\n", (c1 - c0) / s }'
awk -v c0="$rh_cmd0" -v c1="$rh_cmd1" -v s="$secs" 'BEGIN { if (c1 != "" && c0 != "") printf "  redis-ha master node: commands/s seen by its local redis: %.1f/s\n", (c1 - c0) / s }'
echo
echo "---- summary ----"
echo "redis-ha idle: master cpu ${CPU[rh-master]} % rss $(mb "${RSS[rh-master]}") MB; backup cpu ${CPU[rh-backup]} % rss $(mb "${RSS[rh-backup]}") MB (cpu incl. children: master ${CPUK[rh-master]} %, backup ${CPUK[rh-backup]} %)"
echo "keepalived idle: master cpu ${CPU[ka-master]} % rss $(mb "${RSS[ka-master]}") MB; backup cpu ${CPU[ka-backup]} % rss $(mb "${RSS[ka-backup]}") MB (cpu incl. children: master ${CPUK[ka-master]} %, backup ${CPUK[ka-backup]} %)"
echo "ratio redis-ha/keepalived: master cpu $(ratio "${CPU[rh-master]}" "${CPU[ka-master]}") rss $(ratio "${RSS[rh-master]}" "${RSS[ka-master]}"); backup cpu $(ratio "${CPU[rh-backup]}" "${CPU[ka-backup]}") rss $(ratio "${RSS[rh-backup]}" "${RSS[ka-backup]}")"
((IDLE_OK)) || exit 1
exit 0
