// SPDX-License-Identifier: GPL-2.0-only
/*
 * The parsed policy as data: an agent's settings before and after the
 * defaults (and profiles) are merged under it, its lookups, and freeing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define DEFAULT_EXEC_PATH "/usr/local/bin:/usr/bin:/bin"
#define DEFAULT_ASK_TIMEOUT_MS (5 * 60 * 1000LL)

void agent_init(struct agent_policy *a)
{
	memset(a, 0, sizeof(*a));
	a->confined = true;
	a->network = NETWORK_UNSET;
	a->exec.security = EXEC_SECURITY_UNSET;
	a->exec.ask = EXEC_ASK_UNSET;
	a->exec.ask_fallback = ASK_FALLBACK_UNSET;
	a->exec.ask_timeout_ms = -1;
	a->fs.workspace_only = -1;
	a->net.ask = NET_ASK_UNSET;
}

void agent_free(struct agent_policy *a)
{
	free(a->name);
	free(a->workspace);
	free(a->user);
	strv_free(&a->binds);
	strv_free(&a->exec.safe_bins);
	strv_free(&a->exec.safe_bins_where);
	strv_free(&a->exec.quiet);
	strv_free(&a->profiles);
	strv_free(&a->commands);
	strv_free(&a->commands_from);
	strv_free(&a->home_files);
	strv_free(&a->contributed);
	strv_free(&a->fs.read_only);
	strv_free(&a->fs.deny);
	strv_free(&a->fs.must_read);
	strv_free(&a->env.pass);
	strv_free(&a->env.set);
	net_policy_free(&a->net);
}

#define MERGE_SCALAR(field, unset) \
	do { if (a->field == (unset)) a->field = d->field; } while (0)

/*
 * One layer under a: a's lists extend d's (d's entries first), a's scalars
 * override d's. Used for a profile under its agent and for the defaults
 * under every agent.
 */
int agent_merge_layer(struct agent_policy *a, const struct agent_policy *d)
{
	struct agent_policy merged;
	int net_ask = a->net.ask == NET_ASK_UNSET ? d->net.ask : a->net.ask;
	int err = 0;

	MERGE_SCALAR(network, NETWORK_UNSET);
	MERGE_SCALAR(exec.security, EXEC_SECURITY_UNSET);
	MERGE_SCALAR(exec.ask, EXEC_ASK_UNSET);
	MERGE_SCALAR(exec.ask_fallback, ASK_FALLBACK_UNSET);
	MERGE_SCALAR(exec.ask_timeout_ms, -1);
	MERGE_SCALAR(fs.workspace_only, -1);
	a->capabilities |= d->capabilities; /* a list: the agent's extends the defaults' */
	if (!a->user && d->user && !(a->user = strdup(d->user)))
		return -ENOMEM;
	if (net_policy_merge(&a->net, &d->net))
		return -ENOMEM;
	a->net.ask = net_ask; /* still unset when neither says: a lower layer may */

	memset(&merged, 0, sizeof(merged));
#define MERGE_LIST(field) \
	do { \
		err = err ?: strv_extend(&merged.field, &d->field); \
		err = err ?: strv_extend(&merged.field, &a->field); \
	} while (0)
	MERGE_LIST(exec.safe_bins);
	MERGE_LIST(exec.safe_bins_where);
	MERGE_LIST(exec.quiet);
	MERGE_LIST(fs.read_only);
	MERGE_LIST(fs.deny);
	MERGE_LIST(fs.must_read);
	MERGE_LIST(env.pass);
	MERGE_LIST(env.set);
	MERGE_LIST(commands);
	MERGE_LIST(commands_from);
	MERGE_LIST(home_files);
	MERGE_LIST(contributed);
#undef MERGE_LIST
	if (err) {
		agent_free(&merged);
		return err;
	}
#define SWAP_LIST(field) \
	do { strv_free(&a->field); a->field = merged.field; } while (0)
	SWAP_LIST(exec.safe_bins);
	SWAP_LIST(exec.safe_bins_where);
	SWAP_LIST(exec.quiet);
	SWAP_LIST(fs.read_only);
	SWAP_LIST(fs.deny);
	SWAP_LIST(fs.must_read);
	SWAP_LIST(env.pass);
	SWAP_LIST(env.set);
	SWAP_LIST(commands);
	SWAP_LIST(commands_from);
	SWAP_LIST(home_files);
	SWAP_LIST(contributed);
#undef SWAP_LIST
	return 0;
}

/* The defaults under a, then the built-in values for what neither says. */
int agent_merge_defaults(struct agent_policy *a, const struct agent_policy *d)
{
	int err = agent_merge_layer(a, d);

	if (err)
		return err;
	if (a->network == NETWORK_UNSET)
		a->network = NETWORK_NONE;
	if (a->exec.security == EXEC_SECURITY_UNSET)
		a->exec.security = EXEC_SECURITY_ALLOWLIST;
	if (a->exec.ask == EXEC_ASK_UNSET)
		a->exec.ask = EXEC_ASK_OFF;
	if (a->exec.ask_fallback == ASK_FALLBACK_UNSET)
		a->exec.ask_fallback = ASK_FALLBACK_DENY;
	if (a->exec.ask_timeout_ms < 0)
		a->exec.ask_timeout_ms = DEFAULT_ASK_TIMEOUT_MS;
	if (a->fs.workspace_only < 0)
		a->fs.workspace_only = 0;
	if (a->net.ask == NET_ASK_UNSET)
		a->net.ask = NET_ASK_OFF;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_agents; i++)
		agent_free(&p->agents[i]);
	free(p->agents);
	agent_free(&p->defaults);
	strv_free(&p->notify);
	free(p->path);
	free(p);
}

const struct agent_policy *policy_agent(const struct policy *p, const char *name)
{
	for (size_t i = 0; p && i < p->n_agents; i++)
		if (!strcmp(p->agents[i].name, name))
			return &p->agents[i];
	return NULL;
}

const char *agent_env_get(const struct agent_policy *a, const char *name)
{
	size_t len = strlen(name);
	const char *found = NULL;

	for (size_t i = 0; i < a->env.set.n; i++)
		if (!strncmp(a->env.set.v[i], name, len) && a->env.set.v[i][len] == '=')
			found = a->env.set.v[i] + len + 1; /* later entries (the agent's) win */
	return found;
}

const char *agent_exec_path(const struct agent_policy *a)
{
	return agent_env_get(a, "PATH") ?: DEFAULT_EXEC_PATH;
}

const char *exec_security_name(int security)
{
	switch (security) {
	case EXEC_SECURITY_DENY: return "deny";
	case EXEC_SECURITY_ALLOWLIST: return "allowlist";
	case EXEC_SECURITY_FULL: return "full";
	}
	return "?";
}
