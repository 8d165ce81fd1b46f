// SPDX-License-Identifier: GPL-2.0-only
#include "control.h"
#include "daemon_call.h"
#include "json.h"
#include "log.h"

json_object *daemon_call(json_object *req, const char *what)
{
	json_object *reply = NULL, *v;
	char err[1024];
	int ret = control_call(req, &reply, err, sizeof(err));

	json_object_put(req);
	if (ret) {
		log_error("%s: %s", what, err);
		return NULL;
	}
	if (!json_object_object_get_ex(reply, "ok", &v) || !json_object_get_boolean(v)) {
		log_error("%s: %s", what, json_get_string(reply, "error", "refused"));
		json_object_put(reply);
		return NULL;
	}
	return reply;
}
