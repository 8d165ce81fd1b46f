// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks 2 and 3: a firewall that denies inbound by default, and fail2ban.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "audit_checks.h"
#include "fileio.h"


/* ---- 2. the firewall ---- */

static unsigned nft_family(const char *word)
{
	if (!strcmp(word, "inet"))
		return AUDIT_FW_V4 | AUDIT_FW_V6;
	if (!strcmp(word, "ip"))
		return AUDIT_FW_V4;
	if (!strcmp(word, "ip6"))
		return AUDIT_FW_V6;
	return 0; /* arp, bridge, netdev: not the host's input path */
}

/* Brace depth change of a line, ignoring braces in "quoted" comments. */
static int brace_delta(const char *s)
{
	bool quoted = false;
	int d = 0;

	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == '{')
			d++;
		else if (!quoted && *s == '}')
			d--;
	}
	return d;
}

/* A rule that drops or rejects everything: "drop", "counter packets 1 bytes 2 reject ...". */
static bool unconditional_deny(const char *rule)
{
	char copy[512], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", rule);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!strcmp(w, "counter") || !strcmp(w, "packets") || !strcmp(w, "bytes") ||
		    isdigit((unsigned char)w[0]))
			continue;
		return !strcmp(w, "drop") || !strcmp(w, "reject");
	}
	return false;
}

unsigned audit_nft_deny_families(const char *ruleset)
{
	char *text = strdup(ruleset ?: ""), last[512] = "";
	bool in_chain = false, input = false, drop = false;
	unsigned family = 0, deny = 0;
	int depth = 0;

	for_each_line(raw, next, text) {
		char *line = audit_trim(raw), word[32];

		if (depth == 0 && sscanf(line, "table %31s", word) == 1)
			family = nft_family(word);
		if (depth == 1 && audit_starts_with(line, "chain ")) {
			in_chain = true;
			input = drop = false;
			last[0] = '\0';
		}
		if (in_chain) {
			input |= strstr(line, "hook input") != NULL;
			drop |= strstr(line, "policy drop") != NULL;
			if (depth == 2 && line[0] && line[0] != '}' && line[0] != '#' &&
			    !audit_starts_with(line, "type ") && !audit_starts_with(line, "policy "))
				snprintf(last, sizeof(last), "%s", line);
		}
		depth += brace_delta(line);
		if (in_chain && depth <= 1) {
			/* a packet must pass every base chain on the hook: one that denies is enough */
			if (input && (drop || unconditional_deny(last)))
				deny |= family;
			in_chain = false;
		}
	}
	free(text);
	return deny;
}

bool audit_iptables_input_deny(const char *rules)
{
	char *text = strdup(rules ?: ""), last[512] = "";
	bool deny = false;

	for_each_line(raw, next, text) {
		char *line = audit_trim(raw);

		if (!strcmp(line, "-P INPUT DROP"))
			deny = true;
		else if (audit_starts_with(line, "-A INPUT "))
			snprintf(last, sizeof(last), "%s", line);
	}
	free(text);
	return deny || !strcmp(last, "-A INPUT -j DROP") || audit_starts_with(last, "-A INPUT -j REJECT");
}

unsigned audit_ufw_deny_families(const char *status)
{
	char *text = strdup(status ?: "");
	bool active = false, deny = false;

	for_each_line(raw, next, text) {
		char *line = audit_trim(raw);

		active |= !strcmp(line, "Status: active");
		deny |= audit_starts_with(line, "Default: deny (incoming)") ||
			audit_starts_with(line, "Default: reject (incoming)");
	}
	free(text);
	return active && deny ? AUDIT_FW_V4 | AUDIT_FW_V6 : 0;
}

static unsigned iptables_v4(const char *rules)
{
	return audit_iptables_input_deny(rules) ? AUDIT_FW_V4 : 0;
}

static unsigned iptables_v6(const char *rules)
{
	return audit_iptables_input_deny(rules) ? AUDIT_FW_V6 : 0;
}

/* Any interface but lo with an IPv6 address: incoming IPv6 needs its own policy. */
static bool host_has_ipv6(const struct audit_ctx *ctx)
{
	char path[PATH_MAX], *text = NULL;
	bool found = false;

	audit_path(ctx, "/proc/net/if_inet6", path, sizeof(path));
	if (read_text(path, &text))
		return false;
	for_each_line(line, next, text) {
		char dev[64];

		if (sscanf(line, "%*s %*s %*s %*s %*s %63s", dev) == 1 && strcmp(dev, "lo"))
			found = true;
	}
	free(text);
	return found;
}

struct firewall_tool {
	const char *name; /* fixture name */
	const char *argv[4];
	unsigned (*deny)(const char *output);
};

static const struct firewall_tool firewall_tools[] = {
	{ "nft-list-ruleset", { "nft", "list", "ruleset" }, audit_nft_deny_families },
	{ "iptables-S", { "iptables", "-S" }, iptables_v4 },
	{ "ip6tables-S", { "ip6tables", "-S" }, iptables_v6 },
	{ "ufw-status-verbose", { "ufw", "status", "verbose" }, audit_ufw_deny_families },
};

int audit_check_firewall(const struct audit_ctx *ctx, struct audit_report *r)
{
	static const char fix[] = "apt-get install nftables; in /etc/nftables.conf give the input "
				  "chain of an inet table `policy drop;` after accepting lo, "
				  "established traffic and the ports you serve; systemctl enable "
				  "--now nftables";
	unsigned need = AUDIT_FW_V4 | (host_has_ipv6(ctx) ? AUDIT_FW_V6 : 0), have = 0;
	char failures[1024] = "";
	int installed = 0;

	for (size_t i = 0; i < sizeof(firewall_tools) / sizeof(firewall_tools[0]); i++) {
		const struct firewall_tool *t = &firewall_tools[i];
		char *out = NULL, line[256];
		int ret = audit_cmd_output(ctx, t->name, t->argv, &out);

		installed += ret != -ENOENT;
		if (!ret) {
			have |= t->deny(out);
		} else if (ret != -ENOENT) {
			audit_first_line(out, line, sizeof(line));
			snprintf(failures + strlen(failures), sizeof(failures) - strlen(failures),
				 "; %s failed: %s", t->argv[0], out ? line : strerror(-ret));
		}
		free(out);
	}
	if (!installed)
		return audit_add(r, "host.firewall", AUDIT_HIGH, fix,
				 "no host firewall: none of nft, iptables or ufw is installed, so "
				 "every listening port is open to the network");
	if ((have & need) == need)
		return 0;
	if (!(have & AUDIT_FW_V4))
		return audit_add(r, "host.firewall", AUDIT_HIGH, fix,
				 "incoming traffic is not denied by default: no input chain with "
				 "policy drop (nft), no -P INPUT DROP (iptables), no active ufw "
				 "denying incoming%s", failures);
	return audit_add(r, "host.firewall", AUDIT_HIGH,
			 "use an inet table (both families) in nftables, or give ip6tables the same "
			 "INPUT policy",
			 "incoming IPv4 is denied by default but IPv6 is not, and this host has "
			 "IPv6 addresses%s", failures);
}

/* ---- 3. fail2ban ---- */

static bool jail_listed(const char *status, const char *jail)
{
	const char *list = strstr(status, "Jail list:");
	char copy[1024], *save = NULL;

	if (!list)
		return false;
	snprintf(copy, sizeof(copy), "%.*s", (int)strcspn(list, "\n"), list + strlen("Jail list:"));
	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save))
		if (!strcmp(w, jail))
			return true;
	return false;
}

int audit_check_fail2ban(const struct audit_ctx *ctx, struct audit_report *r)
{
	static const char *const argv[] = { "fail2ban-client", "status", NULL };
	char path[PATH_MAX], line[256], *out = NULL;
	int ret;

	audit_path(ctx, "/usr/sbin/sshd", path, sizeof(path));
	if (access(path, F_OK))
		return 0; /* no sshd: no password guessing to answer */
	ret = audit_cmd_output(ctx, "fail2ban-client-status", argv, &out);
	audit_first_line(out, line, sizeof(line));
	if (ret == -ENOENT)
		ret = audit_add(r, "host.fail2ban", AUDIT_MEDIUM,
				"apt-get install fail2ban (its sshd jail is on by default; on a "
				"journald-only host add `backend = systemd` to the [sshd] jail)",
				"sshd is installed but fail2ban is not: password guessing against it "
				"goes unanswered");
	else if (ret)
		ret = audit_add(r, "host.fail2ban", AUDIT_MEDIUM,
				"systemctl enable --now fail2ban; journalctl -u fail2ban says why it "
				"stopped", "fail2ban is installed but not running (%s)",
				out ? line : strerror(-ret));
	else if (!jail_listed(out, "sshd"))
		ret = audit_add(r, "host.fail2ban", AUDIT_MEDIUM,
				"set enabled = true under [sshd] in /etc/fail2ban/jail.local "
				"(backend = systemd on journald-only hosts), then systemctl reload "
				"fail2ban", "fail2ban runs without an sshd jail");
	free(out);
	return ret;
}
