#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The approval gate's red team in the sandbox, as user nobody (gate_lib.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
start_daemon "$WORK/policy.json" || { finish; exit 1; }
gate_routes sandbox
finish
