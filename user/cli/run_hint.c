// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <json-c/json.h>

#include "run_hint.h"

long run_log_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (long)st.st_size;
}

static int count_once(const char *path, uint64_t run, long from)
{
	char line[16384], want[32];
	FILE *f = fopen(path, "re");
	int n = 0;

	if (!f)
		return -errno;
	/* a log rotated or truncated since is read whole */
	if (from > 0 && from <= run_log_size(path) && !fseek(f, from, SEEK_SET)) {
		int c;

		/* from is a line's start when the daemon wrote whole lines; else skip the rest */
		fseek(f, from - 1, SEEK_SET);
		if ((c = fgetc(f)) != '\n' && c != EOF)
			fgets(line, sizeof(line), f);
	}
	snprintf(want, sizeof(want), "%llu", (unsigned long long)run);
	while (fgets(line, sizeof(line), f)) {
		json_object *ev, *v;

		if (!strstr(line, want) || !strstr(line, "\"deny\""))
			continue; /* cheap filter before parsing */
		ev = json_tokener_parse(line);
		if (ev && json_object_object_get_ex(ev, "cgroup", &v) &&
		    (uint64_t)json_object_get_uint64(v) == run &&
		    json_object_object_get_ex(ev, "verdict", &v) &&
		    !strcmp(json_object_get_string(v), "deny"))
			/* a report of folded denials stands for count of them */
			n += json_object_object_get_ex(ev, "count", &v) ? json_object_get_int(v) : 1;
		json_object_put(ev);
	}
	fclose(f);
	return n;
}

int run_refusals(const char *path, uint64_t run, long from)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	int n = count_once(path, run, from), prev = -1;

	/* the count is final once it stops growing for a tenth of a second (1 s at most) */
	for (int i = 0; i < 10 && n >= 0 && n != prev; i++) {
		nanosleep(&pause, NULL);
		prev = n;
		n = count_once(path, run, from);
	}
	return n;
}

void run_print_hint(FILE *out, const char *agent, uint64_t run, int status, int refusals)
{
	if (refusals < 0)
		fprintf(out, "warden: the command exited with status %d; its refusals, if any: "
			"warden events --agent %s --run %llu\n", status, agent,
			(unsigned long long)run);
	else
		fprintf(out, "warden: the command exited with status %d after %d refusal%s in "
			"this run; see them with: warden events --agent %s --run %llu\n", status,
			refusals, refusals == 1 ? "" : "s", agent, (unsigned long long)run);
}
