#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# make check-layout: the includes of user/ go one way (README "Layout").
# Reads every `#include "..."` line under user/ and fails when
#   - a folder includes one it may not (the table below), e.g. policy/ -> compile/,
#     or anything -> daemon/ or cli/;
#   - modules (x.c + x.h) include each other in a circle, inside a folder too;
#   - a bare include names no header, or two headers share a name (the
#     Makefile puts every folder on the include path: a name must be unique).
# Headers of bpf/ (the ABI with the kernel) may be included from anywhere; the
# generated skeleton only from kernel/.
import os
import re
import sys

# folder -> the folders it may include (besides itself). "." is user/ itself:
# main.c and the command table (commands.h) that the top folders implement.
ALLOWED = {
    "base": set(),
    "policy": {"base"},
    "sandbox": {"policy", "base"},
    "compile": {"sandbox", "policy", "base"},
    "kernel": {"compile", "sandbox", "policy", "base"},
    "ipc": {"base"},
    "daemon": {".", "kernel", "compile", "sandbox", "ipc", "policy", "base"},
    "audit": {".", "kernel", "compile", "sandbox", "ipc", "policy", "base"},
    "cli": {".", "kernel", "compile", "sandbox", "ipc", "policy", "base"},
    ".": {"daemon", "audit", "cli", "kernel", "compile", "sandbox", "ipc", "policy", "base"},
}
SKELETON = ("warden.skel.h", {"kernel"})

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main(root):
    user = os.path.join(root, "user")
    headers = {}  # basename -> folder
    sources = []  # (folder, relpath)
    errors = []
    for dirpath, _, files in os.walk(user):
        folder = os.path.relpath(dirpath, user)
        if folder not in ALLOWED:
            errors.append(f"user/{folder}/: a folder the layout does not know (scripts/check-layout.py)")
            continue
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            rel = os.path.normpath(os.path.join("user", folder, f))
            sources.append((folder, rel))
            if f.endswith(".h"):
                if f in headers:
                    errors.append(f"{rel}: a second {f} (also in user/{headers[f]}/): bare includes must be unique")
                headers[f] = folder
    bpf_headers = set(os.listdir(os.path.join(root, "bpf")))

    edges = {}  # module -> {module: "file:line"}
    for folder, rel in sources:
        module = rel[:-2]
        deps = edges.setdefault(module, {})
        with open(os.path.join(root, rel), encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                name, where = m.group(1), f"{rel}:{n}"
                if name == SKELETON[0]:
                    if folder not in SKELETON[1]:
                        errors.append(f"{where}: {name} is kernel/'s alone")
                    continue
                if name in headers:
                    to = headers[name]
                    if to != folder and to not in ALLOWED[folder]:
                        errors.append(f"{where}: user/{folder}/ may not include user/{to}/{name} "
                                      f"(user/{folder}/ -> {', '.join(sorted(ALLOWED[folder])) or 'nothing'})")
                    target = os.path.normpath(os.path.join("user", to, name[:-2]))
                    if target != module:
                        deps.setdefault(target, where)
                elif name not in bpf_headers:
                    errors.append(f"{where}: \"{name}\" is no header of user/ or bpf/")

    # circles between modules: depth-first search, reporting each once
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d, where in sorted(edges.get(m, {}).items()):
            if state.get(d) == 1:
                circle = stack[stack.index(d):] + [d]
                errors.append(f"{where}: a circle of includes: {' -> '.join(circle)}")
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)

    for e in errors:
        print(f"check-layout: {e}", file=sys.stderr)
    if errors:
        print(f"check-layout: {len(errors)} problem(s); the rule is in scripts/check-layout.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
