// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden events [--follow] [--json] [--agent NAME]`: the event stream.
 * Past events come from the daemon's log (/var/lib/warden/events.jsonl);
 * --follow subscribes on the control socket and prints new ones as they
 * happen, until interrupted.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "events.h"
#include "log.h"
#include "paths.h"

static void events_usage(FILE *out)
{
	fprintf(out,
		"Usage: warden events [--follow] [--json] [--agent NAME] [--run ID]\n"
		"\n"
		"Prints warden's events: every exec of a confined agent (allowed, denied, held),\n"
		"approval decisions, file and process denials, policy changes. Without --follow\n"
		"the past ones from %s; with --follow the new ones, live.\n"
		"\n"
		"  -f, --follow      stream new events until interrupted\n"
		"  -j, --json        one JSON object a line (ts, seq, type, verdict, agent, pid,\n"
		"                    comm, path, reason; exec events also argv and cwd)\n"
		"  -a, --agent NAME  only this agent's events\n"
		"  -r, --run ID      only the events of one `warden run` (its cgroup id, the\n"
		"                    events' \"cgroup\" field; `warden run` names it on failure)\n"
		"  -h, --help        this text\n", EVENT_LOG);
}

static uint64_t run_filter; /* --run: a cgroup id, 0 = every run */

static bool of_run(json_object *ev, uint64_t run)
{
	json_object *v;

	return !run || (json_object_object_get_ex(ev, "cgroup", &v) &&
			(uint64_t)json_object_get_uint64(v) == run);
}

/* Prints one event line if it passes the agent and run filters. */
static void print_line(const char *line, bool json, const char *agent)
{
	json_object *ev = json_tokener_parse(line), *v;
	char human[4096];

	if (!ev)
		return;
	if ((!agent || (json_object_object_get_ex(ev, "agent", &v) &&
			!strcmp(json_object_get_string(v), agent))) && of_run(ev, run_filter)) {
		if (json) {
			puts(line);
		} else {
			event_format_line(ev, human, sizeof(human));
			puts(human);
		}
	}
	json_object_put(ev);
}

static int print_log(bool json, const char *agent)
{
	FILE *f = fopen(EVENT_LOG, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f) {
		log_error("events: cannot read %s: %m (is the daemon running as root?)", EVENT_LOG);
		return 1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\n")] = '\0';
		print_line(line, json, agent);
	}
	free(line);
	fclose(f);
	return 0;
}

/*
 * Prints the complete lines at the start of buf (len bytes), the
 * subscription's own {"ok": true} first if *first; returns the bytes used.
 * The daemon filters by agent already, so with --json and no --run the
 * lines go out as they came, in one write, never parsed.
 */
static size_t print_lines(char *buf, size_t len, bool json, const char *agent, bool *first)
{
	char *start = buf, *end = buf + len, *nl;

	if (*first && (nl = memchr(start, '\n', len))) {
		*first = false;
		start = nl + 1;
	}
	if (*first)
		return 0;
	if (json && !run_filter) {
		char *last = memrchr(start, '\n', (size_t)(end - start));

		if (!last)
			return (size_t)(start - buf);
		fwrite(start, 1, (size_t)(last + 1 - start), stdout);
		return (size_t)(last + 1 - buf);
	}
	while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
		*nl = '\0';
		print_line(start, json, agent);
		start = nl + 1;
	}
	return (size_t)(start - buf);
}

static int follow(bool json, const char *agent)
{
	json_object *req = json_object_new_object();
	static char buf[1 << 20];
	char err[1024];
	size_t len = 0;
	int fd = control_connect(err, sizeof(err));
	bool first = true;

	if (fd < 0) {
		log_error("events: %s", err);
		json_object_put(req);
		return 1;
	}
	json_object_object_add(req, "op", json_object_new_string("events"));
	if (agent)
		json_object_object_add(req, "agent", json_object_new_string(agent));
	if (control_send(fd, req)) {
		log_error("events: cannot subscribe: %m");
		json_object_put(req);
		close(fd);
		return 1;
	}
	json_object_put(req);
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		size_t used;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		used = print_lines(buf, len, json, agent, &first);
		fflush(stdout);
		len -= used;
		memmove(buf, buf + used, len);
		if (len == sizeof(buf) - 1)
			len = 0; /* a line longer than any event: drop it */
	}
	close(fd);
	log_error("events: the daemon closed the stream");
	return 1;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "agent", required_argument, NULL, 'a' },
		{ "run", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool json = false, live = false;
	const char *agent = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "fja:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': live = true; break;
		case 'j': json = true; break;
		case 'a': agent = optarg; break;
		case 'r': run_filter = strtoull(optarg, NULL, 10); break;
		case 'h': events_usage(stdout); return 0;
		default: events_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		events_usage(stderr);
		return 2;
	}
	return live ? follow(json, agent) : print_log(json, agent);
}
