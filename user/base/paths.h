/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where warden keeps its state on the host, for every part that reads or
 * writes it (the daemon writes the event log, `warden events` reads it).
 * The pins are kernel/enforcer.h's (WARDEN_PIN_DIR), the cgroups
 * base/cgroup.h's.
 */
#ifndef WARDEN_PATHS_H
#define WARDEN_PATHS_H

#define WARDEN_STATE_DIR "/var/lib/warden"
#define WARDEN_RUN_DIR "/run/warden"
#define WARDEN_SOCKET WARDEN_RUN_DIR "/warden.sock"

#define EVENT_LOG WARDEN_STATE_DIR "/events.jsonl"
#define APPROVED_OVERLAY WARDEN_STATE_DIR "/approved.json"

#endif
