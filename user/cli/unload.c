// SPDX-License-Identifier: GPL-2.0-only
/*
 * `warden unload`: the only way to remove enforcement. With a daemon
 * running, it asks the daemon to settle pending approvals (their fallback),
 * detach and unpin, and waits until that is done. Without one, it kills the
 * processes still held (nobody can approve them any more) and removes the
 * pins itself.
 */
#include <bpf/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "control.h"
#include "enforcer.h"
#include "log.h"

static void kill_held(void)
{
	int fd = bpf_obj_get(WARDEN_PIN_DIR "/maps/held");
	__u32 key, next, *prev = NULL;

	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		kill((pid_t)next, SIGKILL);
		key = next;
		prev = &key;
	}
	if (fd >= 0)
		close(fd);
}

int cmd_unload(int argc, char **argv)
{
	json_object *req, *reply = NULL;
	char err[1024];
	int fd;

	if (argc > 1) {
		fprintf(!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ? stdout : stderr,
			"Usage: warden unload\n\n"
			"Removes warden's enforcement: pending approvals get their fallback, the BPF\n"
			"programs detach and the pins under %s are deleted. Confined agents\n"
			"are no longer confined afterwards. Stopping the daemon does not do this:\n"
			"enforcement outlives it on purpose.\n", WARDEN_PIN_DIR);
		return !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ? 0 : 2;
	}
	if (geteuid()) {
		log_error("unload: must run as root");
		return 1;
	}
	fd = control_connect(err, sizeof(err));
	if (fd >= 0) {
		close(fd);
		req = json_object_new_object();
		json_object_object_add(req, "op", json_object_new_string("unload"));
		if (control_call(req, &reply, err, sizeof(err)))
			log_error("unload: %s", err);
		json_object_put(req);
		json_object_put(reply);
		/* the daemon unpins on its way out */
		for (int i = 0; i < 200 && enforcer_pinned(); i++)
			usleep(50000);
	} else if (enforcer_pinned()) {
		kill_held();
	} else {
		printf("warden is not loaded: nothing to unload\n");
		return 0;
	}
	if (enforcer_unpin()) {
		log_error("unload: cannot remove %s: %m", WARDEN_PIN_DIR);
		return 1;
	}
	printf("warden unloaded: its BPF programs are detached and agents are no longer confined\n");
	return 0;
}
