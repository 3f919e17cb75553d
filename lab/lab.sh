#!/usr/bin/env bash
# Namespace lab: one switch namespace with a bridge, N node namespaces and a client namespace,
# all on 192.0.2.0/24 (TEST-NET-1). See DESIGN.md, "Testing on one machine: the namespace lab".
#
#   source lab/lab.sh; lab_up rhx 3        # functions
#   lab/lab.sh up rhx 3                    # or dispatch: "up" and "lab_up" both work
#
# Layout for PREFIX=rhx, N=2:
#   rhxsw : br0 with ports rhxp1, rhxp2, rhxpc      (the "switch")
#   rhxn1 : eth0 192.0.2.1/24  <-veth->  rhxp1
#   rhxn2 : eth0 192.0.2.2/24  <-veth->  rhxp2
#   rhxc  : eth0 192.0.2.250/24 <-veth-> rhxpc      (client)
#
# Every function body runs in a subshell with strict mode, so sourcing this file never changes
# the caller's shell options, and a failing step aborts only that function (non-zero status).
# Needs root. Nothing is configured in the root namespace: veth pairs are created directly
# inside their target namespaces.

LAB_NET=192.0.2
LAB_CLIENT_HOST=250
LAB_VIP_DEFAULT=192.0.2.100
LAB_REDIS_PORT=6379
LAB_AKKA_PORT=4053
# The Redis build the lab runs: LAB_REDIS_BIN is a directory holding redis-server and redis-cli
# (another version, e.g. a Redis 6.2 build for bench/redis-versions.sh); unset, those on PATH.
LAB_REDIS_SERVER=${LAB_REDIS_BIN:+$LAB_REDIS_BIN/}redis-server
LAB_REDIS_CLI=${LAB_REDIS_BIN:+$LAB_REDIS_BIN/}redis-cli
# Upper bound for one redis-cli call (redis-cli 7.0 has no connect/read timeout of its own;
# against a SIGSTOPped server it would hang forever).
LAB_CLI_TIMEOUT=${LAB_CLI_TIMEOUT:-5}

_lab_die() { echo "lab: $*" >&2; exit 1; }

# Prefixes become part of interface names (prefix + "p" + index <= 15 chars) and of a regex
# in lab_down, so keep them short and plain.
_lab_check_prefix() {
    [[ ${1:-} =~ ^[A-Za-z][A-Za-z0-9]{0,9}$ ]] \
        || _lab_die "bad prefix '${1:-}' (letters/digits, starts with a letter, at most 10 chars)"
}
_lab_check_index() {
    [[ ${1:-} =~ ^[1-9][0-9]?$ ]] || _lab_die "bad node index '${1:-}' (1..99)"
}

# Names. lab_ns PREFIX i|c|sw -> namespace name; lab_port PREFIX i|c -> switch-side port name.
lab_ns() (
    set -euo pipefail
    _lab_check_prefix "${1:-}"
    case ${2:-} in
        sw) echo "${1}sw" ;;
        c) echo "${1}c" ;;
        *) _lab_check_index "${2:-}"; echo "${1}n${2}" ;;
    esac
)
lab_port() (
    set -euo pipefail
    _lab_check_prefix "${1:-}"
    case ${2:-} in
        c) echo "${1}pc" ;;
        *) _lab_check_index "${2:-}"; echo "${1}p${2}" ;;
    esac
)
lab_ip() (
    set -euo pipefail
    case ${1:-} in
        c) echo "$LAB_NET.$LAB_CLIENT_HOST" ;;
        *) _lab_check_index "${1:-}"; echo "$LAB_NET.$1" ;;
    esac
)

# lab_exec PREFIX i|c|sw cmd... : run a command inside a lab namespace.
lab_exec() {
    local ns
    ns=$(lab_ns "${1:-}" "${2:-}") || return 1
    shift 2
    ip netns exec "$ns" "$@"
}

# Namespace-local sysctls: quiet IPv6 (no DAD/RS/MLD chatter in captures, nothing listens on
# it anyway) and lo up.
_lab_ns_basics() {
    local ns=$1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
}

# Joins namespace $2 to the bridge: eth0 (with address $3/24, MAC $4) <-> port $5 on br0.
_lab_attach() {
    local sw=$1 ns=$2 addr=$3 mac=$4 port=$5
    ip link add eth0 netns "$ns" type veth peer name "$port" netns "$sw"
    ip -n "$ns" link set eth0 address "$mac"
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$sw" link set "$port" master br0
    ip -n "$sw" link set "$port" up
    ip -n "$ns" link set eth0 up
}

# lab_up PREFIX N : build the lab with nodes 1..N. Fails if any of its namespaces exists;
# on a failure half-way it tears down what it built.
lab_up() (
    set -euo pipefail
    local p=${1:-} n=${2:-} i sw
    _lab_check_prefix "$p"
    [[ $n =~ ^[1-9][0-9]?$ ]] || _lab_die "lab_up: bad node count '$n' (1..99)"
    [[ -z $(_lab_list_ns "$p") ]] || _lab_die "lab_up: namespaces for prefix '$p' already exist (lab_down $p first)"
    # EXIT, not ERR: errexit inside helper functions would skip an ERR trap. The prefix is
    # expanded now (it is validated): locals are gone by the time the trap runs.
    # shellcheck disable=SC2064
    trap "echo 'lab: lab_up $p failed, tearing down' >&2; lab_down $p" EXIT
    sw="${p}sw"
    ip netns add "$sw"
    _lab_ns_basics "$sw"
    # A dumb switch: no STP (ports forward at once), no multicast snooping (VRRP multicast
    # floods like on a hub), no bridge-netfilter (the switch never filters).
    ip netns exec "$sw" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
        net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 2>/dev/null || true
    ip -n "$sw" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip -n "$sw" link set br0 up
    for ((i = 1; i <= n; i++)); do
        ip netns add "${p}n$i"
        _lab_ns_basics "${p}n$i"
        # Deterministic MACs make captures readable: 02:00:00:00:00:<i in hex>.
        _lab_attach "$sw" "${p}n$i" "$LAB_NET.$i" "$(printf '02:00:00:00:00:%02x' "$i")" "${p}p$i"
    done
    ip netns add "${p}c"
    _lab_ns_basics "${p}c"
    _lab_attach "$sw" "${p}c" "$LAB_NET.$LAB_CLIENT_HOST" "02:00:00:00:00:fa" "${p}pc"
    trap - EXIT
)

# Namespaces belonging to PREFIX (exact pattern, so prefix "rh" never matches "rh1sw").
_lab_list_ns() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${1}(sw|c|n[0-9]+)\$" || true
}

# lab_down PREFIX : SIGKILL every process in the lab's namespaces, then delete them.
# Idempotent; always returns 0 for a valid prefix.
lab_down() (
    set -uo pipefail
    local p=${1:-} ns pids round
    _lab_check_prefix "$p"
    local all
    all=$(_lab_list_ns "$p")
    [[ -n $all ]] || exit 0
    # Kill first, delete after: a namespace whose processes live on outlives "ip netns del"
    # (with its veths and VIPs). Processes may fork while dying, hence a few rounds.
    for ((round = 0; round < 50; round++)); do
        pids=""
        for ns in $all; do
            pids+=" $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
        done
        [[ -n ${pids// /} ]] || break
        # shellcheck disable=SC2086
        kill -9 $pids 2>/dev/null || true
        sleep 0.1
    done
    [[ -z ${pids// /} ]] || echo "lab: lab_down $p: processes still alive after 5 s:$pids" >&2
    for ns in $all; do
        ip netns del "$ns" 2>/dev/null || true
    done
    exit 0
)
lab_down_all() { lab_down "$@"; }

# lab_isolate PREFIX i / lab_rejoin PREFIX i : partition node i at the switch while its eth0
# keeps carrier (bridge port state "disabled" drops all frames). Unlike
# "ip -n PREFIXsw link set $(lab_port PREFIX i) down", the node does not see its link go
# down, so keepalived stays MASTER instead of entering FAULT: the split-brain case.
lab_isolate() (
    set -euo pipefail
    local port
    port=$(lab_port "${1:-}" "${2:-}")
    bridge -n "${1}sw" link set dev "$port" state 0
)
lab_rejoin() (
    set -euo pipefail
    local port
    port=$(lab_port "${1:-}" "${2:-}")
    bridge -n "${1}sw" link set dev "$port" state 3
)

# lab_vrrp_block PREFIX i / lab_vrrp_unblock PREFIX i : drop only IP protocol 112 (VRRP) in node
# i's namespace, both directions (iptables INPUT and OUTPUT; the rules live in that namespace and
# go with it). Everything else (Redis, ARP, the cluster's TCP) still passes: "VRRP silent, cluster
# alive". A dropped OUTPUT packet fails the sender's sendto() with EPERM. Block is idempotent (a
# rule is inserted only when absent); unblock removes every copy of the lab's rules and returns 0
# when there are none (or the namespace is already gone).
_LAB_VRRP_RULE=(-p 112 -m comment --comment lab-vrrp-block -j DROP)
lab_vrrp_block() (
    set -euo pipefail
    local ns chain
    ns=$(lab_ns "${1:-}" "${2:-}")
    _lab_need_ns "$ns"
    for chain in INPUT OUTPUT; do
        ip netns exec "$ns" iptables -w 5 -C "$chain" "${_LAB_VRRP_RULE[@]}" 2>/dev/null \
            || ip netns exec "$ns" iptables -w 5 -I "$chain" 1 "${_LAB_VRRP_RULE[@]}"
    done
)
lab_vrrp_unblock() (
    set -euo pipefail
    local ns chain tries
    ns=$(lab_ns "${1:-}" "${2:-}")
    ip netns list 2>/dev/null | awk -v ns="$ns" '$1 == ns { f = 1 } END { exit !f }' || exit 0
    for chain in INPUT OUTPUT; do
        for ((tries = 0; tries < 100; tries++)); do
            ip netns exec "$ns" iptables -w 5 -C "$chain" "${_LAB_VRRP_RULE[@]}" 2>/dev/null || break
            ip netns exec "$ns" iptables -w 5 -D "$chain" "${_LAB_VRRP_RULE[@]}"
        done
    done
)

# Process state letter from /proc (R, S, T, Z...), empty if the process is gone.
_lab_pid_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true; }
# True if PID lives in namespace NS (same network-namespace inode).
_lab_pid_in_ns() {
    local ino
    ino=$(stat -L -c %i "/run/netns/$2" 2>/dev/null) || return 1
    [[ $(readlink "/proc/$1/ns/net" 2>/dev/null) == "net:[$ino]" ]]
}

# lab_freeze PREFIX i PID / lab_thaw PREFIX i PID : SIGSTOP / SIGCONT a process that runs in node
# i's namespace (refused for any other process: a typo must not stop a host daemon), and wait
# (<= 2 s) until the kernel shows it stopped / running. Freezing a frozen process is a no-op; thaw
# returns 0 when the process is gone or not in that namespace (nothing of the lab's to thaw).
# For a node started as "ip netns exec NS dotnet redis-ha.dll ...", PID is that command's pid
# (ip execs dotnet in place).
lab_freeze() (
    set -euo pipefail
    local ns pid=${3:-} tries
    ns=$(lab_ns "${1:-}" "${2:-}")
    [[ $pid =~ ^[1-9][0-9]*$ ]] || _lab_die "lab_freeze: bad pid '$pid'"
    _lab_pid_in_ns "$pid" "$ns" || _lab_die "lab_freeze: pid $pid is not a process in $ns"
    kill -STOP "$pid"
    for ((tries = 0; tries < 200; tries++)); do
        case $(_lab_pid_state "$pid") in
            T | t) exit 0 ;;
            '' | Z | X) _lab_die "lab_freeze: pid $pid exited" ;;
        esac
        sleep 0.01
    done
    _lab_die "lab_freeze: pid $pid not stopped after 2 s (state $(_lab_pid_state "$pid"))"
)
lab_thaw() (
    set -euo pipefail
    local ns pid=${3:-} tries
    ns=$(lab_ns "${1:-}" "${2:-}")
    [[ $pid =~ ^[1-9][0-9]*$ ]] || _lab_die "lab_thaw: bad pid '$pid'"
    _lab_pid_in_ns "$pid" "$ns" || exit 0
    kill -CONT "$pid" 2>/dev/null || exit 0
    for ((tries = 0; tries < 200; tries++)); do
        [[ $(_lab_pid_state "$pid") != [Tt] ]] && exit 0
        sleep 0.01
    done
    _lab_die "lab_thaw: pid $pid still stopped after 2 s"
)

_lab_need_ns() {
    ip netns list 2>/dev/null | awk -v ns="$1" '$1 == ns { f = 1 } END { exit !f }' \
        || _lab_die "no namespace $1 (lab_up first?)"
}

_lab_abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# lab_redis_start PREFIX i OUTDIR [extra redis-server args...]
# Daemonized redis-server in node i on 0.0.0.0:6379, no persistence; pid/log files
# OUTDIR/redis-n$i.{pid,log}, working dir OUTDIR/redis-n$i. Extra args come last, so they
# can override (e.g. --replicaof 192.0.2.1 6379). Returns once PING answers (<= 5 s).
lab_redis_start() (
    set -euo pipefail
    local p=${1:-} i=${2:-} out=${3:-} ns addr pidf
    ns=$(lab_ns "$p" "$i")
    [[ -n $out ]] || _lab_die "lab_redis_start: OUTDIR missing"
    _lab_need_ns "$ns"
    shift 3
    out=$(_lab_abs_dir "$out")
    mkdir -p "$out/redis-n$i"
    addr="$LAB_NET.$i"
    pidf="$out/redis-n$i.pid"
    rm -f "$pidf"
    ip netns exec "$ns" "$LAB_REDIS_SERVER" --port "$LAB_REDIS_PORT" --bind 0.0.0.0 \
        --save "" --appendonly no --protected-mode no \
        --daemonize yes --pidfile "$pidf" --logfile "$out/redis-n$i.log" --dir "$out/redis-n$i" \
        "$@"
    # 50 x (<= 1 s probe + 0.1 s), but also a 5 s wall-clock cap.
    local deadline=$((SECONDS + 5)) tries
    for ((tries = 0; tries < 50 && SECONDS <= deadline; tries++)); do
        if [[ $(ip netns exec "$ns" timeout -k 1 1 "$LAB_REDIS_CLI" -h "$addr" -p "$LAB_REDIS_PORT" ping 2>/dev/null) =~ ^(PONG|NOAUTH) ]]; then
            exit 0
        fi
        sleep 0.1
    done
    _lab_die "lab_redis_start: redis in $ns did not answer PING on $addr within 5 s (see $out/redis-n$i.log)"
)

# Pid from OUTDIR/redis-n$i.pid if that process is a live redis-server; empty otherwise.
_lab_redis_pid() {
    local pidf=$1 pid state
    [[ -f $pidf ]] || return 0
    pid=$(<"$pidf")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || return 0
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 0
    [[ -n $state && $state != Z ]] || return 0
    echo "$pid"
}

# lab_redis_kill PREFIX i OUTDIR : SIGKILL node i's redis (via pidfile) and wait (<= 2 s)
# until it is gone. No-op if it is not running.
lab_redis_kill() (
    set -euo pipefail
    local p=${1:-} i=${2:-} out=${3:-} pid tries
    lab_ns "$p" "$i" >/dev/null
    [[ -n $out ]] || _lab_die "lab_redis_kill: OUTDIR missing"
    pid=$(_lab_redis_pid "$out/redis-n$i.pid")
    [[ -n $pid ]] || exit 0
    kill -9 "$pid" 2>/dev/null || true
    for ((tries = 0; tries < 200; tries++)); do
        [[ -n $(_lab_redis_pid "$out/redis-n$i.pid") ]] || { rm -f "$out/redis-n$i.pid"; exit 0; }
        sleep 0.01
    done
    _lab_die "lab_redis_kill: redis pid $pid in node $i still alive after SIGKILL"
)

# lab_redis_pause / lab_redis_resume PREFIX i OUTDIR : SIGSTOP / SIGCONT node i's redis
# (a hung server: TCP connects still succeed, replies never come).
lab_redis_pause() (
    set -euo pipefail
    local pid
    lab_ns "${1:-}" "${2:-}" >/dev/null
    pid=$(_lab_redis_pid "${3:?OUTDIR missing}/redis-n$2.pid")
    [[ -n $pid ]] || _lab_die "lab_redis_pause: no redis running for node $2"
    kill -STOP "$pid"
)
lab_redis_resume() (
    set -euo pipefail
    local pid
    lab_ns "${1:-}" "${2:-}" >/dev/null
    pid=$(_lab_redis_pid "${3:?OUTDIR missing}/redis-n$2.pid")
    [[ -n $pid ]] || _lab_die "lab_redis_resume: no redis running for node $2"
    kill -CONT "$pid"
)

# lab_redis_cli PREFIX i args... : redis-cli inside node i against 127.0.0.1:6379,
# killed after LAB_CLI_TIMEOUT seconds (exit status 124 then).
lab_redis_cli() (
    set -euo pipefail
    local ns
    ns=$(lab_ns "${1:-}" "${2:-}")
    shift 2
    ip netns exec "$ns" timeout -k 1 "$LAB_CLI_TIMEOUT" "$LAB_REDIS_CLI" -h 127.0.0.1 -p "$LAB_REDIS_PORT" "$@"
)

# lab_vip_holders PREFIX N [VIP] : space-separated indexes of nodes whose eth0 holds VIP
# (default 192.0.2.100). Empty line if none; missing namespaces are skipped.
lab_vip_holders() (
    set -euo pipefail
    local p=${1:-} n=${2:-} vip=${3:-$LAB_VIP_DEFAULT} i holders=()
    _lab_check_prefix "$p"
    [[ $n =~ ^[1-9][0-9]?$ ]] || _lab_die "lab_vip_holders: bad node count '$n'"
    for ((i = 1; i <= n; i++)); do
        if ip -n "${p}n$i" -4 -o addr show dev eth0 2>/dev/null \
            | awk -v vip="$vip" '{ split($4, a, "/"); if (a[1] == vip) found = 1 } END { exit !found }'; then
            holders+=("$i")
        fi
    done
    echo "${holders[*]}"
)

# Dispatch when executed rather than sourced.
# lab_iface_delete PREFIX i : deletes node i's eth0 (its switch port goes with it: a veth pair
# dies together), as a network manager re-creating a VLAN, bond or veth would.
lab_iface_delete() (
    set -euo pipefail
    local ns
    ns=$(lab_ns "${1:-}" "${2:-}")
    ip -n "$ns" link del eth0
)

# lab_iface_create PREFIX i [noaddr] : creates node i's eth0 again as lab_up made it (same MAC,
# port and address; the kernel gives it a new index). "noaddr": without its IPv4 address.
lab_iface_create() (
    set -euo pipefail
    local p=${1:-} i=${2:-} ns
    ns=$(lab_ns "$p" "$i")
    _lab_attach "${p}sw" "$ns" "$LAB_NET.$i" "$(printf '02:00:00:00:00:%02x' "$i")" "${p}p$i"
    if [[ ${3:-} == noaddr ]]; then ip -n "$ns" addr flush dev eth0; fi
)

# lab_iface_address PREFIX i add|del : adds or removes node i's own IPv4 address on eth0 (boot
# before DHCP, a lease lost).
lab_iface_address() (
    set -euo pipefail
    local ns
    ns=$(lab_ns "${1:-}" "${2:-}")
    case ${3:-} in
        add) ip -n "$ns" addr add "$LAB_NET.$2/24" dev eth0 ;;
        del) ip -n "$ns" addr del "$LAB_NET.$2/24" dev eth0 ;;
        *) _lab_die "lab_iface_address: add or del, not '${3:-}'" ;;
    esac
)

# lab_certs DIR N [CA_NAME]: a small CA (DIR/ca.crt, its key DIR/ca.key) and certificates for
# nodes 1..N (DIR/n<i>.crt, DIR/n<i>.key, CN n<i>), made with openssl (EC P-256, 30 days), for
# redis-ha.cluster.tls. Keys mode 0600. An existing DIR/ca.crt is kept (certificates are added).
lab_certs() (
    set -euo pipefail
    local dir=$1 n=$2 name=${3:-redis-ha lab CA} i
    mkdir -p "$dir"
    if [[ ! -f $dir/ca.crt ]]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=$name" \
            -keyout "$dir/ca.key" -out "$dir/ca.crt" -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    fi
    for ((i = 1; i <= n; i++)); do
        [[ -f $dir/n$i.crt ]] && continue
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=n$i" \
            -keyout "$dir/n$i.key" -out "$dir/n$i.csr" 2>/dev/null
        openssl x509 -req -in "$dir/n$i.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
            -extfile <(printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n') \
            -out "$dir/n$i.crt" 2>/dev/null
        rm -f "$dir/n$i.csr"
    done
    chmod 600 "$dir"/*.key
)

# lab_guard_hocon NODE VOTERS [CERTDIR]: the cluster guard's HOCON for node NODE of a set whose voters
# are nodes 1..VOTERS (LabConfig.ClusterHocon's shell twin): its cluster address, the voters as seed
# nodes and, given a lab_certs directory, mutual TLS with that node's certificate. To stdout.
lab_guard_hocon() (
    set -euo pipefail
    local node=$1 voters=$2 dir=${3:-} seeds="" k
    for ((k = 1; k <= voters; k++)); do seeds+="${seeds:+, }\"akka.tcp://redis-ha@$LAB_NET.$k:$LAB_AKKA_PORT\""; done
    printf 'akka.remote.dot-netty.tcp { hostname = "%s", port = %s }\n' "$LAB_NET.$node" "$LAB_AKKA_PORT"
    printf 'akka.cluster.seed-nodes = [%s]\n' "$seeds"
    if [[ -n $dir ]]; then
        printf 'redis-ha.cluster.tls { enabled = on, ca-file = "%s/ca.crt", cert-file = "%s/n%s.crt", key-file = "%s/n%s.key" }\n' \
            "$dir" "$dir" "$node" "$dir" "$node"
    fi
)

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    usage() {
        cat >&2 <<'EOF'
usage: lab.sh <command> args...
  up PREFIX N                      build switch, nodes 1..N (192.0.2.i), client (192.0.2.250)
  down PREFIX | down_all PREFIX    kill everything in the lab's namespaces and delete them
  port PREFIX i|c                  switch-side port name (ip -n PREFIXsw link set PORT down)
  ns PREFIX i|c|sw                 namespace name
  ip i|c                           address of node i / client
  exec PREFIX i|c|sw cmd...        run a command in a lab namespace
  isolate PREFIX i / rejoin PREFIX i   drop/restore node i's frames at the switch, carrier kept
  vrrp_block PREFIX i / vrrp_unblock PREFIX i   drop/pass IP protocol 112 in node i (iptables)
  freeze PREFIX i PID / thaw PREFIX i PID       SIGSTOP/SIGCONT a process of node i's namespace
  redis_start PREFIX i OUTDIR [redis args...]
  redis_kill | redis_pause | redis_resume PREFIX i OUTDIR
  redis_cli PREFIX i args...
  vip_holders PREFIX N [VIP]
  certs DIR N [CA_NAME]            a CA and node certificates 1..N for redis-ha.cluster.tls (openssl)
  guard_hocon NODE VOTERS [CERTDIR]   the cluster guard's HOCON for a node (TLS with CERTDIR)
EOF
    }
    cmd=${1:-}
    [[ -n $cmd ]] || { usage; exit 2; }
    shift
    cmd=${cmd#lab_}
    case $cmd in
        up | down | down_all | port | ns | ip | exec | isolate | rejoin | vrrp_block | vrrp_unblock | \
            freeze | thaw | redis_start | redis_kill | redis_pause | redis_resume | redis_cli | vip_holders | certs | guard_hocon) "lab_$cmd" "$@" ;;
        -h | --help | help) usage ;;
        *) echo "lab: unknown command '$cmd'" >&2; usage; exit 2 ;;
    esac
fi
