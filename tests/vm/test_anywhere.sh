#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# warden runs from wherever it is checked out, and the sandbox builder is
# never steered by the agent: warden itself and a bind source under /root
# (mode 0700: the agent's user cannot traverse it) are provided to the
# sandbox; what cannot be provided exits 125 naming the path; a symlink
# the agent planted at a bind destination, or in place of a bind source,
# is refused rather than followed.
. "$(dirname "$0")/lib.sh"

chmod 700 /root
mkdir -p /root/wloc /root/npm-prefix/lib /root/npm-gone /srv/ops /srv/agents/np /srv/agents/victim
cp "$WARDEN" /root/wloc/warden
cd /srv/agents/np || exit 1
RW=/root/wloc/warden # a checkout in root's home, as `git clone ... /root/warden` makes
echo "from root's npm prefix" >/root/npm-prefix/lib/x.txt
printf '#!/bin/sh\necho hello from the prefix\n' >/root/npm-prefix/hello.sh
echo '[{"id": 1}]' >/srv/ops/tasks.json
mkdir -p /srv/agents/np/sub/linked
chown -R nobody: /srv/agents/np /srv/agents/victim
chmod 700 /srv/agents/np /srv/agents/victim

cat >"$WORK/policy.json" <<JSON
{
  "version": 1,
  "defaults": { "exec": { "safeBins": ["sh", "cat", "ls", "true", "ln", "rm", "mv", "mkdir"] },
                "fs": { "workspaceOnly": true } },
  "agents": {
    "np": { "workspace": "/srv/agents/np",
            "binds": ["/root/npm-prefix:/opt/npm:ro", "/srv/ops/tasks.json:/workspace/tasks.json:ro",
                      "/srv/agents/np/sub/linked:/opt/linked:ro"] },
    "gone": { "workspace": "/srv/agents/np", "binds": ["/root/npm-gone:/opt/gone:ro"] },
    "victim": { "workspace": "/srv/agents/victim" }
  }
}
JSON
WARDEN=$RW start_daemon "$WORK/policy.json" || { finish; exit 1; }

check_status "nobody cannot reach /root (the premise)" 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
	test -r /root/wloc/warden
check_status "the sandbox starts with warden under /root" 0 "$RW" run --agent np -- true
check_status "a bind source under /root is readable at its destination" 0 \
	"$RW" run --agent np -- cat /opt/npm/lib/x.txt
check_output "  (its contents)" "from root's npm prefix"
check_status "  and a script from it runs" 0 "$RW" run --agent np -- sh /opt/npm/hello.sh
check_status "  and it stays read-only" 1 "$RW" run --agent np -- sh -c 'echo x >/opt/npm/lib/x.txt 2>/dev/null || exit 1'
check_status "the host never sees the staged mounts" 1 grep -q warden-stage /proc/self/mountinfo

rm -rf /root/npm-gone
check_status "a bind source that cannot be provided exits 125" 125 "$RW" run --agent gone -- true
check_output "  naming the path" "/root/npm-gone"

# The agent plants a symlink where bwrap will create the bind destination:
# followed with the file rules off, it would create a file in another
# agent's workspace (bwrap sees the host root at /oldroot while it builds).
# (Inside its sandbox the destination is a mount point; any run of the
# agent without one, as root, writes its workspace just as well.)
"$RW" run --no-sandbox --agent np -- sh -c 'rm -f tasks.json; ln -s /oldroot/srv/agents/victim/planted tasks.json'
check "  (the agent planted it)" test -L /srv/agents/np/tasks.json
check_status "a symlink at a bind destination is refused: exit 125" 125 "$RW" run --agent np -- true
check_output "  naming it" "tasks.json.*symlink"
check "  nothing was created in the other agent's workspace" test ! -e /srv/agents/victim/planted
rm -f /srv/agents/np/tasks.json

# A bind source inside the agent's workspace (read-only itself: its
# parent is moved away), replaced by a symlink: the kernel keeps the
# sandbox builder (and warden's own staging) off it.
"$RW" run --no-sandbox --agent np -- sh -c 'mv sub sub.old && mkdir sub && ln -s /srv/agents/victim sub/linked'
check "  (the agent replaced the source by a symlink)" test -L /srv/agents/np/sub/linked
check_status "a symlinked bind source in the agent's tree is refused: exit 125" 125 \
	"$RW" run --agent np -- ls /opt/linked
check "  the kernel refused to follow it" \
	wait_event '.agent=="np" and .op=="follow-link" and .reason=="symlink-in-agent-writable-place"'
finish
