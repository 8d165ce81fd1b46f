// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layer 6 policy: the object form of "network", every entry syntax, the
 * errors naming the JSON location, merging with the defaults, and what
 * compiles into the rules map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "compile.h"
#include "net.h"
#include "net_policy.h"
#include "policy.h"

static char err[2048];

static struct policy *parse(const char *text)
{
	err[0] = '\0';
	return policy_parse(text, "p.json", err, sizeof(err));
}

static void expect_error(const char *text, const char *where, const char *reason)
{
	struct policy *p = parse(text);

	if (p) {
		policy_free(p);
		fail_msg("accepted: %s", text);
	}
	if (!strstr(err, "p.json: ") || !strstr(err, where) || !strstr(err, reason))
		fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", err, where, reason);
}

#define NET(body) "{\"version\":1,\"agents\":{\"coder\":{\"network\":" body "}}}"

static void test_endpoints(void **state)
{
	static const struct {
		const char *s;
		int target;
		const char *name_or_addr;
		unsigned prefix;
		uint16_t port;
	} good[] = {
		{ "api.anthropic.com:443", NET_TARGET_NAME, "api.anthropic.com", 0, 443 },
		{ "API.Example.TEST:443", NET_TARGET_NAME, "api.example.test", 0, 443 },
		{ "*.githubusercontent.com:443", NET_TARGET_SUFFIX, "githubusercontent.com", 0, 443 },
		{ "10.20.0.0/16:5432", NET_TARGET_ADDR, "10.20.0.0", 96 + 16, 5432 },
		{ "127.0.0.1:8765", NET_TARGET_ADDR, "127.0.0.1", 128, 8765 },
		{ "192.0.2.7:*", NET_TARGET_ADDR, "192.0.2.7", 128, 0 },
		{ "[2001:db8::7]:443", NET_TARGET_ADDR, "2001:db8::7", 128, 443 },
		{ "[2001:db8::/32]:*", NET_TARGET_ADDR, "2001:db8::", 32, 0 },
		{ "[::ffff:192.0.2.1]:80", NET_TARGET_ADDR, "192.0.2.1", 128, 80 },
		{ "localhost:631", NET_TARGET_NAME, "localhost", 0, 631 },
		{ "0.0.0.0/0:53", NET_TARGET_ADDR, "0.0.0.0", 96, 53 },
	};
	static const struct { const char *s, *why; } bad[] = {
		{ "api.example.com", "HOST:PORT" },
		{ "api.example.com:0", "port" },
		{ "api.example.com:65536", "port" },
		{ "api.example.com:https", "port" },
		{ "api.*.example.com:443", "wildcard" },
		{ "*example.com:443", "wildcard" },
		{ "*:443", "wildcard" },
		{ "10.0.0.1/8:443", "bits set beyond" },
		{ "10.0.0.0/33:443", "0-32" },
		{ "300.1.1.1:80", "not a valid" },
		{ "1.2.3:80", "not a valid" },
		{ "2001:db8::1:443", "brackets" },
		{ "[2001:db8::1]443", "[ADDRESS]:PORT" },
		{ "[2001:db8::zz]:443", "not an IPv6" },
		{ "[2001:db8::/129]:443", "0-128" },
		{ "-bad.example.com:443", "not a valid" },
		{ "bad..example.com:443", "not a valid" },
		{ ":443", "no host" },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct net_endpoint ep;
		const char *why = NULL;
		char buf[256], addr[64];

		if (net_endpoint_parse(good[i].s, false, &ep, &why, buf, sizeof(buf)))
			fail_msg("%s refused: %s", good[i].s, why);
		assert_int_equal(ep.target, good[i].target);
		assert_int_equal(ep.port, good[i].port);
		if (ep.target == NET_TARGET_ADDR) {
			net_addr_format(ep.addr, addr, sizeof(addr));
			assert_string_equal(addr, good[i].name_or_addr);
			assert_int_equal(ep.prefix, good[i].prefix);
		} else {
			assert_string_equal(ep.name, good[i].name_or_addr);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct net_endpoint ep;
		const char *why = NULL;
		char buf[256];

		if (!net_endpoint_parse(bad[i].s, false, &ep, &why, buf, sizeof(buf)))
			fail_msg("%s accepted", bad[i].s);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].s, why, bad[i].why);
	}
}

static void test_name_matching(void **state)
{
	struct net_endpoint exact, suffix;
	const char *why;
	char buf[256];

	assert_int_equal(net_endpoint_parse("api.example.test:443", false, &exact, &why, buf,
					    sizeof(buf)), 0);
	assert_int_equal(net_endpoint_parse("*.example.test:443", false, &suffix, &why, buf,
					    sizeof(buf)), 0);
	assert_true(net_endpoint_matches_name(&exact, "api.example.test"));
	assert_true(net_endpoint_matches_name(&exact, "API.example.test."));
	assert_false(net_endpoint_matches_name(&exact, "evil.example.test"));
	assert_false(net_endpoint_matches_name(&exact, "xapi.example.test"));
	assert_false(net_endpoint_matches_name(&exact, "api.example.test.evil"));
	assert_true(net_endpoint_matches_name(&suffix, "a.b.example.test"));
	assert_true(net_endpoint_matches_name(&suffix, "api.example.test."));
	assert_false(net_endpoint_matches_name(&suffix, "example.test"));
	assert_false(net_endpoint_matches_name(&suffix, "badexample.test"));
}

static void test_exact_entries_for_must_reach(void **state)
{
	struct net_endpoint ep;
	const char *why;
	char buf[256];

	assert_int_equal(net_endpoint_parse("api.example.test:443", true, &ep, &why, buf,
					    sizeof(buf)), 0);
	assert_int_not_equal(net_endpoint_parse("*.example.test:443", true, &ep, &why, buf,
						sizeof(buf)), 0);
	assert_int_not_equal(net_endpoint_parse("api.example.test:*", true, &ep, &why, buf,
						sizeof(buf)), 0);
	assert_int_not_equal(net_endpoint_parse("10.0.0.0/8:443", true, &ep, &why, buf,
						sizeof(buf)), 0);
}

static void test_policy_errors_name_the_location(void **state)
{
	expect_error(NET("{\"egress\": [\"ok.example:443\", \"bad\"]}"),
		     "agents.coder.network.egress[1]", "HOST:PORT");
	expect_error(NET("{\"egress\": [\"api.*.example:443\"]}"),
		     "agents.coder.network.egress[0]", "wildcard");
	expect_error(NET("{\"egress\": [\"10.0.0.0/40:1\"]}"), "network.egress[0]", "0-32");
	expect_error(NET("{\"egress\": \"api.example:443\"}"), "agents.coder.network.egress",
		     "expected an array");
	expect_error(NET("{\"egres\": []}"), "agents.coder.network.egres", "unknown key");
	expect_error(NET("{\"ask\": \"always\"}"), "agents.coder.network.ask", "on-miss");
	expect_error(NET("{\"unix\": [\"run/x.sock\"]}"), "agents.coder.network.unix[0]",
		     "absolute");
	expect_error(NET("{\"mustReach\": [\"*.example:443\"]}"),
		     "agents.coder.network.mustReach[0]", "wildcard");
	expect_error(NET("42"), "agents.coder.network", "expected \"none\", \"host\" or an object");
	expect_error(NET("\"open\""), "agents.coder.network", "expected \"none\" or \"host\"");
	expect_error("{\"version\":1,\"defaults\":{\"network\":{\"egress\":[\"x:99999\"]}}}",
		     "defaults.network.egress[0]", "port");
}

static void test_merge_and_modes(void **state)
{
	struct policy *p = parse(
		"{\"version\":1,\"defaults\":{\"network\":{\"egress\":[\"git.example:443\"],"
		"\"ask\":\"on-miss\"}},\"agents\":{"
		"\"a\":{\"network\":{\"egress\":[\"api.example:443\"],\"unix\":[\"/run/x.sock\"]}},"
		"\"b\":{\"network\":\"none\"},"
		"\"c\":{},"
		"\"d\":{\"network\":{\"ask\":\"off\"}}}}");
	const struct agent_policy *a, *b, *c, *d;

	assert_non_null(p);
	a = policy_agent(p, "a");
	b = policy_agent(p, "b");
	c = policy_agent(p, "c");
	d = policy_agent(p, "d");
	assert_int_equal(a->network, NETWORK_FILTER);
	assert_int_equal(a->net.egress.n, 2);
	assert_string_equal(a->net.egress.v[0], "git.example:443");
	assert_string_equal(a->net.egress.v[1], "api.example:443");
	assert_int_equal(a->net.ask, NET_ASK_ON_MISS);
	assert_int_equal(a->net.unix_paths.n, 1);
	assert_int_equal(b->network, NETWORK_NONE);
	assert_int_equal(c->network, NETWORK_FILTER); /* the defaults' object form */
	assert_int_equal(d->network, NETWORK_FILTER);
	assert_int_equal(d->net.ask, NET_ASK_OFF);
	policy_free(p);
	p = parse("{\"version\":1,\"agents\":{\"x\":{}}}");
	assert_non_null(p);
	assert_int_equal(policy_agent(p, "x")->network, NETWORK_NONE); /* the default */
	policy_free(p);
}

static const struct rule_entry *find_kind(const struct compiled_policy *c, uint32_t kind,
					  uint32_t agent)
{
	for (size_t i = 0; i < c->n_rules; i++)
		if (c->rules[i].key.kind == kind && c->rules[i].key.agent == agent)
			return &c->rules[i];
	return NULL;
}

static void test_compile(void **state)
{
	struct policy *p = parse(
		"{\"version\":1,\"defaults\":{\"exec\":{\"security\":\"full\"}},\"agents\":{"
		"\"f\":{\"workspace\":\"/tmp\",\"network\":{\"egress\":[\"api.example:443\"],"
		"\"ask\":\"on-miss\",\"unix\":[\"/tmp/warden-test-net.sock\", \"/nonexistent/x.sock\"]}},"
		"\"h\":{\"network\":\"host\"}}}");
	struct agent_ids ids = {};
	struct compiled_policy c;
	const struct rule_entry *r;
	struct net_agent_rule nr;
	uint32_t f, h;

	assert_non_null(p);
	assert_int_equal(policy_compile(p, &ids, 7, &c, err, sizeof(err)), 0);
	f = agent_ids_get(&ids, "f");
	h = agent_ids_get(&ids, "h");
	r = find_kind(&c, RULE_NET_AGENT, f);
	assert_non_null(r);
	memcpy(&nr, &r->value, sizeof(nr));
	assert_int_equal(nr.mode, NET_MODE_FILTER);
	assert_int_equal(nr.slot, 1); /* generation 7 */
	assert_true(nr.flags & NET_FLAG_ASK);
	assert_null(find_kind(&c, RULE_NET_AGENT, h)); /* "host": no net hook applies */
	assert_non_null(find_kind(&c, RULE_NET_UNIX, f)); /* /tmp exists; /nonexistent does not */
	assert_non_null(find_kind(&c, RULE_NET_UNIX_DIR, f));
	compiled_policy_free(&c);
	agent_ids_free(&ids);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_name_matching),
		cmocka_unit_test(test_exact_entries_for_must_reach),
		cmocka_unit_test(test_policy_errors_name_the_location),
		cmocka_unit_test(test_merge_and_modes),
		cmocka_unit_test(test_compile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
