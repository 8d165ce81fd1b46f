// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "clock.h"
#include "enforcer.h"
#include "net_enforcer.h"
#include "resolve.h"
#include "warden.skel.h"

#define SELFTEST_CGROUP WARDEN_CGROUP_DIR "/.selftest"
#define SELFTEST_EPERM 42 /* the child's status when execve was refused */

struct enforcer {
	struct warden *skel;
	int rules_fd; /* the rules map in the policy slot, -1 before the first apply */
	bool adopted; /* the maps of an earlier daemon were found pinned and reused */
};

/*
 * Pinned under WARDEN_PIN_DIR: every map and every program's link. The
 * pins keep enforcement in the kernel when the daemon exits or crashes; a
 * new daemon reuses the maps (policy, cgroups, held processes) and swaps
 * its own links in without a moment unenforced. `warden unload` is the
 * only way out.
 */
#define PIN_MAPS WARDEN_PIN_DIR "/maps"
#define PIN_LINKS WARDEN_PIN_DIR "/links"

/*
 * Our maps; not libbpf's internal ones (.rodata, .bss), which need no pin,
 * nor the file_open verdict cache: a next daemon, perhaps of another build,
 * starts without entries an older walk made.
 */
static bool pinnable(const struct bpf_map *m)
{
	return !strchr(bpf_map__name(m), '.') && strcmp(bpf_map__name(m), "warden_verdicts");
}

/*
 * Reuses the maps a previous daemon pinned. A layout that does not match
 * (another warden version) is not adopted: -ESTALE, and the caller starts
 * from fresh maps; the old links are replaced all the same.
 */
static int adopt_maps(struct enforcer *e)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, e->skel->obj) {
		char path[256];
		int fd, ret;

		if (!pinnable(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PIN_MAPS, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		ret = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (ret)
			return -ESTALE;
		e->adopted = true;
	}
	return 0;
}

/*
 * Pins of maps this build does not have (an older version's names): their
 * programs are being replaced, and a pin left behind would keep its map
 * and its contents in the kernel until the next `warden unload`.
 */
static void unpin_stale_maps(struct enforcer *e)
{
	DIR *dir = opendir(PIN_MAPS);
	struct dirent *de;

	while (dir && (de = readdir(dir))) {
		struct bpf_map *map = bpf_object__find_map_by_name(e->skel->obj, de->d_name);

		if (de->d_name[0] != '.' && (!map || !pinnable(map)))
			unlinkat(dirfd(dir), de->d_name, 0);
	}
	if (dir)
		closedir(dir);
}

static int pin_maps(struct enforcer *e)
{
	struct bpf_map *map;

	mkdir(WARDEN_PIN_DIR, 0700);
	mkdir(PIN_MAPS, 0700);
	bpf_object__for_each_map(map, e->skel->obj) {
		char path[256];
		struct bpf_map_info info = {}, pinned = {};
		__u32 len = sizeof(info);
		int fd;

		if (!pinnable(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PIN_MAPS, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len);
			len = sizeof(pinned);
			bpf_obj_get_info_by_fd(fd, &pinned, &len);
			close(fd);
			if (info.id == pinned.id)
				continue; /* adopted: that pin is this map */
			unlink(path);
		}
		if (bpf_obj_pin(bpf_map__fd(map), path))
			return -errno;
	}
	unpin_stale_maps(e);
	return 0;
}

/*
 * Pins each new link in place of the old one. The new programs are already
 * attached, so the old ones can go: both enforced the same maps meanwhile.
 */
static int pin_links(struct enforcer *e)
{
	const struct bpf_object_skeleton *sk = e->skel->skeleton;
	struct dirent *de;
	DIR *dir;

	mkdir(PIN_LINKS, 0700);
	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_link *link = *sk->progs[i].link;
		char path[256];
		int old;

		snprintf(path, sizeof(path), "%s/%s", PIN_LINKS, sk->progs[i].name);
		old = bpf_obj_get(path);
		unlink(path);
		if (bpf_link__pin(link, path)) {
			if (old >= 0)
				close(old);
			return -errno;
		}
		if (old >= 0)
			close(old); /* the last reference: the old program detaches */
	}
	/* programs an older version had and this one does not */
	dir = opendir(PIN_LINKS);
	while (dir && (de = readdir(dir))) {
		bool current = false;

		for (int i = 0; i < sk->prog_cnt && !current; i++)
			current = !strcmp(de->d_name, sk->progs[i].name);
		if (!current && de->d_name[0] != '.')
			unlinkat(dirfd(dir), de->d_name, 0);
	}
	if (dir)
		closedir(dir);
	return 0;
}

bool enforcer_adopted(struct enforcer *e)
{
	return e->adopted;
}

/* Program ids behind the link pins, so unload can wait until they are really gone. */
static int pinned_link_ids(__u32 *ids, int max)
{
	DIR *dir = opendir(PIN_LINKS);
	struct dirent *de;
	int n = 0;

	while (dir && n < max && (de = readdir(dir))) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (de->d_name[0] == '.')
			continue;
		{
			char path[512];

			snprintf(path, sizeof(path), "%s/%s", PIN_LINKS, de->d_name);
			fd = bpf_obj_get(path);
		}
		/* the program, not the link: a link's id goes before it is unhooked */
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			ids[n++] = info.prog_id;
		if (fd >= 0)
			close(fd);
	}
	if (dir)
		closedir(dir);
	return n;
}

/*
 * The kernel releases a link after its last reference, asynchronously, and
 * puts the program only once it is unhooked: unload returns when every
 * program is gone.
 */
static void wait_links_gone(const __u32 *ids, int n)
{
	for (int tries = 0; tries < 500; tries++) {
		bool any = false;

		for (int i = 0; i < n && !any; i++) {
			int fd = bpf_prog_get_fd_by_id(ids[i]);

			if (fd >= 0) {
				close(fd);
				any = true;
			}
		}
		if (!any)
			return;
		usleep(10000);
	}
}

int enforcer_unpin(void)
{
	const char *const dirs[] = { PIN_LINKS, PIN_MAPS };
	__u32 ids[256];
	int n = pinned_link_ids(ids, 256);

	for (int d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;

		while (dir && (de = readdir(dir)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd(dir), de->d_name, 0);
		if (dir)
			closedir(dir);
		rmdir(dirs[d]);
	}
	wait_links_gone(ids, n);
	if (rmdir(WARDEN_PIN_DIR) && errno != ENOENT)
		return -errno;
	return 0;
}

bool enforcer_pinned(void)
{
	return !access(PIN_LINKS, F_OK);
}

/*
 * The host's /dev/shm, whose files are kept per agent (bpf/ipc.bpf.c). No
 * /dev/shm at load: nothing to keep apart (a later mount is not seen).
 */
static void set_shm_dev(struct warden *skel)
{
	struct file_id id;

	if (!file_identity("/dev/shm", &id))
		skel->rodata->cfg_shm_dev = id.dev;
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
	if (adopt_maps(e) == -ESTALE) {
		/* another version's maps: start afresh (its links are replaced below) */
		warden__destroy(e->skel);
		e->adopted = false;
		e->skel = warden__open();
		if (!e->skel) {
			ret = -errno;
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
			goto fail;
		}
	}
	set_shm_dev(e->skel);
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
	/* cgroup programs (layer 6) need a cgroup to attach to: libbpf leaves them to us */
	ret = net_attach_cgroup_programs(e->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach the network programs to %s: %s", CGROUP2_ROOT,
			 strerror(-ret));
		goto fail;
	}
	ret = pin_maps(e);
	ret = ret ?: pin_links(e);
	if (ret) {
		snprintf(err, errlen, "cannot pin warden's BPF state under %s: %s (is bpffs mounted "
			 "there? mount -t bpf bpf /sys/fs/bpf)", WARDEN_PIN_DIR, strerror(-ret));
		goto fail;
	}
	if (e->adopted) {
		__u32 slot = 0, id;

		/* the policy in force until the daemon applies its own */
		if (!bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.warden_policy), &slot, &id))
			e->rules_fd = bpf_map_get_fd_by_id(id);
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
	if (!ret && bpf_map_update_elem(bpf_map__fd(e->skel->maps.warden_policy), &slot, &fd, BPF_ANY))
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

	if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.warden_cgroups), &cgroup_id, &v,
				BPF_ANY))
		return -errno;
	return 0;
}

int enforcer_del_cgroup(struct enforcer *e, uint64_t cgroup_id)
{
	if (bpf_map_delete_elem(bpf_map__fd(e->skel->maps.warden_cgroups), &cgroup_id) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

int enforcer_heartbeat(struct enforcer *e, uint32_t tgid)
{
	struct approver a = { .tgid = tgid, .heartbeat_ns = tgid ? boottime_ns() : 0 };
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.warden_approver), &zero, &a, BPF_ANY))
		return -errno;
	return 0;
}

int enforcer_release_held(struct enforcer *e, uint32_t tgid)
{
	if (bpf_map_delete_elem(bpf_map__fd(e->skel->maps.warden_held), &tgid) && errno != ENOENT)
		return -errno;
	return 0;
}

int enforcer_held_get(struct enforcer *e, uint32_t tgid, struct held_exec *out)
{
	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.warden_held), &tgid, out))
		return -errno;
	return 0;
}

int enforcer_list_held(struct enforcer *e, uint32_t *tgids, struct held_exec *info, int max)
{
	int fd = bpf_map__fd(e->skel->maps.warden_held), n = 0;
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

uint64_t enforcer_generation(struct enforcer *e)
{
	struct rule_key key = { .kind = RULE_GLOBAL };
	union rule_value v;

	if (e->rules_fd < 0 || bpf_map_lookup_elem(e->rules_fd, &key, &v))
		return 0;
	return v.global.generation;
}

int enforcer_max_cgroups(struct enforcer *e)
{
	return (int)bpf_map__max_entries(e->skel->maps.warden_cgroups);
}

int enforcer_max_held(struct enforcer *e)
{
	return (int)bpf_map__max_entries(e->skel->maps.warden_held);
}

int enforcer_cgroups(struct enforcer *e, uint64_t *ids, uint32_t *agents, int max)
{
	int fd = bpf_map__fd(e->skel->maps.warden_cgroups), n = 0;
	__u64 key, next, *prev = NULL;
	struct cgroup_agent v;

	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &v)) {
			ids[n] = next;
			agents[n++] = v.agent;
		}
		key = next;
		prev = &key;
	}
	return n;
}

int enforcer_rules_fd(struct enforcer *e)
{
	return e->rules_fd;
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
		if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.warden_counters), &c, percpu))
			continue;
		for (int i = 0; i < ncpu; i++)
			out[c] += percpu[i];
	}
	free(percpu);
	return 0;
}

int enforcer_map_fd(struct enforcer *e, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(e->skel->obj, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

int enforcer_events_fd(struct enforcer *e)
{
	return bpf_map__fd(e->skel->maps.warden_events);
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
