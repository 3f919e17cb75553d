#!/usr/bin/env bash
# Shared by the benches (sourced; uses their say() and die()): the Debian packages they need,
# installed once, and what a bench that runs the lab tests needs besides.
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
# For a bench that runs lab tests with dotnet test: root, the lab's packages, iptables, the SDK.
ensure_lab_test_host() {
    [[ $EUID -eq 0 ]] || die "needs root (network namespaces)"
    ensure_packages || die "installing the lab's packages failed"
    command -v iptables >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null || die "apt-get install iptables failed"; }
    command -v dotnet >/dev/null || die "dotnet not found (install the .NET 10 SDK)"
}
