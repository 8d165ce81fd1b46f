// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cgroups the daemon tracks: runs' leaves it created (removed once they
 * empty), attached ones, and at start-up those a previous daemon left,
 * found on disk and in the pinned warden_cgroups map.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "array.h"
#include "cgroup.h"
#include "daemon.h"
#include "enforcer.h"
#include "log.h"

/* ---- cgroups of agents ---- */

int track_cgroup(struct daemon *d, const char *path, uint32_t agent, bool is_run,
			uint32_t flags)
{
	struct managed_cgroup *v;
	uint64_t id;
	int err;

	err = cgroup_id(path, &id);
	if (err)
		return err;
	if (ARRAY_GROW(d->cgroups, NULL, d->n_cgroups + 1))
		return -ENOMEM;
	v = d->cgroups;
	v[d->n_cgroups] = (struct managed_cgroup){ .id = id, .agent = agent, .is_run = is_run,
						   .path = strdup(path) };
	if (!v[d->n_cgroups].path)
		return -ENOMEM;
	err = enforcer_add_cgroup(d->enforcer, id, agent, flags);
	if (err) {
		free(v[d->n_cgroups].path);
		return err;
	}
	d->n_cgroups++;
	return 0;
}

void untrack_cgroup(struct daemon *d, size_t i)
{
	enforcer_del_cgroup(d->enforcer, d->cgroups[i].id);
	free(d->cgroups[i].path);
	d->cgroups[i] = d->cgroups[--d->n_cgroups];
}

/* Finished runs: empty leaves are removed from the kernel map and from cgroupfs. */
void sweep_cgroups(struct daemon *d)
{
	for (size_t i = 0; i < d->n_cgroups;) {
		struct managed_cgroup *c = &d->cgroups[i];

		if (c->is_run && cgroup_populated(c->path) == 0 && !rmdir(c->path)) {
			log_debug("run cgroup %s finished", c->path);
			untrack_cgroup(d, i);
			continue;
		}
		i++;
	}
}

/*
 * Cgroups left under the warden subtree by an earlier daemon (their
 * processes may still run): managed again from the moment the policy is
 * applied, under the agent their directory names.
 */
void adopt_existing_cgroups(struct daemon *d)
{
	for (size_t i = 0; i < d->policy->n_agents; i++) {
		const struct agent_policy *a = &d->policy->agents[i];
		char dir[4096];
		struct dirent *de;
		DIR *dh;

		if (!a->confined)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", WARDEN_CGROUP_DIR, a->name);
		dh = opendir(dir);
		if (!dh)
			continue;
		while ((de = readdir(dh))) {
			char path[4096 + 256];

			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (!track_cgroup(d, path, agent_ids_get(&d->ids, a->name), true, 0))
				log_info("adopted %s for agent %s", path, a->name);
		}
		closedir(dh);
	}
}

/* Finds the cgroup directory with inode id under dir (depth-first). */
static bool find_cgroup_path(const char *dir, uint64_t id, char *out, size_t len, int depth)
{
	struct dirent *de;
	bool found = false;
	DIR *dh;

	if (depth > 16 || !(dh = opendir(dir)))
		return false;
	while (!found && (de = readdir(dh))) {
		char path[4096];
		uint64_t this;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!cgroup_id(path, &this) && this == id) {
			snprintf(out, len, "%s", path);
			found = true;
		} else {
			found = find_cgroup_path(path, id, out, len, depth + 1);
		}
	}
	closedir(dh);
	return found;
}

/*
 * Cgroups the kernel map holds from an earlier daemon that are not under
 * warden's own subtree (those were adopted already): `warden attach`ed
 * containers. They stay managed; gone ones are dropped.
 */
void adopt_registered_cgroups(struct daemon *d)
{
	int max = enforcer_max_cgroups(d->enforcer);
	uint64_t *ids = calloc(max, sizeof(*ids));
	uint32_t *agents = calloc(max, sizeof(*agents));
	int n = ids && agents ? enforcer_cgroups(d->enforcer, ids, agents, max) : 0;

	if (!ids || !agents)
		log_error("cannot list the registered cgroups: out of memory");
	for (int i = 0; i < n; i++) {
		const char *agent = agent_ids_name(&d->ids, agents[i]);
		bool tracked = false;
		char path[4096];

		for (size_t j = 0; j < d->n_cgroups && !tracked; j++)
			tracked = d->cgroups[j].id == ids[i];
		if (tracked)
			continue;
		if (!agent || !find_cgroup_path(CGROUP2_ROOT, ids[i], path, sizeof(path), 0)) {
			enforcer_del_cgroup(d->enforcer, ids[i]);
			continue;
		}
		if (!track_cgroup(d, path, agents[i], false, 0))
			log_info("adopted attached cgroup %s of agent %s", path, agent);
	}
	free(ids);
	free(agents);
}
