// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden approve --always`: bound to the file's identity and content,
 * never to a path alone; persisted in the approved overlay and compiled
 * into every later policy while the file is still what was approved.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "daemon.h"
#include "hash.h"
#include "log.h"
#include "resolve.h"

#define BINARY_HASH_MAX (1ULL << 31)

/* ---- --always: identity and content, never a path alone ---- */

/*
 * The SHA-256 of the file open at fd, from the cache while its metadata
 * is unchanged (a reload re-checks every --always entry).
 */
static int cached_sha256(struct daemon *d, int fd, const struct file_id *id, char *hex)
{
	struct hash_cache_entry e = { .dev = id->dev, .ino = id->ino };
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	e.size = st.st_size;
	e.mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + st.st_mtim.tv_nsec;
	e.ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000ULL + st.st_ctim.tv_nsec;
	for (size_t i = 0; i < d->n_hashes; i++) {
		struct hash_cache_entry *c = &d->hashes[i];

		if (c->dev == e.dev && c->ino == e.ino && c->size == e.size &&
		    c->mtime_ns == e.mtime_ns && c->ctime_ns == e.ctime_ns) {
			memcpy(hex, c->sha256, SHA256_HEX_LEN);
			return 0;
		}
	}
	ret = sha256_fd(fd, BINARY_HASH_MAX, hex);
	if (ret)
		return ret;
	memcpy(e.sha256, hex, SHA256_HEX_LEN);
	if (!ARRAY_GROW(d->hashes, NULL, d->n_hashes + 1))
		d->hashes[d->n_hashes++] = e;
	return 0;
}

void approvals_add_always(struct daemon *d, const struct policy *p, struct compiled_policy *c)
{
	json_object *root = json_object_from_file(APPROVED_OVERLAY), *list;

	if (!root)
		return;
	if (!json_object_object_get_ex(root, "approved", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		if (json_object_object_get_ex(root, "agents", NULL))
			log_error("%s holds approvals by path only (an older warden): they are "
				  "ignored; approve those binaries again", APPROVED_OVERLAY);
		json_object_put(root);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i);
		const char *agent = json_object_get_string(json_object_object_get(o, "agent"));
		const char *path = json_object_get_string(json_object_object_get(o, "path"));
		const char *want = json_object_get_string(json_object_object_get(o, "sha256"));
		const struct agent_policy *ap = agent ? policy_agent(p, agent) : NULL;
		struct rule_entry r = { .key = { .kind = RULE_EXEC_ALLOW } };
		char hex[SHA256_HEX_LEN];
		struct file_id id;
		int fd;

		if (!ap || !ap->confined || !path || !want)
			continue; /* an agent no longer in the policy: its approvals wait */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || file_identity_fd(fd, &id) ||
		    id.dev != json_object_get_uint64(json_object_object_get(o, "dev")) ||
		    id.ino != json_object_get_uint64(json_object_object_get(o, "ino")) ||
		    cached_sha256(d, fd, &id, hex) || strcmp(hex, want)) {
			log_info("%s approved for agent %s is not the approved file any more "
				 "(replaced or changed): it needs a new decision", path, agent);
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		r.key.agent = agent_ids_get(&d->ids, agent);
		r.key.dev = id.dev;
		r.key.ino = id.ino;
		if (compiled_push(c, &r.key, &r.value))
			log_error("out of memory adding the approval of %s", path);
	}
	json_object_put(root);
}

/* Appends {agent, path, dev, ino, sha256} to the approvals file, atomically. */
int persist_always(const char *agent, const char *path, const struct file_id *id,
			  const char *sha256, char *err, size_t errlen)
{
	json_object *root = json_object_from_file(APPROVED_OVERLAY), *list, *o;
	char tmp[PATH_MAX];
	int ret = 0;

	if (!root || !json_object_object_get_ex(root, "approved", &list)) {
		json_object_put(root);
		root = json_object_new_object();
		json_object_object_add(root, "version", json_object_new_int(2));
		list = json_object_new_array();
		json_object_object_add(root, "approved", list);
	}
	o = json_object_new_object();
	json_object_object_add(o, "agent", json_object_new_string(agent));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "dev", json_object_new_uint64(id->dev));
	json_object_object_add(o, "ino", json_object_new_uint64(id->ino));
	json_object_object_add(o, "sha256", json_object_new_string(sha256));
	json_object_array_add(list, o);
	mkdir(WARDEN_STATE_DIR, 0755);
	snprintf(tmp, sizeof(tmp), "%s.tmp", APPROVED_OVERLAY);
	if (json_object_to_file_ext(tmp, root, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_NOSLASHESCAPE) ||
	    rename(tmp, APPROVED_OVERLAY)) {
		snprintf(err, errlen, "cannot write %s: %s", APPROVED_OVERLAY, strerror(errno));
		ret = -EIO;
	}
	json_object_put(root);
	return ret;
}

/*
 * Identity and SHA-256 of the binary request a holds, read through the
 * held process's own /proc/PID/exe (the exact inode it runs).
 */
int held_binary(struct daemon *d, const struct approval *a, struct file_id *id, char *hex)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/exe", a->pids[0]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = file_identity_fd_of(fd, a->pids[0], id);
	if (!ret && (id->dev != a->dev || id->ino != a->ino))
		ret = -ESTALE;
	ret = ret ?: cached_sha256(d, fd, id, hex);
	close(fd);
	return ret;
}
