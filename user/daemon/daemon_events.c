// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where events go: the daemon's stdout (one line, or JSON with --json),
 * the JSON-lines log under /var/lib/warden, and every `warden events
 * --follow` subscriber. A subscriber that cannot keep up loses lines, and
 * the loss is counted (status: subscriberDrops), never silent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "log.h"

#define LOG_ROTATE_BYTES (64 << 20)

int events_open_log(struct daemon *d)
{
	mkdir(WARDEN_STATE_DIR, 0755);
	d->event_log = fopen(EVENT_LOG, "ae");
	return d->event_log ? 0 : -errno;
}

/* One old generation is kept: events.jsonl.1. */
static void rotate_log(struct daemon *d)
{
	if (!d->event_log || ftell(d->event_log) < LOG_ROTATE_BYTES)
		return;
	fflush(d->event_log);
	fclose(d->event_log);
	rename(EVENT_LOG, EVENT_LOG ".1");
	d->event_log = fopen(EVENT_LOG, "ae");
}

static void drop_subscriber(struct daemon *d, size_t i)
{
	close(d->subscribers[i].fd);
	free(d->subscribers[i].agent);
	d->subscribers[i] = d->subscribers[--d->n_subscribers];
}

static bool for_agent(json_object *ev, const char *agent)
{
	json_object *v;

	return !agent || (json_object_object_get_ex(ev, "agent", &v) &&
			  !strcmp(json_object_get_string(v), agent));
}

static void send_to_subscribers(struct daemon *d, json_object *ev, const char *line, size_t len)
{
	for (size_t i = 0; i < d->n_subscribers;) {
		struct subscriber *s = &d->subscribers[i];
		ssize_t n;

		if (!for_agent(ev, s->agent)) {
			i++;
			continue;
		}
		n = send(s->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == (ssize_t)len) {
			i++;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			d->subscriber_drops++; /* too slow: this line is lost to it, and counted */
			i++;
		} else {
			drop_subscriber(d, i); /* gone, or a torn line: it must reconnect */
		}
	}
}

void publish(struct daemon *d, json_object *ev)
{
	const char *text;
	char *line;
	size_t len;

	json_object_object_add(ev, "seq", json_object_new_uint64(++d->seq));
	text = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	line = malloc(len + 2);
	if (line) {
		memcpy(line, text, len);
		line[len] = '\n';
		line[len + 1] = '\0';
		if (d->event_log) {
			/* flushed once per batch (events_flush), not once per event */
			fwrite(line, 1, len + 1, d->event_log);
			rotate_log(d);
		}
		send_to_subscribers(d, ev, line, len + 1);
		free(line);
	}
	if (d->json) {
		puts(text);
	} else {
		char human[4096];

		event_format_line(ev, human, sizeof(human));
		puts(human);
	}
	json_object_put(ev);
}

void events_flush(struct daemon *d)
{
	if (d->event_log)
		fflush(d->event_log);
	fflush(stdout);
}

json_object *handle_events(struct daemon *d, json_object *req, int client, bool *keep)
{
	struct subscriber *v;
	json_object *agent, *reply;

	if (ARRAY_GROW(d->subscribers, NULL, d->n_subscribers + 1))
		return control_error("out of memory");
	v = d->subscribers;
	v[d->n_subscribers].fd = client;
	v[d->n_subscribers].agent = json_object_object_get_ex(req, "agent", &agent)
					    ? strdup(json_object_get_string(agent))
					    : NULL;
	d->n_subscribers++;
	/* the socket stays open; events are written without waiting for the reader */
	fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK);
	*keep = true;
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	return reply;
}

void events_close(struct daemon *d)
{
	while (d->n_subscribers)
		drop_subscriber(d, 0);
	free(d->subscribers);
	d->subscribers = NULL;
	if (d->event_log)
		fclose(d->event_log);
	d->event_log = NULL;
}
