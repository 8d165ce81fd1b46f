// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "enforcer.h"
#include "warden.skel.h"

#define LSM_LIST "/sys/kernel/security/lsm"
#define SELFTEST_CGROUP WARDEN_CGROUP_DIR "/.selftest"
#define SELFTEST_EPERM 42 /* the child's status when execve was refused */

struct enforcer {
	struct warden *skel;
	int rules_fd; /* the rules map in the policy slot, -1 before the first apply */
};

int bpf_lsm_check(char *err, size_t errlen)
{
	char list[512] = "";
	FILE *f = fopen(LSM_LIST, "re");

	if (!f) {
		snprintf(err, errlen, "cannot read %s (%s): mount securityfs "
			 "(mount -t securityfs securityfs /sys/kernel/security)", LSM_LIST,
			 strerror(errno));
		return -ENOENT;
	}
	if (!fgets(list, sizeof(list), f))
		list[0] = '\0';
	fclose(f);
	list[strcspn(list, "\n")] = '\0';
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "bpf"))
			return 0;
		if (tok != list)
			tok[-1] = ','; /* restore the list for the message below */
	}
	snprintf(err, errlen, "the BPF LSM is not active (active LSMs: %s): boot with "
		 "\"bpf\" added to the lsm= kernel parameter, e.g. lsm=%s,bpf "
		 "(and CONFIG_BPF_LSM=y)", list, list);
	return -ENOTSUP;
}

struct enforcer *enforcer_open(char *err, size_t errlen)
{
	struct enforcer *e = calloc(1, sizeof(*e));
	struct utsname uts = {};
	int ret;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->rules_fd = -1;
	uname(&uts);
	e->skel = warden__open();
	if (!e->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
		goto fail;
	}
	ret = warden__load(e->skel);
	if (ret == -EPERM) {
		snprintf(err, errlen, "the kernel (%s) refused to load warden's BPF LSM programs: %s. "
			 "It needs CONFIG_BPF_LSM=y, \"bpf\" in the lsm= boot parameter and a kernel "
			 "that permits LSM programs; run warden inside the test VM with "
			 "scripts/vmtest.sh, or --verbose for libbpf's log",
			 uts.release, strerror(-ret));
		goto fail;
	}
	if (ret) {
		snprintf(err, errlen, "the BPF verifier of this kernel (%s) rejected warden's programs: "
			 "%s; run with --verbose for the verifier's log and report it",
			 uts.release, strerror(-ret));
		goto fail;
	}
	ret = warden__attach(e->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach the BPF LSM programs: %s", strerror(-ret));
		goto fail;
	}
	return e;
fail:
	enforcer_close(e);
	errno = -ret;
	return NULL;
}

void enforcer_close(struct enforcer *e)
{
	if (!e)
		return;
	if (e->rules_fd >= 0)
		close(e->rules_fd);
	warden__destroy(e->skel);
	free(e);
}

/* Batched update, one element at a time if the kernel lacks batches. */
static int fill_rules(int fd, const struct compiled_policy *c)
{
	size_t done = 0;

	while (done < c->n_rules) {
		struct rule_key keys[1024];
		union rule_value values[1024];
		__u32 n = 0;

		for (; n < 1024 && done + n < c->n_rules; n++) {
			keys[n] = c->rules[done + n].key;
			values[n] = c->rules[done + n].value;
		}
		if (bpf_map_update_batch(fd, keys, values, &n, NULL)) {
			if (errno != EINVAL && errno != ENOTSUP)
				return -errno;
			for (__u32 i = 0; i < n; i++)
				if (bpf_map_update_elem(fd, &keys[i], &values[i], BPF_ANY))
					return -errno;
		}
		done += n;
	}
	return 0;
}

int enforcer_apply(struct enforcer *e, const struct compiled_policy *c)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	__u32 slot = 0;
	int fd, ret;

	if (c->n_rules > WARDEN_MAX_RULES)
		return -E2BIG;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "warden_rules", sizeof(struct rule_key),
			    sizeof(union rule_value), WARDEN_MAX_RULES, &opts);
	if (fd < 0)
		return -errno;
	ret = fill_rules(fd, c);
	/* the swap: one update of one slot */
	if (!ret && bpf_map_update_elem(bpf_map__fd(e->skel->maps.policy), &slot, &fd, BPF_ANY))
		ret = -errno;
	if (ret) {
		close(fd);
		return ret;
	}
	if (e->rules_fd >= 0)
		close(e->rules_fd);
	e->rules_fd = fd;
	return 0;
}

int enforcer_add_cgroup(struct enforcer *e, uint64_t cgroup_id, uint32_t agent, uint32_t flags)
{
	struct cgroup_agent v = { .agent = agent, .flags = flags };

	if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.agent_by_cgroup), &cgroup_id, &v,
				BPF_ANY))
		return -errno;
	return 0;
}

int enforcer_del_cgroup(struct enforcer *e, uint64_t cgroup_id)
{
	if (bpf_map_delete_elem(bpf_map__fd(e->skel->maps.agent_by_cgroup), &cgroup_id) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int enforcer_heartbeat(struct enforcer *e, uint32_t tgid)
{
	struct approver a = { .tgid = tgid, .heartbeat_ns = tgid ? boottime_ns() : 0 };
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.approver), &zero, &a, BPF_ANY))
		return -errno;
	return 0;
}

int enforcer_release_held(struct enforcer *e, uint32_t tgid)
{
	if (bpf_map_delete_elem(bpf_map__fd(e->skel->maps.held), &tgid) && errno != ENOENT)
		return -errno;
	return 0;
}

int enforcer_list_held(struct enforcer *e, uint32_t *tgids, struct held_exec *info, int max)
{
	int fd = bpf_map__fd(e->skel->maps.held), n = 0;
	__u32 key, next;
	__u32 *prev = NULL;

	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &info[n]))
			tgids[n++] = next;
		key = next;
		prev = &key;
	}
	return n;
}

int enforcer_add_rule(struct enforcer *e, const struct rule_entry *r)
{
	if (e->rules_fd < 0)
		return -ENOENT;
	if (bpf_map_update_elem(e->rules_fd, &r->key, &r->value, BPF_ANY))
		return -errno;
	return 0;
}

int enforcer_counters(struct enforcer *e, uint64_t out[COUNTER_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *percpu;

	if (ncpu <= 0)
		return ncpu ?: -EINVAL;
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (__u32 c = 0; c < COUNTER_MAX; c++) {
		out[c] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.counters), &c, percpu))
			continue;
		for (int i = 0; i < ncpu; i++)
			out[c] += percpu[i];
	}
	free(percpu);
	return 0;
}

int enforcer_events_fd(struct enforcer *e)
{
	return bpf_map__fd(e->skel->maps.events);
}

static void self_test_child(void)
{
	char *const argv[] = { "warden", "--version", NULL };
	char *const envp[] = { NULL };

	if (cgroup_move(SELFTEST_CGROUP, 0))
		_exit(2);
	execve("/proc/self/exe", argv, envp);
	_exit(errno == EPERM ? SELFTEST_EPERM : 3);
}

int enforcer_self_test(struct enforcer *e, char *err, size_t errlen)
{
	uint64_t id;
	int status = 0, ret;
	pid_t pid;

	ret = cgroup_mkdir(SELFTEST_CGROUP);
	ret = ret ?: cgroup_id(SELFTEST_CGROUP, &id);
	ret = ret ?: enforcer_add_cgroup(e, id, WARDEN_AGENT_SELFTEST, 0);
	if (ret) {
		snprintf(err, errlen, "self-test: cannot set up %s: %s", SELFTEST_CGROUP,
			 strerror(-ret));
		rmdir(SELFTEST_CGROUP);
		return ret;
	}
	pid = fork();
	if (pid == 0)
		self_test_child();
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		ret = -errno;
	enforcer_del_cgroup(e, id);
	rmdir(SELFTEST_CGROUP);
	if (ret) {
		snprintf(err, errlen, "self-test: cannot start a child: %s", strerror(-ret));
		return ret;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == SELFTEST_EPERM)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		snprintf(err, errlen, "self-test: cannot move a process into %s", SELFTEST_CGROUP);
		return -EIO;
	}
	snprintf(err, errlen, "self-test: an exec that the loaded policy denies was not refused "
		 "(child status %d): the BPF LSM hooks are not enforcing on this kernel", status);
	return -ENOTSUP;
}
