// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where events go: the daemon's stdout (one line, or JSON with --json),
 * the JSON-lines log under /var/lib/warden, and every `warden events
 * --follow` subscriber. Each event is formatted once (ipc/events.c
 * writes the ring buffer's records straight to text) and written out once
 * a loop turn, one write per sink. A subscriber that cannot keep up owes
 * up to SUBSCRIBER_BACKLOG_MAX bytes; past that it loses whole lines, and
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
#define LOG_BUFFER (256 << 10)           /* the log is written in batches this large at most */
#define SUBSCRIBER_BACKLOG_MAX (4 << 20) /* unsent bytes a subscriber may owe before it loses lines */

static void open_log(struct daemon *d)
{
	struct stat st;

	d->event_log = fopen(EVENT_LOG, "ae");
	if (!d->event_log)
		return;
	setvbuf(d->event_log, NULL, _IOFBF, LOG_BUFFER);
	d->log_bytes = fstat(fileno(d->event_log), &st) ? 0 : (uint64_t)st.st_size;
}

int events_open_log(struct daemon *d)
{
	mkdir(WARDEN_STATE_DIR, 0755);
	open_log(d);
	return d->event_log ? 0 : -errno;
}

/* One old generation is kept: events.jsonl.1. */
static void rotate_log(struct daemon *d)
{
	if (!d->event_log || d->log_bytes < LOG_ROTATE_BYTES)
		return;
	fclose(d->event_log);
	rename(EVENT_LOG, EVENT_LOG ".1");
	open_log(d);
}

static void drop_subscriber(struct daemon *d, size_t i)
{
	close(d->subscribers[i].fd);
	free(d->subscribers[i].agent);
	jsonw_free(&d->subscribers[i].out);
	d->subscribers[i] = d->subscribers[--d->n_subscribers];
}

/*
 * Queues a whole line for subscriber s, or counts it lost when s owes too
 * much already: a slow reader loses lines, never gets a torn one, and
 * never holds up the daemon or the other readers.
 */
static void queue_line(struct daemon *d, struct subscriber *s, const char *line, size_t len)
{
	if (s->out.len - s->sent + len + 1 > SUBSCRIBER_BACKLOG_MAX) {
		d->subscriber_drops++;
		return;
	}
	if (s->sent && s->sent >= s->out.len / 2) {
		/* what was sent goes: the buffer stays within twice the backlog */
		memmove(s->out.buf, s->out.buf + s->sent, s->out.len - s->sent);
		s->out.len -= s->sent;
		s->sent = 0;
	}
	jsonw_raw(&s->out, line, len);
	jsonw_raw(&s->out, "\n", 1);
	if (s->out.failed) { /* out of memory: its stream would have a hole */
		s->out.len = s->sent;
		s->out.failed = false;
		d->subscriber_drops++;
	}
}

/* Sends what subscriber s is owed, as much as its socket takes; false when it is gone. */
static bool send_backlog(struct subscriber *s)
{
	while (s->sent < s->out.len) {
		ssize_t n = send(s->fd, s->out.buf + s->sent, s->out.len - s->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			s->sent += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
		}
	}
	jsonw_reset(&s->out);
	s->sent = 0;
	return true;
}

/* The line a person reads on the daemon's stdout (without --json). */
static void print_human(const char *line, json_object *ev)
{
	json_object *parsed = ev ? NULL : json_tokener_parse(line);
	char human[4096];

	if (!ev && !parsed)
		return;
	event_format_line(ev ? ev : parsed, human, sizeof(human));
	puts(human);
	json_object_put(parsed);
}

void publish_line(struct daemon *d, const char *agent, const char *line, size_t len,
		  json_object *ev)
{
	if (d->event_log) {
		/* written in batches (events_flush), never an lseek per event */
		fwrite(line, 1, len, d->event_log);
		fputc('\n', d->event_log);
		d->log_bytes += len + 1;
		rotate_log(d);
	}
	for (size_t i = 0; i < d->n_subscribers; i++) {
		struct subscriber *s = &d->subscribers[i];

		if (!s->agent || (agent && !strcmp(s->agent, agent)))
			queue_line(d, s, line, len);
	}
	if (d->json) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
	} else {
		print_human(line, ev);
	}
}

void publish(struct daemon *d, json_object *ev)
{
	const char *text;
	json_object *agent;

	json_object_object_add(ev, "seq", json_object_new_uint64(++d->seq));
	text = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	publish_line(d, json_object_object_get_ex(ev, "agent", &agent) ? json_object_get_string(agent)
								       : NULL,
		     text, strlen(text), ev);
	json_object_put(ev);
}

/* After each turn of the loop: one write per sink for everything published in it. */
void events_flush(struct daemon *d)
{
	if (d->event_log)
		fflush(d->event_log);
	fflush(stdout);
	for (size_t i = 0; i < d->n_subscribers;) {
		if (send_backlog(&d->subscribers[i]))
			i++;
		else
			drop_subscriber(d, i); /* gone: it must reconnect */
	}
}

json_object *handle_events(struct daemon *d, json_object *req, int client, bool *keep)
{
	struct subscriber *v;
	json_object *agent, *reply;

	if (ARRAY_GROW(d->subscribers, NULL, d->n_subscribers + 1))
		return control_error("out of memory");
	v = d->subscribers;
	v[d->n_subscribers] = (struct subscriber){ .fd = client };
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
	jsonw_free(&d->line);
}
