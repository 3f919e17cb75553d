#!/usr/bin/env bash
# Comparison bench (issue 4): the article's keepalived setup, Redis Sentinel + keepalived, and
# redis-ha, each under the article's three failure cases, with the same writer and the same lab.
#
#   sudo bench/compare.sh                                        # RUNS=3, everything (~30-40 min)
#   sudo RUNS=1 COMPARE_SETUPS=ours COMPARE_CASES=2 bench/compare.sh
#   sudo BENCH_SKIP_BUILD=1 COMPARE_KEEP_LOGS=/tmp/cmp bench/compare.sh
#
# Setups (every run builds a fresh lab, prefix rc<pid%10000>x<run#>, lab/lab.sh):
#   article   keepalived 2.2.7 (Debian) in n1/n2 with the article's instance: state BACKUP,
#             priority 200 (n1) / 190 (n2), nopreempt on n1 only (the article's comment: "only set
#             on the main keepalived"; COMPARE_ARTICLE_NOPREEMPT=both puts it on n2 as well),
#             vrrp_script "redis-cli ping" weight -20 (no rise/fall: keepalived's default 1), its
#             interval 1 s (the article has 2; keepalived takes whole seconds only, 1 is its
#             minimum), notify_master "sleep 10; redis-cli SLAVEOF NO ONE", notify_backup
#             "redis-cli SLAVEOF <peer> 6379". advert_int COMPARE_KA_ADVERT (default 0.2 s,
#             vrrp_version 3: the same advert rate as ours at 200 ms; the article has 5 s).
#   sentinel  Redis Sentinel (redis-server --sentinel) on n1, n2 and n3 (n3 holds no Redis),
#             "sentinel monitor mymaster 192.0.2.1 6379 2", down-after-milliseconds
#             COMPARE_SENTINEL_DOWN_AFTER (1000; Sentinel's default is 30000: a best case for Sentinel),
#             failover-timeout COMPARE_SENTINEL_FAILOVER_TIMEOUT
#             (10000), parallel-syncs 1; keepalived in n1/n2: state BACKUP, preempt, priority
#             200/190, vrrp_script "SENTINEL get-master-addr-by-name mymaster == my address"
#             every 1 s, weight -50, so the VIP follows the Sentinel-elected master.
#   ours      redis-ha as in lab/demo.sh (hocon/ samples: preempt on, priority 200/190, no cluster
#             guard), advert-interval = check interval = check timeout = each of
#             COMPARE_INTERVALS (ms; default "200 100"), labelled ours200, ours100.
#   oursguard redis-ha with the cluster guard on (only when asked for: COMPARE_SETUPS="... oursguard"):
#             n1/n2 data nodes exactly as in ours plus a witness in n3 (redis-ha.node.role = witness,
#             no Redis), one Akka cluster (seed nodes = the three voters, remoting on 192.0.2.i:4053,
#             as LabConfig.ClusterHocon and bench/partition.sh), labelled ours200g, ours100g. The start
#             counts as settled only once n1 also logged "min-replicas-to-write 1" (quorum held and
#             n1's Redis fenced); the faults are ours's, on n1 (the witness is never touched).
# Cases (on the settled master: n1, or for the article whichever node won the start), all kill -9:
#   1  the coordinator and Redis (article: keepalived; sentinel: keepalived and sentinel;
#      ours, oursguard: redis-ha)        2  only the coordinator        3  only Redis
#   and, only when asked for (COMPARE_CASES="1 2 3 4"): 4  the master's Redis hung for
#   COMPARE_HUNG_SECONDS (3) with DEBUG SLEEP: it wakes still a master after the VIP moved, and
#   "lost" counts the writes it acked after waking that its demotion then dropped.
#   keepalived is crashed like bench/takeover.sh does it (parent SIGSTOPped, VRRP child and parent
#   SIGKILLed): a SIGKILL to the parent alone lets the child send a priority-0 advert on its way out.
# Per run: wait (<= COMPARE_SETTLE s) until, for 1 s, one node (n1 for ours, oursguard, sentinel) holds the
# VIP with a master Redis and the other is a linked replica of it (sentinel: also every Sentinel
# seeing 3 sentinels and 1 replica), start labwriter write through the VIP in the client namespace
# (SET every 10 ms), 2 s later apply the fault, wait
# until the end state is right for 1 s (or COMPARE_LIMIT s have passed), write 1.5 s more, stop the
# writer and verify every acked write (labwriter verify) on the Redis the client reaches (the
# client's ARP entry for the VIP; else the only VIP holder or master). A background sampler records
# every ~100 ms which node holds the VIP, where the client's ARP entry for the VIP points, and each
# Redis's ROLE (from the client namespace, 0.5 s timeout).
#   outage       longest gap between two acks (ms); if writes never came back, the gap from the last
#                ack to the writer's stop, marked "+" (a lower bound, limited by COMPARE_LIMIT)
#   lost         acked writes missing on the verified Redis
#   READONLY     writer attempts answered -READONLY
#   end right    at the end: exactly one VIP holder, its Redis the only master, the other Redis a
#                linked replica of it, or down when the fault killed it (cases 1 and 3 do not
#                restart Redis)
# Output: a table (median outage and every run's value per setup and case, acked lost, READONLY,
# end right k/RUNS), ratios sentinel/ours and article/ours per case, and one PNG per case under
# bench/out/compare-<timestamp>/ (gnuplot: one panel per setup, its median run: writes acked and
# errors per 100 ms, VIP holders, the client's ARP target and both Redis roles over time, fault at
# t=0). Last lines, one per setup and case:
#   COMPARE_RESULT setup=ours200 case=2 median_outage_ms=30 median_censored=0 runs=30,35,20 censored=0 lost=0 readonly=3 end_right=3/3 unsettled_starts=0
#
# Environment:
#   RUNS=3                                  runs per setup and case
#   COMPARE_SETUPS="article sentinel ours"  (oursguard on request)  COMPARE_CASES="1 2 3"
#   COMPARE_INTERVALS="200 100"             ms, for ours and oursguard
#   COMPARE_SETTLE=40   s for the start to settle     COMPARE_LIMIT=30   s after the fault, at most
#   COMPARE_KA_ADVERT=0.2                   keepalived advert_int (s) for article and sentinel
#   COMPARE_ARTICLE_NOPREEMPT=n1            or "both"
#   COMPARE_SENTINEL_DOWN_AFTER=1000  COMPARE_SENTINEL_FAILOVER_TIMEOUT=10000   (ms)
#   COMPARE_HUNG_SECONDS=3                  case 4's DEBUG SLEEP
#   BENCH_SKIP_BUILD=1                      use the existing Release build
#   BENCH_OUT=DIR                           output dir (default bench/out/compare-<timestamp>)
#   COMPARE_KEEP_LOGS=DIR                   copy every run's configs and logs to DIR
# Exit status: 0 ours met its targets (median outage < 5 x interval: 1.0 s at 200 ms, 0.5 s at
# 100 ms; at least 10x shorter than sentinel where it ran, cases 1-3; 0 acked writes lost in cases 2 and 4; right end
# state in every run); 1 a target was missed; 2 setup failed (packages, build, a run whose lab did not
# settle twice in a row, or whose writer or fault failed). A start that does not settle is retried once
# with a fresh lab and counted ("bad starts"); it is a finding about that setup, not a bench failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lab/lab.sh
source "$ROOT/lab/lab.sh"
LAB=("bash" "$ROOT/lab/lab.sh") # as a process: errexit holds even under "|| die"

NODE_DLL=$ROOT/src/Coordinator/bin/Release/net10.0/redis-ha.dll
WRITER_DLL=$ROOT/lab/writer/bin/Release/net10.0/labwriter.dll
VIP=$LAB_VIP_DEFAULT
RUNS=${RUNS:-3}
SETUPS=${COMPARE_SETUPS:-article sentinel ours}
CASES=${COMPARE_CASES:-1 2 3}
INTERVALS=${COMPARE_INTERVALS:-200 100}
SETTLE=${COMPARE_SETTLE:-40}
LIMIT=${COMPARE_LIMIT:-30}
KA_ADVERT=${COMPARE_KA_ADVERT:-0.2}
ART_NOPREEMPT=${COMPARE_ARTICLE_NOPREEMPT:-n1}
SEN_DOWN=${COMPARE_SENTINEL_DOWN_AFTER:-1000}
SEN_FTO=${COMPARE_SENTINEL_FAILOVER_TIMEOUT:-10000}
HUNG=${COMPARE_HUNG_SECONDS:-3}
[[ $HUNG =~ ^[1-9][0-9]?$ ]] || usage_die "COMPARE_HUNG_SECONDS: 1..99 whole seconds"
# Case 4 hangs the master's Redis with DEBUG SLEEP, which Redis 7 allows only when enabled
# (local: from 127.0.0.1 in the node's namespace only).
DEBUG_ARGS=(--enable-debug-command local)
PRE=2        # s of writes before the fault
STABLE=1000  # ms the end state must stay right before it counts as reached
POST=1.5     # s of writes after that
usage_die() { echo "compare: $*" >&2; exit 2; }
[[ $RUNS =~ ^[1-9][0-9]?$ ]] || usage_die "RUNS must be 1..99"
[[ $SETTLE =~ ^[1-9][0-9]*$ && $LIMIT =~ ^[1-9][0-9]*$ ]] || usage_die "COMPARE_SETTLE/COMPARE_LIMIT: whole seconds"
[[ $SEN_DOWN =~ ^[1-9][0-9]*$ && $SEN_FTO =~ ^[1-9][0-9]*$ ]] || usage_die "sentinel knobs: ms"
[[ $KA_ADVERT =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage_die "COMPARE_KA_ADVERT: seconds"
[[ $ART_NOPREEMPT == n1 || $ART_NOPREEMPT == both ]] || usage_die "COMPARE_ARTICLE_NOPREEMPT: n1 or both"
for s in $SETUPS; do [[ $s == article || $s == sentinel || $s == ours || $s == oursguard ]] || usage_die "unknown setup '$s'"; done
for c in $CASES; do [[ $c == [1234] ]] || usage_die "unknown case '$c'"; done
for iv in $INTERVALS; do [[ $iv =~ ^[1-9][0-9]*$ ]] && ((iv % 10 == 0)) || usage_die "interval '$iv' ms: 10 ms steps"; done
LABELS=()
for s in $SETUPS; do
    if [[ $s == ours ]]; then for iv in $INTERVALS; do LABELS+=("ours$iv"); done
    elif [[ $s == oursguard ]]; then for iv in $INTERVALS; do LABELS+=("ours${iv}g"); done
    else LABELS+=("$s"); fi
done

T=""
OUT=""
PIDS=()     # this script's background children of the current run (and the sampler)
P=""        # current run's lab prefix
LAB_MADE=0
RUNIDX=0

say() { echo "[$(date '+%H:%M:%S')] $*" >&2; }
die() { echo "compare: $*" >&2; exit "${2:-2}"; }
now_ms() { local t=$EPOCHREALTIME; t=${t/./}; echo $((t / 1000)); }
# An interruptible sleep: bash runs traps at once during "wait", not during a foreground sleep.
nap() { sleep "$1" & wait "$!" || true; }

teardown_run() {
    local pid
    # stderr off: bash reports each job it sees die of SIGKILL.
    {
        for pid in "${PIDS[@]}"; do
            if [[ $(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) == "$$" ]]; then kill -9 "$pid" || true; fi
            wait "$pid" || true
        done
    } 2>/dev/null
    PIDS=()
    if ((LAB_MADE)); then lab_down "$P"; fi
    LAB_MADE=0
}
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    teardown_run
    if [[ -n $T && -d $T ]]; then
        if [[ -n ${COMPARE_KEEP_LOGS:-} ]]; then
            mkdir -p "$COMPARE_KEEP_LOGS" && cp -r "$T"/. "$COMPARE_KEEP_LOGS"/ && echo "compare: logs kept in $COMPARE_KEEP_LOGS" >&2
        fi
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "compare: interrupted" >&2; exit 130' INT
trap 'echo "compare: terminated" >&2; exit 143' TERM

[[ $EUID -eq 0 ]] || die "needs root (network namespaces)"

# ---------------------------------------------------------------------------------------------
# Packages (redis-server, keepalived, tcpdump, iproute2, libpcap0.8 via bench/packages.sh; gnuplot
# for the plots). Sentinel is redis-server --sentinel, no extra package.
# shellcheck source=bench/packages.sh
source "$ROOT/bench/packages.sh"
ensure_packages
if ! command -v gnuplot >/dev/null; then
    say "installing gnuplot-nox"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null || die "apt-get install gnuplot-nox failed"
fi
command -v dotnet >/dev/null || die "dotnet not found (install the .NET 10 SDK)"

T=$(mktemp -d /tmp/redis-ha-compare.XXXXXX)
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    say "building (dotnet build -c Release)"
    if ! (cd "$ROOT" && dotnet build -c Release -nologo) >"$T/build.log" 2>&1; then
        tail -n 30 "$T/build.log" >&2
        die "build failed"
    fi
fi
[[ -f $NODE_DLL && -f $WRITER_DLL ]] || die "missing $NODE_DLL or $WRITER_DLL (build first)"
OUT=${BENCH_OUT:-$ROOT/bench/out/compare-$(date '+%Y%m%d-%H%M%S')}
mkdir -p "$OUT/data"
RESULTS=$OUT/runs.tsv
printf 'label\tcase\trun\toutage_ms\tcensored\tacked\tlost\treadonly\tend_right\tend_state\tverified_on\tmaster\n' >"$RESULTS"

# ---------------------------------------------------------------------------------------------
# Helpers.
ka_pids() { # prefix node -> "PARENT CHILD..." of keepalived in that namespace
    local pid ppid parent="" kids=()
    for pid in $(ip netns pids "$(lab_ns "$1" "$2")" 2>/dev/null); do
        [[ $(cat "/proc/$pid/comm" 2>/dev/null) == keepalived ]] || continue
        ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        if [[ $(cat "/proc/$ppid/comm" 2>/dev/null) == keepalived ]]; then kids+=("$pid"); else parent=$pid; fi
    done
    echo "$parent ${kids[*]}"
}
# kill -9 keepalived like a crash (see bench/takeover.sh): stop the parent so it neither respawns
# the VRRP child nor has it SIGTERMed (PDEATHSIG), SIGKILL the children, then the parent.
ka_crash() { # prefix node
    local parent kids
    read -r parent kids <<<"$(ka_pids "$1" "$2")"
    [[ -n $parent ]] || return 1
    kill -STOP "$parent"
    # shellcheck disable=SC2086
    [[ -z $kids ]] || kill -9 $kids
    kill -9 "$parent"
}
pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# Sampler: one line per ~100 ms, "UNIX_MS HOLDERS ARP ROLE1 ROLE2":
#   HOLDERS  node indexes whose eth0 has the VIP, concatenated ("1", "12"), "-" for none
#   ARP      node the client's neighbour entry for the VIP points to (by MAC 02:..:0i), "-" if none
#   ROLEi    M (master), S<h>+ / S<h>- (replica of 192.0.2.h, link up / not up), D (no answer)
# Bounded by count and wall time; it stops itself at the end of its budget.
sampler() { # prefix file max_seconds
    local p=$1 f=$2 max=$3 n=0 t0 next now h i arp roles line
    t0=$(now_ms)
    next=$t0
    while ((n < max * 10 + 10)); do
        now=$(now_ms)
        ((now - t0 < max * 1000)) || break
        h=""
        for i in 1 2; do
            [[ $(ip -n "${p}n$i" -4 -o addr show dev eth0 2>/dev/null) == *" $VIP/"* ]] && h+=$i
        done
        arp=$(ip -n "${p}c" neigh show "$VIP" 2>/dev/null | awk '{ for (k = 1; k < NF; k++) if ($k == "lladdr") { m = $(k + 1); print substr(m, length(m)) } }')
        # Both Redis asked at once: a hung one (case 4) takes the whole 0.5 s timeout, and the other's
        # answer must belong to the same instant as the VIP sample.
        roles=$(ip netns exec "${p}c" sh -c '
            t=$(mktemp -d) || exit 1
            for h in 1 2; do
                (timeout -k 0.2 0.5 redis-cli -h 192.0.2.$h -p 6379 ROLE 2>/dev/null | tr "\n" " " >"$t/$h") &
            done
            wait
            for h in 1 2; do
                r=$(cat "$t/$h")
                set -- $r
                case ${1:-} in
                    master) printf "M " ;;
                    slave) if [ "${4:-}" = connected ]; then printf "S%s+ " "${2##*.}"; else printf "S%s- " "${2##*.}"; fi ;;
                    *) printf "D " ;;
                esac
            done
            rm -rf "$t"' 2>/dev/null) || roles="D D "
        line="$now ${h:--} ${arp:--} $roles"
        echo "${line% }" >>"$f"
        n=$((n + 1))
        next=$((next + 100))
        now=$(now_ms)
        if ((next > now)); then
            sleep "$(printf '0.%03d' $((next - now)))"
        else
            next=$now
        fi
    done
}
# Is a sample line's state right? sample_right "LINE" KILLED (KILLED = index of the node whose Redis
# the fault killed, so "down" is its right state; 0 = none).
sample_right() {
    local ts h arp r1 r2 o ro
    read -r ts h arp r1 r2 <<<"$1"
    [[ $h == [12] ]] || return 1
    local -a R=("" "$r1" "$r2")
    [[ ${R[$h]} == M ]] || return 1
    o=$((3 - h))
    ro=${R[$o]}
    [[ $ro == "S$h+" ]] && return 0
    [[ $ro == D && $o == "$2" ]] && return 0
    return 1
}
last_sample() { tail -n 1 "$1" 2>/dev/null || true; }
json_num() { sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p" "$2" | head -n 1; }

# ---------------------------------------------------------------------------------------------
# Setup-specific start and fault.
write_article_conf() { # dir node
    local d=$1 i=$2 peer np=""
    peer=$LAB_NET.$((3 - i))
    [[ $i == 1 || $ART_NOPREEMPT == both ]] && np="nopreempt"
    cat >"$d/notify_master-n$i.sh" <<EOF
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The article's notify_master: wait for the data to sync, then take the master role.
echo "\$(date '+%H:%M:%S.%3N') notify_master n$i: sleep 10" >>"$d/notify-n$i.log"
sleep 10
echo "\$(date '+%H:%M:%S.%3N') notify_master n$i: SLAVEOF NO ONE -> \$(redis-cli -h 127.0.0.1 -p 6379 SLAVEOF NO ONE 2>&1)" >>"$d/notify-n$i.log"
EOF
    cat >"$d/notify_backup-n$i.sh" <<EOF
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The article's notify_backup: follow the peer.
echo "\$(date '+%H:%M:%S.%3N') notify_backup n$i: SLAVEOF $peer 6379 -> \$(redis-cli -h 127.0.0.1 -p 6379 SLAVEOF $peer 6379 2>&1)" >>"$d/notify-n$i.log"
EOF
    cat >"$d/keepalived-n$i.conf" <<EOF
# bench/compare.sh "article": the article's keepalived setup (keepalived 2.2.7).
global_defs {
    router_id art-n$i
    vrrp_version 3
    script_user root
    enable_script_security
}
vrrp_script chk_redis {
    script "/usr/bin/redis-cli -h 127.0.0.1 -p 6379 ping"
    weight -20
    interval 1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    $np
    priority $((210 - 10 * i))
    advert_int $KA_ADVERT
    virtual_ipaddress {
        $VIP/24
    }
    track_script {
        chk_redis
    }
    notify_master "/bin/sh $d/notify_master-n$i.sh"
    notify_backup "/bin/sh $d/notify_backup-n$i.sh"
}
EOF
}
write_sentinel_conf() { # dir node
    local d=$1 i=$2
    cat >"$d/sentinel_check-n$i.sh" <<EOF
#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
# Passes when the local Sentinel names this node's Redis as the master of mymaster.
m=\$(timeout -k 0.2 0.8 redis-cli -h 127.0.0.1 -p 26379 SENTINEL get-master-addr-by-name mymaster 2>/dev/null | head -n 1)
[ "\$m" = "$LAB_NET.$i" ]
EOF
    cat >"$d/keepalived-n$i.conf" <<EOF
# bench/compare.sh "sentinel": keepalived moves the VIP to the Sentinel-elected master.
global_defs {
    router_id sen-n$i
    vrrp_version 3
    script_user root
    enable_script_security
}
vrrp_script chk_sentinel_master {
    script "/bin/sh $d/sentinel_check-n$i.sh"
    weight -50
    interval 1
    timeout 1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $((210 - 10 * i))
    advert_int $KA_ADVERT
    virtual_ipaddress {
        $VIP/24
    }
    track_script {
        chk_sentinel_master
    }
}
EOF
}
write_sentinel_daemon_conf() { # dir node
    mkdir -p "$1/sentinel-n$2"
    cat >"$1/sentinel-n$2.conf" <<EOF
port 26379
bind 0.0.0.0
protected-mode no
daemonize yes
pidfile $1/sentinel-n$2.pid
logfile $1/sentinel-n$2.log
dir $1/sentinel-n$2
sentinel monitor mymaster $LAB_NET.1 6379 2
sentinel down-after-milliseconds mymaster $SEN_DOWN
sentinel failover-timeout mymaster $SEN_FTO
sentinel parallel-syncs mymaster 1
EOF
}
start_keepalived() { # dir node
    ip netns exec "$(lab_ns "$P" "$2")" keepalived -n -l -D -f "$1/keepalived-n$2.conf" \
        -p "$1/keepalived-n$2.pid" -r "$1/keepalived-n$2-vrrp.pid" -c "$1/keepalived-n$2-checkers.pid" \
        >"$1/keepalived-n$2.log" 2>&1 &
    PIDS+=("$!")
}
# oursguard: the cluster part (lab.sh guard_hocon, plain TCP as bench/partition.sh) added to ours's
# n1/n2 files, and the witness n3 of the hocon/ samples (no Redis in n3).
guard_confs() { # conf-dir
    local c=$1 i
    cp "$ROOT/hocon/n3.conf" "$c/" || return 1
    for i in 1 2 3; do
        { echo; echo "# bench/compare.sh oursguard: the cluster guard (three voters: n1, n2 and the witness n3)"
          "${LAB[@]}" guard_hocon "$i" 3; } >>"$c/n$i.conf" || return 1
    done
}
declare -A NODE_PID
start_setup() { # label dir
    local label=$1 d=$2 i nodes=2 iv
    [[ $label == sentinel || $label == ours*g ]] && nodes=3
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qE "^${P}(sw|c|n[0-9]+)\$"; then
        die "namespaces with prefix $P already exist (not ours: left alone)"
    fi
    LAB_MADE=1
    "${LAB[@]}" up "$P" "$nodes" >/dev/null || return 1
    case $label in
        article | sentinel)
            "${LAB[@]}" redis_start "$P" 1 "$d" "${DEBUG_ARGS[@]}" || return 1
            "${LAB[@]}" redis_start "$P" 2 "$d" --replicaof "$LAB_NET.1" 6379 "${DEBUG_ARGS[@]}" || return 1
            if [[ $label == sentinel ]]; then
                for i in 1 2 3; do
                    write_sentinel_daemon_conf "$d" "$i"
                    ip netns exec "$(lab_ns "$P" "$i")" redis-server "$d/sentinel-n$i.conf" --sentinel || return 1
                done
            fi
            for i in 1 2; do
                if [[ $label == article ]]; then write_article_conf "$d" "$i"; else write_sentinel_conf "$d" "$i"; fi
                start_keepalived "$d" "$i"
                NODE_PID[$i]=$!
            done
            ;;
        ours*)
            iv=${label#ours}
            iv=${iv%g}ms
            mkdir -p "$d/conf"
            cp "$ROOT/hocon/common.conf" "$ROOT/hocon/n1.conf" "$ROOT/hocon/n2.conf" "$d/conf/"
            cat >>"$d/conf/common.conf" <<EOF

# bench/compare.sh overrides (as lab/demo.sh)
redis-ha.vrrp.advert-interval = $iv
redis-ha.redis.check.interval = $iv
redis-ha.redis.check.timeout = $iv
EOF
            [[ $label != *g ]] || guard_confs "$d/conf"
            "${LAB[@]}" redis_start "$P" 1 "$d" "${DEBUG_ARGS[@]}" || return 1
            "${LAB[@]}" redis_start "$P" 2 "$d" "${DEBUG_ARGS[@]}" || return 1
            for ((i = 1; i <= nodes; i++)); do
                ip netns exec "$(lab_ns "$P" "$i")" dotnet "$NODE_DLL" run --config "$d/conf/n$i.conf" >"$d/node-n$i.log" 2>&1 &
                NODE_PID[$i]=$!
                PIDS+=("$!")
            done
            ;;
    esac
}
# Extra readiness: every Sentinel knows the replica and the two other Sentinels.
sentinels_ready() { # master node
    local i info
    for i in 1 2 3; do
        info=$(LAB_CLI_TIMEOUT=1 lab_exec "$P" "$i" timeout -k 0.2 1 redis-cli -h 127.0.0.1 -p 26379 info sentinel 2>/dev/null | tr -d '\r') || return 1
        [[ $info == *"name=mymaster,status=ok,address=$LAB_NET.$1:6379,slaves=1,sentinels=3"* ]] || return 1
    done
}
# keepalived's parent or redis-ha's process on both nodes (NODE_PID: what start_setup launched).
coordinators_alive() { # label
    pid_alive "${NODE_PID[1]}" && pid_alive "${NODE_PID[2]}" || return 1
    [[ $1 != ours*g ]] || pid_alive "${NODE_PID[3]}"
}
# oursguard: n1 holds the VIP only with the cluster's quorum; its fence (min-replicas-to-write 1 while
# n2 is its replica) is the last step of a guarded start.
guard_ready() { # dir
    grep -q "min-replicas-to-write 1" "$1/node-n1.log" 2>/dev/null
}
apply_fault() { # label case dir master
    local label=$1 c=$2 d=$3 m=$4 pid
    if [[ $c == 1 || $c == 2 ]]; then
        case $label in
            article) ka_crash "$P" "$m" || return 1 ;;
            sentinel)
                ka_crash "$P" "$m" || return 1
                # The pid file names the daemonized sentinel.
                pid=$(cat "$d/sentinel-n$m.pid" 2>/dev/null) && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || return 1
                kill -9 "$pid"
                ;;
            ours*) kill -9 "${NODE_PID[$m]}" || return 1 ;;
        esac
        # Reap the killed job quietly (bash would report "Killed" on stderr later).
        { wait "${NODE_PID[$m]}" || true; } 2>/dev/null
    fi
    if [[ $c == 1 || $c == 3 ]]; then
        "${LAB[@]}" redis_kill "$P" "$m" "$d" || return 1
    fi
    if [[ $c == 4 ]]; then
        # Hung, not dead: the Redis wakes after HUNG s and still believes it is the master. What it
        # acks after waking and then loses to its demotion shows up as "lost".
        ip netns exec "$(lab_ns "$P" "$m")" timeout $((HUNG + 5)) redis-cli -h 127.0.0.1 -p "$LAB_REDIS_PORT" \
            DEBUG SLEEP "$HUNG" >"$d/debug-sleep.log" 2>&1 &
        PIDS+=("$!")
    fi
}

# ---------------------------------------------------------------------------------------------
# One run. Appends a line to RESULTS; returns 3 if the start never settled (the caller retries once:
# the article's notify scripts can leave both Redis masters at start-up), 2 on other setup failures.
run_one() { # label case run
    local label=$1 c=$2 r=$3 d tl killed=0 deadline t_fault line right_since=0 reached=0 now m=0
    RUNIDX=$((RUNIDX + 1))
    P="rc$(($$ % 10000))x$RUNIDX"
    d=$T/$label-c$c-r$r
    [[ ! -e $d ]] || d=$d-retry$RUNIDX # a retried start gets fresh files (keepalived refuses stale pid files)
    mkdir -p "$d"
    tl=$d/timeline.txt
    say "$label case $c run $r: lab $P"
    if ! start_setup "$label" "$d"; then
        teardown_run
        printf '%s\t%s\t%s\tsetup-failed\t0\t0\t0\t0\tno\tsetup failed\t-\t-\n' "$label" "$c" "$r" >>"$RESULTS"
        return 2
    fi
    sampler "$P" "$tl" $((SETTLE + PRE + LIMIT + 30)) &
    PIDS+=("$!")

    # Settled start: one node holds the VIP, its Redis master, the other a linked replica of it, for
    # STABLE ms in a row. ours and sentinel must settle on n1: ours preempts (n1 has priority 200;
    # n2 may win the boot race, then n1 takes over, as lab/demo.sh waits for), Sentinel monitors n1.
    # With the article's nopreempt on n1 either node may end up master: the run faults that one.
    local settle_since=0 ts_now
    deadline=$((SECONDS + SETTLE))
    reached=0
    while ((SECONDS < deadline)); do
        coordinators_alive "$label" || { say "$label: a coordinator exited during start-up"; break; }
        line=$(last_sample "$tl")
        m=$(awk '{print $2}' <<<"$line")
        ts_now=$(awk '{print $1}' <<<"$line")
        if [[ -n $line ]] && sample_right "$line" 0 && [[ $label == article || $m == 1 ]] \
            && { [[ $label != sentinel ]] || sentinels_ready "$m"; } \
            && { [[ $label != ours*g ]] || guard_ready "$d"; }; then
            ((settle_since)) || settle_since=$ts_now
            if ((ts_now - settle_since >= STABLE)); then reached=1; break; fi
        else
            settle_since=0
        fi
        nap 0.2
    done
    if ((!reached)); then
        say "$label case $c run $r: did not settle within ${SETTLE}s (last sample: $(last_sample "$tl"))"
        teardown_run
        printf '%s\t%s\t%s\tunsettled\t0\t0\t0\t0\tno\tstart never settled: %s\t-\t-\n' "$label" "$c" "$r" \
            "$(last_sample "$tl" | awk '{ print "vip=" $2, "arp=" $3, "n1=" $4, "n2=" $5 }')" >>"$RESULTS"
        return 3
    fi

    ip netns exec "$(lab_ns "$P" c)" dotnet "$WRITER_DLL" write --host "$VIP" --port "$LAB_REDIS_PORT" \
        --duration-ms $(((PRE + LIMIT + 30) * 1000)) --interval-ms 10 --acked "$d/acked.txt" \
        --errors "$d/errors.txt" --verbose >"$d/writer.json" 2>"$d/writer.log" &
    local wpid=$!
    PIDS+=("$wpid")
    deadline=$((SECONDS + 15))
    until [[ -s $d/acked.txt ]]; do
        if ((SECONDS >= deadline)) || ! pid_alive "$wpid"; then
            say "$label case $c run $r: writer got no ack ($(tail -n 2 "$d/writer.log" 2>/dev/null))"
            teardown_run
            printf '%s\t%s\t%s\tsetup-failed\t0\t0\t0\t0\tno\twriter got no ack\t-\tn%s\n' "$label" "$c" "$r" "$m" >>"$RESULTS"
            return 2
        fi
        nap 0.1
    done
    nap "$PRE"

    [[ $c == 1 || $c == 3 ]] && killed=$m
    echo "$m" >"$d/master"
    t_fault=$(now_ms)
    echo "$t_fault" >"$d/fault_ms"
    if ! apply_fault "$label" "$c" "$d" "$m"; then
        say "$label case $c run $r: could not apply the fault"
        teardown_run
        printf '%s\t%s\t%s\tsetup-failed\t0\t0\t0\t0\tno\tfault failed\t-\tn%s\n' "$label" "$c" "$r" "$m" >>"$RESULTS"
        return 2
    fi

    # New steady state: right for STABLE ms in a row, or LIMIT s.
    reached=0
    deadline=$((t_fault + LIMIT * 1000))
    while now=$(now_ms) && ((now < deadline)); do
        line=$(last_sample "$tl")
        if [[ -n $line ]] && (($(awk '{print $1}' <<<"$line") > t_fault)) && sample_right "$line" "$killed"; then
            ((right_since)) || right_since=$(awk '{print $1}' <<<"$line")
            if (($(awk '{print $1}' <<<"$line") - right_since >= STABLE)); then reached=1; break; fi
        else
            right_since=0
        fi
        nap 0.1
    done
    ((reached)) && nap "$POST"
    kill -TERM "$wpid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while pid_alive "$wpid" && ((SECONDS < deadline)); do nap 0.1; done
    kill -9 "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
    nap 0.3
    local endline h arp r1 r2 vnode="" ts
    endline=$(last_sample "$tl")
    read -r ts h arp r1 r2 <<<"$endline"
    local -a R=("" "$r1" "$r2")
    if [[ $arp == [12] && ${R[$arp]} == M ]]; then vnode=$arp
    elif [[ $h == [12] && ${R[$h]} != D ]]; then vnode=$h
    elif [[ $r1 == M ]]; then vnode=1
    elif [[ $r2 == M ]]; then vnode=2
    elif [[ $arp == [12] ]]; then vnode=$arp
    fi
    local lost="?" acked ro_n outage censored end_right=no
    if [[ -n $vnode ]] && ip netns exec "$(lab_ns "$P" c)" dotnet "$WRITER_DLL" verify --host "$LAB_NET.$vnode" \
        --port "$LAB_REDIS_PORT" --acked "$d/acked.txt" >"$d/verify.json" 2>"$d/verify.log"; then
        lost=$(json_num lost "$d/verify.json")
    fi
    sample_right "$endline" "$killed" && end_right=yes
    teardown_run

    acked=$(json_num acked "$d/writer.json")
    ro_n=$(sed -n 's/.*"readonly":\([0-9]*\).*/\1/p' "$d/writer.json" | head -n 1)
    local start_ms elapsed
    start_ms=$(json_num start_unix_ms "$d/writer.json")
    elapsed=$(json_num elapsed_ms "$d/writer.json")
    [[ -n $acked && -n $start_ms && -n $elapsed ]] || { say "$label case $c run $r: writer printed no result"; acked=0 ro_n=0 start_ms=$t_fault elapsed=0; }
    # Outage: longest gap between acks, or the tail from the last ack to the writer's end if longer.
    read -r outage censored < <(awk -v end="$elapsed" '
        { if (n++ && $2 - last > gap) gap = $2 - last; last = $2 }
        END { if (!n) { print end, 1; exit } if (end - last > gap) print end - last, 1; else print gap, 0 }' "$d/acked.txt")
    # Timeline data for the plots, times in s relative to the fault.
    local key=$label-c$c-r$r
    awk -v s="$start_ms" -v f="$t_fault" '
        FILENAME == ARGV[1] { b = int((s + $2 - f + 100000) / 100) - 1000; ok[b]++; seen[b] = 1; next }
        { b = int((s + $1 - f + 100000) / 100) - 1000; if ($2 == "readonly") ro[b]++; else er[b]++; seen[b] = 1 }
        END { for (b in seen) printf "%.1f %d %d %d\n", b / 10, ok[b] + 0, ro[b] + 0, er[b] + 0 }' \
        "$d/acked.txt" "${d}/errors.txt" | sort -n >"$OUT/data/$key.writes"
    awk -v f="$t_fault" 'NR > 1 { print (p - f) / 1000, ($1 - f) / 1000, ph, pa, pr1, pr2 } { p = $1; ph = $2; pa = $3; pr1 = $4; pr2 = $5 }' "$tl" >"$OUT/data/$key.states"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$c" "$r" "$outage" "$censored" "$acked" "$lost" \
        "${ro_n:-0}" "$end_right" "vip=${h} arp=${arp} n1=${r1} n2=${r2}" "${vnode:+n$vnode}" "n$m" >>"$RESULTS"
    say "$label case $c run $r (master n$m): outage ${outage} ms$( ((censored)) && echo ' (writes never came back)'), acked $acked, lost $lost, READONLY ${ro_n:-0}, end $end_right (vip=$h arp=$arp n1=$r1 n2=$r2)"
    return 0
}

# ---------------------------------------------------------------------------------------------
# All runs: case by case, setups interleaved run by run (so a slow phase of the host spreads).
SETUP_FAILED=0
START=$SECONDS
say "setups: ${LABELS[*]}; cases: $CASES; $RUNS runs each; out: $OUT"
for c in $CASES; do
    for ((r = 1; r <= RUNS; r++)); do
        for label in "${LABELS[@]}"; do
            for ((attempt = 1; attempt <= 2; attempt++)); do
                run_one "$label" "$c" "$r" && rc=0 || rc=$?
                ((rc == 3 && attempt < 2)) || break
                say "$label case $c run $r: start never settled, once more with a fresh lab"
            done
            # A start that never settled twice is that setup's finding (counted as bad starts; for ours
            # a missed target), not a bench failure.
            ((rc != 2)) || SETUP_FAILED=1
        done
    done
done
ELAPSED=$((SECONDS - START))

# ---------------------------------------------------------------------------------------------
# Table.
stats() { # label case -> "median(+ if that run's writes never came back) runs censored lost readonly right/RUNS
          #              medianrun its-master unsettled-starts"
    awk -F'\t' -v l="$1" -v c="$2" -v runs="$RUNS" '
        NR > 1 && $1 == l && $2 == c {
            if ($4 == "unsettled") { bad++; next }
            if ($4 == "setup-failed") { list = list (list == "" ? "" : ",") "fail"; next }
            n++; v[n] = $4; rr[n] = $3; mm[n] = $12; list = list (list == "" ? "" : ",") $4 ($5 == 1 ? "+" : "")
            if ($5 == 1) cens++
            cn[n] = $5
            if ($7 == "?") unk = 1; else lost += $7
            ro += $8; if ($9 == "yes") right++
        }
        END {
            if (!n) { print "- " (list == "" ? "-" : list) " 0 - 0 0/" runs " 0 - " bad + 0; exit }
            for (i = 1; i <= n; i++) { o[i] = v[i] + 0; idx[i] = i }
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (o[j] < o[i]) { t = o[i]; o[i] = o[j]; o[j] = t; t = idx[i]; idx[i] = idx[j]; idx[j] = t }
            m = int((n + 1) / 2)
            print o[m] (cn[idx[m]] == 1 ? "+" : ""), list, cens + 0, (unk ? lost "+?" : lost), ro + 0, (right + 0) "/" runs, rr[idx[m]], mm[idx[m]], bad + 0
        }' "$RESULTS"
}
declare -A MED
echo
echo "==== write outage through the VIP, a fault on the master: article vs sentinel vs ours ($RUNS runs each) ===="
echo "cases: 1 = coordinator + Redis killed (kill -9), 2 = coordinator killed, 3 = Redis killed, 4 = Redis hung ${HUNG} s (DEBUG SLEEP; lost = acked by it after waking)"
echo "outage = longest gap between acked writes (ms), '+' = writes never came back before the ${LIMIT}s limit;"
echo "bad starts = fresh labs whose start never settled (retried once with another lab; not in the runs)"
printf '%-9s %4s %11s  %-26s %6s %9s %9s %10s\n' setup case "median ms" "runs (ms)" lost READONLY "end right" "bad starts"
for c in $CASES; do
    for label in "${LABELS[@]}"; do
        read -r med list cens lost ro right mrun mmaster bad <<<"$(stats "$label" "$c")"
        MED[$label,$c]=$med
        printf '%-9s %4s %11s  %-26s %6s %9s %9s %10s\n' "$label" "$c" "$med" "$list" "$lost" "$ro" "$right" "$bad"
    done
done
ratio() { # a "+" on the numerator (writes never came back) makes the ratio a lower bound
    awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b + 0 > 0) printf "%s%.1fx", (a ~ /\+$/ ? ">=" : ""), a / b; else print "n/a" }'
}
echo
echo "ratios of median outages (other setup / ours):"
for c in $CASES; do
    line="  case $c:"
    for label in "${LABELS[@]}"; do
        [[ $label == ours* ]] || continue
        for other in sentinel article; do
            [[ " ${LABELS[*]} " == *" $other "* ]] || continue
            line+="  $other/$label $(ratio "${MED[$other,$c]}" "${MED[$label,$c]}")"
        done
    done
    echo "$line"
done
echo
echo "end states (VIP holders, client's ARP target for the VIP, ROLE of each Redis: M master, S<h>+ linked replica of nh,"
echo "S<h>- replica with the link down, D down / no answer), counted over the runs:"
awk -F'\t' 'NR > 1 { k = sprintf("  %-9s case %s (master %s): %s", $1, $2, $12, $10); n[k]++; if (!(k in o)) o[k] = ++c; key[o[k]] = k }
    END { for (i = 1; i <= c; i++) printf "%s  x%d\n", key[i], n[key[i]] }' "$RESULTS"
echo "run time: ${ELAPSED}s; per-run results: $RESULTS"

# ---------------------------------------------------------------------------------------------
# Plots: one PNG per case, one panel per setup (its median run).
plot_case() { # case
    local c=$1 label n=0 gp png key mrun med list cens lost ro right y mmaster bad
    png=$OUT/compare-case$c.png
    gp=$OUT/data/case$c.gp
    local labels_here=()
    for label in "${LABELS[@]}"; do
        read -r med list cens lost ro right mrun mmaster bad <<<"$(stats "$label" "$c")"
        [[ $med != - && -s $OUT/data/$label-c$c-r$mrun.states ]] && labels_here+=("$label:$mrun:$med:$cens:$right:$mmaster")
    done
    ((${#labels_here[@]})) || return 0
    local names=([1]="coordinator + Redis killed" [2]="coordinator killed, Redis alive" [3]="Redis killed" [4]="Redis hung ${HUNG} s (DEBUG SLEEP)")
    {
        echo "set terminal pngcairo size 1400,$((330 * ${#labels_here[@]} + 60)) font 'DejaVu Sans,10'"
        echo "set output '$png'"
        echo "set multiplot layout ${#labels_here[@]},1 title 'case $c: ${names[$c]} on the VIP holder, fault at t = 0 (median run of each setup)' font 'DejaVu Sans,13'"
        echo "set xlabel 'seconds from the fault'"
        echo "set ylabel 'writes per 100 ms'"
        echo "set yrange [0:17.2]"
        echo "set ytics ('0' 0, '5' 5, '10' 10, 'Redis n2' 11.5, 'Redis n1' 12.7, 'VIP on n2' 13.9, 'VIP on n1' 15.1, 'client ARP' 16.3)"
        echo "set grid xtics"
        echo "set key outside right top vertical font ',9'"
        echo "set style fill solid 0.85 noborder"
        echo "set boxwidth 0.1 absolute"
        echo "set arrow 1 from 0, graph 0 to 0, graph 1 nohead lw 2 lc rgb '#d62728' dt 2 front"
        # Row colours: Redis role, VIP held, ARP target.
        echo 'rc(s) = s eq "M" ? 0x1f4e9c : (s[1:1] eq "S" ? (s[3:3] eq "+" ? 0x8fbde8 : 0xf0a040) : 0x303030)'
        echo 'ac(s) = s eq "1" ? 0x7b3fa0 : (s eq "2" ? 0x2a9d8f : 0xffffff)'
        for key in "${labels_here[@]}"; do
            IFS=: read -r label mrun med cens right mmaster <<<"$key"
            local st=$OUT/data/$label-c$c-r$mrun.states wr=$OUT/data/$label-c$c-r$mrun.writes
            local xmax
            xmax=$(awk 'END { printf "%.1f", $2 + 0.3 }' "$st")
            echo "set title '$label: outage ${med%+} ms$([[ $med == *+ ]] && echo ' (writes never came back)' || true), end state right in $right runs (run $mrun shown, master was $mmaster)'"
            echo "set xrange [-2.5:$xmax]"
            echo "plot '$wr' using (\$1+0.05):2 with boxes lc rgb '#2ca02c' title 'acked', \\"
            echo "  '' using (\$1+0.05):3 with boxes lc rgb '#d62728' title 'READONLY', \\"
            echo "  '' using (\$1+0.05):4 with boxes lc rgb '#ff9f1c' title 'other errors', \\"
            echo "  '$st' using (\$1+\$2)/2:(11.5):1:2:(11.05):(11.95):(rc(strcol(6))) with boxxyerror lc rgb variable notitle, \\"
            echo "  '' using (\$1+\$2)/2:(12.7):1:2:(12.25):(13.15):(rc(strcol(5))) with boxxyerror lc rgb variable notitle, \\"
            echo "  '' using (\$1+\$2)/2:(13.9):1:2:(13.45):(14.35):(strstrt(strcol(3),'2') ? 0x2ca02c : 0xffffff) with boxxyerror lc rgb variable notitle, \\"
            echo "  '' using (\$1+\$2)/2:(15.1):1:2:(14.65):(15.55):(strstrt(strcol(3),'1') ? 0x2ca02c : 0xffffff) with boxxyerror lc rgb variable notitle, \\"
            echo "  '' using (\$1+\$2)/2:(16.3):1:2:(15.85):(16.75):(ac(strcol(4))) with boxxyerror lc rgb variable notitle, \\"
            echo "  NaN with boxes lc rgb '#1f4e9c' title 'Redis master', NaN with boxes lc rgb '#8fbde8' title 'replica, linked', \\"
            echo "  NaN with boxes lc rgb '#f0a040' title 'replica, link down', NaN with boxes lc rgb '#303030' title 'Redis down', \\"
            echo "  NaN with boxes lc rgb '#2ca02c' title 'holds VIP', NaN with boxes lc rgb '#7b3fa0' title 'ARP -> n1', NaN with boxes lc rgb '#2a9d8f' title 'ARP -> n2'"
        done
        echo "unset multiplot"
    } >"$gp"
    if gnuplot "$gp" 2>"$gp.err"; then echo "plot: $png"; else echo "plot for case $c failed: $(head -n 3 "$gp.err")"; fi
}
echo
for c in $CASES; do plot_case "$c"; done

# ---------------------------------------------------------------------------------------------
# Targets for ours, and the machine-readable lines.
RC=0
for c in $CASES; do
    for label in "${LABELS[@]}"; do
        read -r med list cens lost ro right mrun mmaster bad <<<"$(stats "$label" "$c")"
        [[ $label == ours* ]] || continue
        iv=${label#ours}
        iv=${iv%g}
        miss=()
        if [[ $med == - ]]; then miss+=("no runs"); else
            [[ $med != *+ ]] && ((med < 5 * iv)) || miss+=("median outage $med ms >= $((5 * iv)) ms")
            if [[ $c != 4 && ${MED[sentinel,$c]:-} != "" && ${MED[sentinel,$c]} != - ]]; then
                ((${med%+} * 10 <= ${MED[sentinel,$c]%+})) || miss+=("not 10x shorter than sentinel (${MED[sentinel,$c]} ms)")
            fi
        fi
        [[ ($c != 2 && $c != 4) || $lost == 0 ]] || miss+=("acked writes lost: $lost")
        [[ $right == "$RUNS/$RUNS" ]] || miss+=("end state right in only $right runs")
        ((bad == 0)) || miss+=("$bad start(s) never settled")
        if ((${#miss[@]})); then
            RC=1
            echo "TARGET MISSED: $label case $c: $(printf '%s; ' "${miss[@]}" | sed 's/; $//')"
        fi
    done
done
[[ " ${LABELS[*]}" != *" ours"* ]] || ((RC)) || echo "ours met its targets in every case"
for c in $CASES; do
    for label in "${LABELS[@]}"; do
        read -r med list cens lost ro right mrun mmaster bad <<<"$(stats "$label" "$c")"
        echo "COMPARE_RESULT setup=$label case=$c median_outage_ms=${med%+} median_censored=$([[ $med == *+ ]] && echo 1 || echo 0) runs=$list censored=$cens lost=$lost readonly=$ro end_right=$right unsettled_starts=$bad"
    done
done
((SETUP_FAILED)) && exit 2
exit "$RC"
