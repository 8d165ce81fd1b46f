#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# install-agents.sh [--print-bin]
#
# Installs the real agent CLIs the VM suite confines (tests/vm/test_agents.sh)
# from the npm registry, at pinned versions, into a cache outside the checkout
# (like the VM kernel): $WARDEN_NPM_CACHE, default /var/cache/warden-npm.
# Each package gets its own prefix, $cache/NAME@VERSION, made complete or not
# at all (installed under a .tmp name, then renamed); $cache/bin holds one
# link per command. Idempotent, quick when everything is there, never prompts
# (CI has no stdin). The cache is world-readable: the agent's user reads it.
#   --print-bin   print the bin directory and exit (nothing installed)
set -euo pipefail

cache=${WARDEN_NPM_CACHE:-/var/cache/warden-npm}
# package@version command: bump versions here, nowhere else
pins=(
	"@anthropic-ai/claude-code@2.1.332 claude"
	"@openai/codex@0.171.0 codex"
	"@google/gemini-cli@0.61.0 gemini"
)

if [ "${1:-}" = --print-bin ]; then
	echo "$cache/bin"
	exit 0
fi

need=()
for pin in "${pins[@]}"; do
	read -r spec cmd <<<"$pin"
	dir=$cache/${spec//\//+}
	[ -x "$dir/node_modules/.bin/$cmd" ] && [ -e "$dir/.complete" ] || need+=("$pin")
done
[ ${#need[@]} -eq 0 ] && exit 0

# Debian's nodejs comes without npm (its own package); NodeSource's has it
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "install-agents: installing Debian's npm" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm \
		</dev/null >/tmp/warden-apt-npm.log 2>&1 || true
fi
command -v npm >/dev/null || {
	echo "install-agents: npm not found: apt-get install npm (nodejs >= 20 is needed)" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || [ -w "$(dirname "$cache")" ] || [ -w "$cache" ] || {
	echo "install-agents: cannot write $cache: run as root or set WARDEN_NPM_CACHE" >&2
	exit 1
}
umask 022
mkdir -p "$cache/bin" "$cache/_npm"
chmod 755 "$cache"
for pin in "${need[@]}"; do
	read -r spec cmd <<<"$pin"
	dir=$cache/${spec//\//+}
	echo "install-agents: installing $spec into $dir (once)" >&2
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	# --cache keeps npm's own tarball cache beside the installs, not in $HOME
	# (--prefer-offline: a reinstall needs no registry when it has them);
	# install scripts run (Claude Code's links its native binary into place)
	if ! npm install --prefix "$dir.tmp" --cache "$cache/_npm" --prefer-offline --no-save --no-fund \
		--no-audit --no-update-notifier --loglevel=error "$spec" \
		</dev/null >"$cache/install.log" 2>&1; then
		tail -n 20 "$cache/install.log" >&2
		echo "install-agents: npm install $spec failed (log: $cache/install.log)" >&2
		exit 1
	fi
	"$dir.tmp/node_modules/.bin/$cmd" --version </dev/null >/dev/null 2>&1 || {
		echo "install-agents: $spec installed but \`$cmd --version\` fails" >&2
		exit 1
	}
	touch "$dir.tmp/.complete"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	# npm records the prefix it installed into nowhere that matters: the
	# links are relative inside node_modules, so the rename keeps them working
	ln -sfn "../${spec//\//+}/node_modules/.bin/$cmd" "$cache/bin/$cmd"
done
chmod -R a+rX "$cache"
