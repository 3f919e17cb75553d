#!/usr/bin/env bash
# Split-brain benchmark (issue 3, "Figures for the closing note"): two data nodes and a witness,
# three faults on the master, and per fault the time with two writable Redis masters, the time
# until the majority side accepts writes, and the acked writes lost. Figures, no timed asserts.
#
#   sudo bench/partition.sh
#   sudo PARTITION_FAULTS="stop" PARTITION_FAULT_SECONDS=5 bench/partition.sh
#
# One 3-node namespace lab (lab/lab.sh, prefix rhp<pid>): n1 and n2 data nodes (Redis + redis-ha,
# priorities 200/190, preempt off), n3 a witness (redis-ha.node.role = witness, no Redis), all in
# one Akka cluster (seed nodes = the three voters, remoting on 192.0.2.i:4053), 200 ms adverts and
# Redis checks. A sampler (labwriter sample) in each data node's namespace tries a SET on that
# node's own Redis every 50 ms and logs OK/ERR with wall-clock ms. For each fault, in order:
#   isolate  the master's switch port disabled (carrier kept: lab_isolate)    -> the other side
#            should take over, the isolated master must stop accepting writes
#   vrrp     only IP protocol 112 dropped in and out of the master (iptables) -> the cluster is
#            intact, so no takeover is the right outcome ("VRRP silent, cluster alive")
#   stop     SIGSTOP of the master's redis-ha process (its Redis keeps running) -> takeover, and
#            the frozen master's Redis must be fenced without its coordinator
# the script waits until one data node holds VIP 192.0.2.100 with a master Redis and the other
# Redis is a linked replica of it (the master is the fault's target), starts labwriter write through
# the VIP from the client namespace (a SET every 10 ms, own key prefix per fault), applies the fault
# for PARTITION_FAULT_SECONDS, heals it, waits (bounded) for one VIP holder / one master again,
# stops the writer and verifies every acked write on the master (labwriter verify). Then:
#   two masters  seconds during which both samplers' latest samples were OK (a sample stands for the
#                time from its start to its reply), from the fault start to 1 s after the set settled again; target 0.000
#   takeover     seconds from the fault start to the other data node's first OK sample after it had
#                been failing (READONLY...), or "no takeover"; target < 3 s where the master is
#                really cut off (isolate, stop) and "no takeover" for vrrp
#   lost         acked writes missing on the final master
#
# Environment:
#   PARTITION_FAULTS="isolate vrrp stop"   faults to run, in order
#   PARTITION_FAULT_SECONDS=8              how long each fault lasts
#   PARTITION_SETTLE=90                    s to wait for the cluster and the first master at start
#   PARTITION_HEAL=60                      s to wait after healing for one VIP holder / one master
#   BENCH_SKIP_BUILD=1                     use the existing Release build
#   PARTITION_KEEP_LOGS=DIR                copy configs, node, sampler and writer logs to DIR
# Exit status: 0 every fault met its targets (0.000 s of two masters, 0 acked writes lost, settled
# again, takeover exactly where expected); 1 a target was missed; 2 setup failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lab/lab.sh
source "$ROOT/lab/lab.sh"
LAB=("bash" "$ROOT/lab/lab.sh") # as a process: errexit holds even under "|| die"

NODE_DLL=$ROOT/src/Coordinator/bin/Release/net10.0/redis-ha.dll
WRITER_DLL=$ROOT/lab/writer/bin/Release/net10.0/labwriter.dll
VIP=$LAB_VIP_DEFAULT
FAULTS=${PARTITION_FAULTS:-"isolate vrrp stop"}
FAULT_SECONDS=${PARTITION_FAULT_SECONDS:-8}
SETTLE_TIMEOUT=${PARTITION_SETTLE:-90}
HEAL_TIMEOUT=${PARTITION_HEAL:-60}
PERIOD_MS=50 # sampler period
REPLY_TIMEOUT_MS=40 # sampler connect and reply timeout: an OK's write landed within [start, start + this)
AKKA_PORT=4053
for n in "$FAULT_SECONDS" "$SETTLE_TIMEOUT" "$HEAL_TIMEOUT"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "partition: PARTITION_FAULT_SECONDS, PARTITION_SETTLE and PARTITION_HEAL must be positive integers" >&2; exit 2; }
done
for f in $FAULTS; do
    [[ $f == isolate || $f == vrrp || $f == stop ]] || { echo "partition: unknown fault '$f' (isolate, vrrp, stop)" >&2; exit 2; }
done

P=rhp$$
P=${P:0:10}
T=""
LAB_MADE=0
PIDS=()          # every background child: nodes, samplers, writers
declare -A NODE_PID
WRITER_PID=""
# Faults in place, undone by heal and by cleanup: "isolate N", "vrrp N", "stop N PID".
ACTIVE_FAULT=""

say() { echo "[$(date '+%H:%M:%S.%3N')] $*" >&2; }
die() { echo "partition: $*" >&2; exit "${2:-2}"; }
now_ms() { date +%s%3N; }
# An interruptible sleep: bash runs a trap only after the foreground command ends, but at once
# during "wait", so Ctrl-C/SIGTERM during a fault heals and cleans up without delay.
nap() { sleep "$1" & wait "$!" || true; }

heal() { # undo ACTIVE_FAULT; idempotent
    local kind node pid
    read -r kind node pid <<<"$ACTIVE_FAULT"
    case $kind in
        isolate) lab_rejoin "$P" "$node" ;;
        vrrp) lab_vrrp_unblock "$P" "$node" ;;
        stop) lab_thaw "$P" "$node" "$pid" ;;
    esac
    ACTIVE_FAULT=""
}

cleanup() {
    local rc=$? pid
    set +e
    trap - EXIT INT TERM
    [[ -z $ACTIVE_FAULT ]] || heal
    # stderr off: bash reports each job it sees die of SIGKILL. Only our own children are killed
    # here; lab_down kills whatever else still runs in the lab's namespaces.
    {
        for pid in "${PIDS[@]}"; do
            if [[ $(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) == "$$" ]]; then kill -9 "$pid" || true; fi
            wait "$pid" || true
        done
    } 2>/dev/null
    if ((LAB_MADE)); then lab_down "$P"; fi
    if [[ -n $T && -d $T ]]; then
        if [[ -n ${PARTITION_KEEP_LOGS:-} ]]; then
            mkdir -p "$PARTITION_KEEP_LOGS" && cp -r "$T"/. "$PARTITION_KEEP_LOGS"/ && echo "partition: logs kept in $PARTITION_KEEP_LOGS" >&2
        fi
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "partition: interrupted" >&2; exit 130' INT
trap 'echo "partition: terminated" >&2; exit 143' TERM

[[ $EUID -eq 0 ]] || die "needs root (network namespaces)"

# ---------------------------------------------------------------------------------------------
# Packages, build.
# shellcheck source=bench/packages.sh
source "$ROOT/bench/packages.sh"
ensure_packages
if ! command -v iptables >/dev/null; then
    say "installing iptables"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null || die "could not install iptables"
fi
command -v dotnet >/dev/null || die "dotnet not found (install the .NET 10 SDK)"

T=$(mktemp -d /tmp/redis-ha-partition.XXXXXX)
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "building (dotnet build -c Release)"
    if ! (cd "$ROOT" && dotnet build -c Release -nologo) >"$T/build.log" 2>&1; then
        tail -n 30 "$T/build.log" >&2
        die "build failed"
    fi
fi
[[ -f $NODE_DLL && -f $WRITER_DLL ]] || die "missing $NODE_DLL or $WRITER_DLL (build first)"

# ---------------------------------------------------------------------------------------------
# Configs: as NamespaceLab.StartNode writes them, plus the cluster part (NamespaceLab.ClusterHocon).
node_conf() { # node priority witness(0|1)
    local seeds="" i
    for i in 1 2 3; do seeds+="${seeds:+, }\"akka.tcp://redis-ha@$LAB_NET.$i:$AKKA_PORT\""; done
    cat >"$T/n$1.conf" <<EOF
redis-ha {
  node { name = "n$1" }
  vrrp {
    interface = "eth0"
    virtual-router-id = 51
    priority = $2
    advert-interval = 200ms
    preempt = off
    virtual-ipaddress = ["$VIP/24"]
  }
  redis {
    announce-host = "$LAB_NET.$1"
    check { interval = 200ms, timeout = 200ms, rise = 2, fall = 2, weight = -20 }
    sync-timeout = 5s
  }
}
akka.remote.dot-netty.tcp { hostname = "$LAB_NET.$1", port = $AKKA_PORT }
akka.cluster.seed-nodes = [$seeds]
EOF
    if (($3)); then echo "redis-ha.node.role = witness" >>"$T/n$1.conf"; fi
    dotnet "$NODE_DLL" check-config --config "$T/n$1.conf" >"$T/check-n$1.txt" 2>&1 \
        || { cat "$T/check-n$1.txt" >&2; die "config n$1 rejected (is the cluster guard built?)"; }
}

# ---------------------------------------------------------------------------------------------
# Helpers.
redis_role() { # node -> master | replica-of-HOST-STATUS | down
    local info
    info=$(LAB_CLI_TIMEOUT=1 lab_redis_cli "$P" "$1" info replication 2>/dev/null | tr -d '\r') || { echo down; return; }
    case $(sed -n 's/^role://p' <<<"$info") in
        master) echo master ;;
        slave) echo "replica-of-$(sed -n 's/^master_host://p' <<<"$info")-$(sed -n 's/^master_link_status://p' <<<"$info")" ;;
        *) echo down ;;
    esac
}
describe() {
    local h
    h=$(lab_vip_holders "$P" 3 "$VIP")
    [[ -n $h ]] && h="n${h// / n}" || h=none
    echo "VIP holder: $h; n1 redis: $(redis_role 1); n2 redis: $(redis_role 2)"
}
nodes_alive() {
    local i
    for i in 1 2 3; do
        kill -0 "${NODE_PID[$i]}" 2>/dev/null || { say "node n$i exited: $(tail -n 5 "$T/node-n$i.log")"; return 1; }
    done
}
# One data node holds the VIP alone, its Redis is master, the other Redis is a linked replica of
# it. Sets MASTER and OTHER.
settled() {
    local h o
    h=$(lab_vip_holders "$P" 3 "$VIP")
    [[ $h == 1 || $h == 2 ]] || return 1
    o=$((3 - h))
    [[ $(redis_role "$h") == master && $(redis_role "$o") == "replica-of-$LAB_NET.$h-up" ]] || return 1
    MASTER=$h OTHER=$o
}
wait_for() { # seconds condition... ; gives up early when a node exited
    local deadline=$((SECONDS + $1))
    shift
    while ((SECONDS < deadline)); do
        "$@" && return 0
        nodes_alive || return 1
        sleep 0.1
    done
    return 1
}
json_num() { sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p" "$2" | head -n 1; }

# The sampler-log figures come from labwriter (lab/writer/Analysis, the code the lab tests use too):
#   dual-writable  seconds (3 decimals) during which both logs show an accepted write within
#                  [from, to) ms; an OK sample stands for [start, reply + 1) (without a reply time,
#                  start + the reply timeout), cut short by the same node's next sample. With a
#                  fifth argument, the overlapping stretches go to that file as "start_ms end_ms"
#                  (relative to from).
#   until-writable seconds (2 decimals) from the fault to the node's first OK after a failure (or
#                  no sample), or "no takeover".
dual_writable() { # log1 log2 from_ms to_ms [intervals-file]
    dotnet "$WRITER_DLL" dual-writable "$1" "$2" --from-ms "$3" --to-ms "$4" --reply-timeout-ms "$REPLY_TIMEOUT_MS" \
        ${5:+--intervals "$5"}
}
until_writable() { # log fault_ms
    dotnet "$WRITER_DLL" until-writable "$1" --fault-ms "$2"
}

start_bg() { # log-file ns-index cmd... ; sets BG_PID
    local log=$1 ns
    ns=$(lab_ns "$P" "$2")
    shift 2
    ip netns exec "$ns" "$@" >"$log" 2>"$log.err" &
    BG_PID=$!
    PIDS+=("$BG_PID")
}
stop_pid() { # pid : SIGTERM, bounded wait, SIGKILL
    local deadline=$((SECONDS + 10))
    kill -TERM "$1" 2>/dev/null || true
    while kill -0 "$1" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Lab, Redis, nodes, samplers.
say "lab prefix $P, work dir $T; faults: $FAULTS (${FAULT_SECONDS} s each)"
if ip netns list 2>/dev/null | awk '{print $1}' | grep -qE "^${P}(sw|c|n[0-9]+)\$"; then
    die "namespaces with prefix $P already exist (not ours: left alone)"
fi
node_conf 1 200 0
node_conf 2 190 0
node_conf 3 100 1
LAB_MADE=1
"${LAB[@]}" up "$P" 3 || die "lab_up failed"
"${LAB[@]}" redis_start "$P" 1 "$T" || die "redis n1 did not start"
"${LAB[@]}" redis_start "$P" 2 "$T" || die "redis n2 did not start"
for i in 1 2 3; do
    start_bg "$T/node-n$i.log" "$i" dotnet "$NODE_DLL" run --config "$T/n$i.conf"
    NODE_PID[$i]=$BG_PID # ip netns exec execs dotnet in place: this is the node's pid
done
say "nodes started (n1 ${NODE_PID[1]}, n2 ${NODE_PID[2]}, witness n3 ${NODE_PID[3]}); waiting (<= ${SETTLE_TIMEOUT}s) for one master"
MASTER="" OTHER=""
wait_for "$SETTLE_TIMEOUT" settled || die "the set did not settle within ${SETTLE_TIMEOUT}s: $(describe)"
say "settled: $(describe)"
for i in 1 2; do
    start_bg "$T/sampler-n$i.log" "$i" dotnet "$WRITER_DLL" sample --period-ms "$PERIOD_MS" \
        --connect-timeout-ms "$REPLY_TIMEOUT_MS" --reply-timeout-ms "$REPLY_TIMEOUT_MS"
done
deadline=$((SECONDS + 20))
until [[ -s $T/sampler-n1.log && -s $T/sampler-n2.log ]]; do
    ((SECONDS < deadline)) || die "samplers printed nothing within 20 s: $(cat "$T"/sampler-n*.log.err)"
    sleep 0.1
done

# ---------------------------------------------------------------------------------------------
# Faults.
declare -A R_TARGET R_DUAL R_TAKEOVER R_ACKED R_LOST R_OUTAGE R_HEALED R_EXPECT
k=0
for fault in $FAULTS; do
    k=$((k + 1))
    R_HEALED[$fault]=no R_DUAL[$fault]=- R_TAKEOVER[$fault]=- R_ACKED[$fault]=- R_LOST[$fault]=- R_OUTAGE[$fault]=- R_TARGET[$fault]=-
    [[ $fault == vrrp ]] && R_EXPECT[$fault]=no || R_EXPECT[$fault]=yes
    if ! wait_for "$HEAL_TIMEOUT" settled; then
        say "fault $fault skipped: the set is not settled ($(describe))"
        nodes_alive || die "a node exited; see $T"
        continue
    fi
    M=$MASTER O=$OTHER
    R_TARGET[$fault]=n$M
    start_bg "$T/writer-$fault.json" c dotnet "$WRITER_DLL" write --host "$VIP" --port "$LAB_REDIS_PORT" \
        --duration-ms 600000 --interval-ms 10 --acked "$T/acked-$fault.txt" --prefix "w$k" --verbose
    WRITER_PID=$BG_PID
    deadline=$((SECONDS + 10))
    until [[ -s $T/acked-$fault.txt ]]; do
        ((SECONDS < deadline)) || die "writer got no ack within 10 s: $(cat "$T/writer-$fault.json.err")"
        sleep 0.1
    done
    nap 1

    FAULT_MS=$(now_ms)
    case $fault in
        isolate)
            ACTIVE_FAULT="isolate $M"
            "${LAB[@]}" isolate "$P" "$M" || die "lab_isolate n$M failed"
            say "fault isolate: n$M's switch port disabled for ${FAULT_SECONDS}s" ;;
        vrrp)
            ACTIVE_FAULT="vrrp $M"
            "${LAB[@]}" vrrp_block "$P" "$M" || die "lab_vrrp_block n$M failed"
            say "fault vrrp: IP protocol 112 dropped in and out of n$M for ${FAULT_SECONDS}s" ;;
        stop)
            ACTIVE_FAULT="stop $M ${NODE_PID[$M]}"
            "${LAB[@]}" freeze "$P" "$M" "${NODE_PID[$M]}" || die "lab_freeze n$M failed"
            say "fault stop: n$M's redis-ha (pid ${NODE_PID[$M]}) SIGSTOPped for ${FAULT_SECONDS}s" ;;
    esac
    nap "$FAULT_SECONDS"
    say "during the fault: $(describe)"
    heal
    HEAL_MS=$(now_ms)
    say "healed; waiting (<= ${HEAL_TIMEOUT}s) for one VIP holder / one master"
    if wait_for "$HEAL_TIMEOUT" settled; then
        R_HEALED[$fault]="yes ($(awk -v a="$HEAL_MS" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }') s)"
        say "settled again: $(describe)"
    else
        say "NOT settled within ${HEAL_TIMEOUT}s of healing: $(describe)"
    fi
    END_MS=$(($(now_ms) + 1000))
    nap 1

    stop_pid "$WRITER_PID"
    WRITER_PID=""
    R_ACKED[$fault]=$(json_num acked "$T/writer-$fault.json")
    R_OUTAGE[$fault]=$(json_num longest_outage_ms "$T/writer-$fault.json")
    host=$VIP
    [[ ${R_HEALED[$fault]} == no ]] || host=$LAB_NET.$MASTER
    if ip netns exec "$(lab_ns "$P" c)" dotnet "$WRITER_DLL" verify --host "$host" --port "$LAB_REDIS_PORT" \
        --acked "$T/acked-$fault.txt" --prefix "w$k" >"$T/verify-$fault.json" 2>"$T/verify-$fault.log"; then
        R_LOST[$fault]=$(json_num lost "$T/verify-$fault.json")
    else
        say "verify failed: $(cat "$T/verify-$fault.log")"
    fi
    R_DUAL[$fault]=$(dual_writable "$T/sampler-n1.log" "$T/sampler-n2.log" "$FAULT_MS" "$END_MS" "$T/dual-$fault.txt") \
        || { say "labwriter dual-writable failed"; R_DUAL[$fault]=error; }
    if [[ -s $T/dual-$fault.txt ]]; then
        say "both Redis writable at (ms after the fault start; heal at $((HEAL_MS - FAULT_MS))):" \
            "$(awk '{ printf "%s%d-%d", (NR > 1 ? ", " : ""), $1, $2 } NR == 10 { printf ", ..."; exit }' "$T/dual-$fault.txt")"
    fi
    R_TAKEOVER[$fault]=$(until_writable "$T/sampler-n$O.log" "$FAULT_MS") \
        || { say "labwriter until-writable failed"; R_TAKEOVER[$fault]=error; }
    tk=${R_TAKEOVER[$fault]}
    [[ $tk == "no takeover" ]] && tk="never (no takeover)" || tk="after $tk s"
    say "fault $fault on n$M: two writable masters ${R_DUAL[$fault]} s, n$O writable $tk," \
        "acked ${R_ACKED[$fault]}, lost ${R_LOST[$fault]}"
done
nodes_alive || true

# ---------------------------------------------------------------------------------------------
# Table.
FAILED=0
echo
echo "split brain under faults on the master (2 data nodes + witness, 200 ms adverts/checks, ${FAULT_SECONDS} s per fault)"
printf '%-26s %-6s %-12s %-22s %-9s %-7s %-8s %-12s %s\n' fault target "two masters" "majority writable" expected acked lost outage healed
for fault in $FAULTS; do
    case $fault in
        isolate) what="isolate switch port" ;;
        vrrp) what="drop IP proto 112 (VRRP)" ;;
        stop) what="SIGSTOP redis-ha" ;;
    esac
    tk=${R_TAKEOVER[$fault]}
    [[ $tk == - || $tk == "no takeover" ]] || tk="$tk s"
    printf '%-26s %-6s %-12s %-22s %-9s %-7s %-8s %-12s %s\n' "$what" "${R_TARGET[$fault]}" "${R_DUAL[$fault]} s" "$tk" \
        "$([[ ${R_EXPECT[$fault]} == yes ]] && echo takeover || echo none)" "${R_ACKED[$fault]}" "${R_LOST[$fault]}" "${R_OUTAGE[$fault]} ms" "${R_HEALED[$fault]}"
    ok=1
    [[ ${R_DUAL[$fault]} == 0.000 && ${R_LOST[$fault]} == 0 && ${R_HEALED[$fault]} != no ]] || ok=0
    if [[ ${R_EXPECT[$fault]} == yes ]]; then [[ ${R_TAKEOVER[$fault]} =~ ^[0-9.]+$ ]] || ok=0; else [[ ${R_TAKEOVER[$fault]} == "no takeover" ]] || ok=0; fi
    ((ok)) || FAILED=1
done
echo "two masters: seconds both samplers (local SET every ${PERIOD_MS} ms on n1 and n2) saw a writable Redis, fault start -> settled + 1 s"
echo "majority writable: fault start -> first OK of the non-target data node's sampler after it had failed"
echo "outage: the VIP writer's longest gap between acks; lost: acked writes missing on the final master"
((FAILED == 0)) || { echo "partition: at least one fault missed a target (see above; logs: PARTITION_KEEP_LOGS=DIR)" >&2; exit 1; }
exit 0
