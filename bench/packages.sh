#!/usr/bin/env bash
# Shared by bench/idle.sh and bench/takeover.sh (sourced; uses their say()): the Debian packages
# the benches need, installed once.
#
# Packages (apt-get update at most once). A freshly installed package may start its daemon in the
# root namespace: stop exactly that one (root netns, its service user), nothing else.
stop_package_daemon() { # name user
    local root_ns pid
    systemctl disable --now "$1" 2>/dev/null || true
    invoke-rc.d "$1" stop 2>/dev/null || true
    root_ns=$(readlink /proc/1/ns/net)
    for pid in $(pgrep -x "$1" || true); do
        [[ $(readlink "/proc/$pid/ns/net" 2>/dev/null) == "$root_ns" ]] || continue
        [[ $(stat -c %U "/proc/$pid" 2>/dev/null) == "$2" ]] || continue
        kill "$pid" 2>/dev/null || true
    done
}
ensure_packages() {
    local need=() had_redis=1 had_ka=1
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { need+=(redis-server); had_redis=0; }
    command -v keepalived >/dev/null || { need+=(keepalived); had_ka=0; }
    command -v tcpdump >/dev/null || need+=(tcpdump)
    command -v ip >/dev/null && command -v bridge >/dev/null || need+=(iproute2)
    [[ $(ldconfig -p 2>/dev/null) == *libpcap.so.0.8* ]] || need+=(libpcap0.8)
    ((${#need[@]})) || return 0
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
    ((had_redis)) || stop_package_daemon redis-server redis
    ((had_ka)) || stop_package_daemon keepalived root
}
