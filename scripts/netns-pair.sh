#!/bin/bash
# Two "machines" on one host: network namespaces joined by a veth pair, and a gradpath job of one
# rank on each, talking TCP over the veth only. Needs root and iproute2 (ip netns).
#
#   scripts/netns-pair.sh [gradpath command and flags]     e.g. scripts/netns-pair.sh bench allreduce
#
# Runs `gradpath launch -n 2 --tcp --hostfile <the two addresses> -- <command>` inside the first
# namespace; mpirun's rsh agent is a script that runs the daemon's command inside the namespace
# the host address belongs to (no ssh). GRADPATH_NETNS_TAG names the namespaces (gpA<tag>,
# gpB<tag>; default: this shell's pid), so a caller can clean up after a kill -9 too. Everything
# it made (namespaces, veth, processes inside, the temporary folder) is removed on every exit.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${GRADPATH_NETNS_TAG:-$$}"
nsA="gpA$tag" nsB="gpB$tag" vA="gpv${tag}a" vB="gpv${tag}b"
addrA=10.231.0.1 addrB=10.231.0.2 net=10.231.0.0/24
tmp="$(mktemp -d)"

cleanup() {
  for ns in "$nsA" "$nsB"; do
    if ip netns list | grep -qw "$ns"; then
      pids="$(ip netns pids "$ns" 2>/dev/null)"
      [ -n "$pids" ] && kill -9 $pids 2>/dev/null
      ip netns del "$ns" 2>/dev/null
    fi
  done
  ip link del "$vA" 2>/dev/null
  rm -rf "$tmp"
}
trap 'cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
child=
# a signal reaches the job first (gradpath launch ends every rank), then the cleanup removes the rest
stop() {
  [ -n "$child" ] && kill -"$1" "$child" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  exit "$2"
}

fail() { echo "netns-pair: $1" >&2; exit 2; }
[ "$(id -u)" = 0 ] || fail "needs root (ip netns add)"
command -v ip >/dev/null || fail "needs iproute2 (apt-get install iproute2)"
ip netns add "$nsA" || fail "ip netns add failed (the container may lack CAP_SYS_ADMIN)"
ip netns add "$nsB" || fail "ip netns add failed"
ip link add "$vA" type veth peer name "$vB" || fail "ip link add type veth failed (CAP_NET_ADMIN, the veth module)"
ip link set "$vA" netns "$nsA" && ip link set "$vB" netns "$nsB" || fail "moving the veth ends into the namespaces failed"
ip -n "$nsA" addr add "$addrA/24" dev "$vA" && ip -n "$nsB" addr add "$addrB/24" dev "$vB" || fail "adding the addresses failed"
for ns in "$nsA" "$nsB"; do ip -n "$ns" link set lo up; done
ip -n "$nsA" link set "$vA" up && ip -n "$nsB" link set "$vB" up || fail "bringing the veth up failed"

# mpirun's rsh agent: <agent> <host> <command...> -> the command inside that host's namespace
cat > "$tmp/agent" <<AGENT
#!/bin/sh
host="\$1"; shift
case "\$host" in
  $addrA) ns=$nsA ;;
  $addrB) ns=$nsB ;;
  *) echo "netns agent: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" /bin/sh -c "\$*"
AGENT
chmod +x "$tmp/agent"
printf '%s slots=1\n%s slots=1\n' "$addrA" "$addrB" > "$tmp/hosts"

export OMPI_MCA_plm_rsh_agent="$tmp/agent" OMPI_MCA_btl_tcp_if_include="$net" OMPI_MCA_oob_tcp_if_include="$net"
# in the background: bash runs a trap only between commands, and `wait` is one it can interrupt
ip netns exec "$nsA" node "$here/bin/gradpath.js" launch -n 2 --tcp --hostfile "$tmp/hosts" -- "$@" &
child=$!
trap 'stop INT 130' INT
trap 'stop TERM 143' TERM HUP
wait "$child"
