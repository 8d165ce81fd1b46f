// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>

#include "user.h"

int user_ids(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	char *end;
	long n;

	errno = 0;
	n = strtol(user, &end, 10);
	if (!*end && n >= 0) {
		pw = getpwuid((uid_t)n);
		*uid = (uid_t)n;
		*gid = pw ? pw->pw_gid : (gid_t)n;
		return 0;
	}
	pw = getpwnam(user);
	if (!pw)
		return errno ? -errno : -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}
