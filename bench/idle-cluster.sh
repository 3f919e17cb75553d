#!/usr/bin/env bash
# Idle cost with the cluster guard on: two data nodes (Redis + redis-ha) and a witness in one
# 3-node namespace lab (prefix rhc<pid>), 200 ms adverts and checks, the Akka cluster formed.
# After a warm-up, each node's CPU (% of one core, utime+stime from /proc/PID/stat) over the
# window and its RSS at the end. Compare with bench/idle.sh (guard off, keepalived beside it).
#
#   sudo bench/idle-cluster.sh                   # 30 s window after a 20 s warm-up
#   sudo IDLE_SECONDS=60 bench/idle-cluster.sh
#   sudo IDLE_EXTRA_HOCON='akka.cluster.failure-detector.heartbeat-interval = 1s' bench/idle-cluster.sh   # try a setting
#   sudo IDLE_TLS=off bench/idle-cluster.sh      # plain TCP on the cluster port (default: mutual TLS, lab_certs)
# Exit status: 0 measured, 1 a node died or the VIP holder changed, 2 setup failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_WINDOW=${IDLE_SECONDS:-30}
WARMUP=${IDLE_WARMUP:-20}
P=rhc$$
T=$(mktemp -d /tmp/idle-cluster.XXXXXX)
source lab/lab.sh
# IDLE_NODE_DLL: another build's redis-ha.dll, to compare builds (default: this tree's).
NODE_DLL=${IDLE_NODE_DLL:-$ROOT/src/Coordinator/bin/Release/net10.0/redis-ha.dll}
cleanup() {
    pkill -f "run --config $T/" 2>/dev/null; sleep 1; pkill -9 -f "run --config $T/" 2>/dev/null
    lab_down "$P" >/dev/null 2>&1; rm -rf "$T"
}
trap cleanup EXIT
[[ ${BENCH_SKIP_BUILD:-0} == 1 ]] || dotnet build RedisHaActors.sln -c Release -nologo -v q >/dev/null || exit 2
lab_up "$P" 3 >/dev/null || exit 2
lab_redis_start "$P" 1 "$T" && lab_redis_start "$P" 2 "$T" || exit 2
TLS_HOCON() { :; }
if [[ ${IDLE_TLS:-on} == on ]]; then
    lab_certs "$T/certs" 3 || exit 2
    TLS_HOCON() { printf 'redis-ha.cluster.tls { enabled = on, ca-file = "%s", cert-file = "%s", key-file = "%s" }\n' \
        "$T/certs/ca.crt" "$T/certs/n$1.crt" "$T/certs/n$1.key"; }
fi
for i in 1 2 3; do
    role=data; [[ $i == 3 ]] && role=witness
    cat >"$T/n$i.conf" <<CONF
redis-ha {
  node { name = "n$i", role = $role }
  vrrp { interface = "eth0", virtual-router-id = 51, priority = $((210 - i * 10)), advert-interval = 200ms, virtual-ipaddress = ["192.0.2.100/24"] }
  redis {
    announce-host = "192.0.2.$i"
    check { interval = 200ms, timeout = 200ms, rise = 2, fall = 2, weight = -20 }
  }
  status.listen = ""
}
akka.remote.dot-netty.tcp { hostname = "192.0.2.$i", port = 4053 }
akka.cluster.seed-nodes = ["akka.tcp://redis-ha@192.0.2.1:4053", "akka.tcp://redis-ha@192.0.2.2:4053", "akka.tcp://redis-ha@192.0.2.3:4053"]
$(TLS_HOCON "$i")
${IDLE_EXTRA_HOCON:-}
CONF
    ip netns exec "$(lab_ns "$P" "$i")" dotnet "$NODE_DLL" run --config "$T/n$i.conf" >"$T/node-n$i.log" 2>&1 &
    echo $! >"$T/pid$i"
done
sleep "$WARMUP"
holder=$(lab_vip_holders "$P" 2)
[[ -n $holder ]] || { echo "no VIP holder after ${WARMUP}s" >&2; exit 1; }
tck=$(getconf CLK_TCK)
declare -A t0
for i in 1 2 3; do t0[$i]=$(awk '{print $14+$15}' "/proc/$(cat "$T/pid$i")/stat") || exit 1; done
sleep "$SECONDS_WINDOW"
[[ $(lab_vip_holders "$P" 2) == "$holder" ]] || { echo "VIP holder changed during the window" >&2; exit 1; }
echo "cluster TLS ${IDLE_TLS:-on}, ${SECONDS_WINDOW} s window after ${WARMUP} s"
printf '%-8s %-8s %12s %8s\n' node role "cpu %core" "RSS MB"
for i in 1 2 3; do
    pid=$(cat "$T/pid$i")
    t1=$(awk '{print $14+$15}' "/proc/$pid/stat") || exit 1
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
    role=data; [[ $i == 3 ]] && role=witness
    [[ $i == "$holder" ]] && role=master
    printf '%-8s %-8s %12s %8s\n' "n$i" "$role" "$(echo "scale=2; (${t1}-${t0[$i]})*100/$tck/$SECONDS_WINDOW" | bc)" "$((rss / 1024))"
done
