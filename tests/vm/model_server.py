#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A scripted model for tests/vm/test_agents.sh: it speaks just enough of
three vendors' streaming APIs to drive a real agent CLI through a session.

  Anthropic Messages   POST .../v1/messages                (Claude Code)
  OpenAI Responses     POST .../v1/responses               (Codex)
  OpenAI Chat          POST .../v1/chat/completions        (fallback)
  Gemini               POST .../models/M:streamGenerateContent?alt=sse and
                       :generateContent, :countTokens      (Gemini CLI)

The script (--script, JSON) is a list of shell commands, {"id": ..., "cmd":
...}, asked for one at a time through the CLI's own shell tool, then a final
answer. The server keeps no session state: the step is the number of its own
tool calls already in the conversation the CLI sends back, so retries and
side requests (titles, token counts, summaries: any request that offers no
shell tool) cannot derail it. Each tool result the CLI returns is logged once
to --log as a JSON line {"vendor", "step", "id", "result"}; every request as
{"request": path} lines, for debugging.

--attacker PORT listens on a second port and logs whatever reaches it (the
exfiltration target the policy does not allow) to --attacker-log.
"""
import argparse
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
SCRIPT = None
LOCK = threading.Lock()
LOGGED = set()


def log(obj):
    with LOCK:
        with open(ARGS.log, "a") as f:
            f.write(json.dumps(obj) + "\n")


def log_result(vendor, step, text):
    key = (vendor, step)
    with LOCK:
        if key in LOGGED:
            return
        LOGGED.add(key)
    sid = SCRIPT["steps"][step]["id"] if step < len(SCRIPT["steps"]) else "?"
    log({"vendor": vendor, "step": step, "id": sid, "result": text})


def step_of(call_id, prefix):
    """Our call ids are PREFIX + step number."""
    if isinstance(call_id, str) and call_id.startswith(prefix):
        try:
            return int(call_id[len(prefix):])
        except ValueError:
            return None
    return None


def flatten(content):
    """A tool result's content, whatever shape the vendor gave it, as text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(flatten(c.get("text", c) if isinstance(c, dict) else c)
                         for c in content)
    if isinstance(content, dict):
        for k in ("output", "text", "content", "error"):
            if k in content and not isinstance(content[k], (dict, list)):
                return str(content[k]) + ("" if k != "output" or "error" not in content
                                          else "\n" + str(content["error"]))
        return json.dumps(content)
    return str(content)


def next_action(n_calls):
    """('cmd', step, text) while the script lasts, then ('final', None, text)."""
    steps = SCRIPT["steps"]
    if n_calls < len(steps):
        return "cmd", n_calls, steps[n_calls]["cmd"]
    return "final", None, SCRIPT["final"]


# ---- Anthropic Messages ----

ANTHROPIC_ID = "toolu_warden_"


def anthropic(handler, body):
    tools = [t.get("name") for t in body.get("tools") or []]
    n_calls = 0
    for m in body.get("messages", []):
        content = m.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if block.get("type") == "tool_use" and step_of(block.get("id"), ANTHROPIC_ID) is not None:
                n_calls += 1
            if block.get("type") == "tool_result":
                s = step_of(block.get("tool_use_id"), ANTHROPIC_ID)
                if s is not None:
                    log_result("anthropic", s, flatten(block.get("content")))
    if "Bash" in tools:
        kind, step, text = next_action(n_calls)
    else:
        kind, step, text = "final", None, "ok"  # a side request: titles, summaries
    model = body.get("model", "claude-test")
    if kind == "cmd":
        block = {"type": "tool_use", "id": "%s%02d" % (ANTHROPIC_ID, step), "name": "Bash",
                 "input": {"command": text, "description": "step %d" % step}}
        stop = "tool_use"
    else:
        block = {"type": "text", "text": text}
        stop = "end_turn"
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0,
             "cache_read_input_tokens": 0}
    msg = {"id": "msg_warden_%d" % n_calls, "type": "message", "role": "assistant",
           "model": model, "content": [], "stop_reason": None, "stop_sequence": None,
           "usage": usage}
    if not body.get("stream"):
        msg.update(content=[block], stop_reason=stop)
        return handler.send_json(msg)
    events = [("message_start", {"type": "message_start", "message": msg})]
    if block["type"] == "tool_use":
        start = dict(block, input={})
        events += [("content_block_start", {"type": "content_block_start", "index": 0,
                                            "content_block": start}),
                   ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "input_json_delta",
                                                      "partial_json": json.dumps(block["input"])}})]
    else:
        events += [("content_block_start", {"type": "content_block_start", "index": 0,
                                            "content_block": {"type": "text", "text": ""}}),
                   ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                            "delta": {"type": "text_delta", "text": text}})]
    events += [("content_block_stop", {"type": "content_block_stop", "index": 0}),
               ("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": stop, "stop_sequence": None},
                                  "usage": {"output_tokens": 5}}),
               ("message_stop", {"type": "message_stop"})]
    handler.send_sse(events)


# ---- OpenAI Responses (Codex) and Chat Completions ----

OPENAI_ID = "call_warden_"
SHELL_TOOLS = ("shell", "shell_command", "exec_command", "local_shell", "bash")


def shell_tool(tools):
    """The CLI's shell tool: (name, parameters schema, wire type)."""
    found = {}
    for t in tools or []:
        fn = t.get("function") if t.get("type") == "function" and "function" in t else t
        name = fn.get("name") or t.get("type")
        found[name] = (fn.get("parameters") or {}, t.get("type"))
    for name in SHELL_TOOLS:
        if name in found:
            return name, found[name][0], found[name][1]
    return None, None, None


def shell_arguments(schema, cmd):
    props = (schema or {}).get("properties", {})
    if "cmd" in props:
        return {"cmd": cmd}
    if props.get("command", {}).get("type") == "array":
        return {"command": ["bash", "-lc", cmd]}
    return {"command": cmd}


def responses(handler, body):
    name, schema, wire = shell_tool(body.get("tools"))
    n_calls = 0
    for item in body.get("input") or []:
        if not isinstance(item, dict):
            continue
        t = item.get("type")
        if t in ("function_call", "local_shell_call", "custom_tool_call") and \
                step_of(item.get("call_id"), OPENAI_ID) is not None:
            n_calls += 1
        if t in ("function_call_output", "local_shell_call_output", "custom_tool_call_output"):
            s = step_of(item.get("call_id"), OPENAI_ID)
            if s is not None:
                out = item.get("output")
                log_result("openai", s, flatten(json.loads(out) if isinstance(out, str) and
                                                out.startswith("{") else out))
    kind, step, text = next_action(n_calls) if name else ("final", None, "ok")
    rid = "resp_warden_%d" % n_calls
    if kind == "cmd":
        item = {"type": "function_call", "id": "fc_warden_%02d" % step, "status": "completed",
                "call_id": "%s%02d" % (OPENAI_ID, step), "name": name,
                "arguments": json.dumps(shell_arguments(schema, text))}
    else:
        item = {"type": "message", "id": "msg_warden_%d" % n_calls, "role": "assistant",
                "status": "completed", "content": [{"type": "output_text", "text": text,
                                                    "annotations": []}]}
    usage = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": 15}
    resp = {"id": rid, "object": "response", "created_at": 1, "status": "in_progress",
            "model": body.get("model", "gpt-test"), "output": []}
    events = [("response.created", {"type": "response.created", "response": resp}),
              ("response.output_item.added", {"type": "response.output_item.added",
                                              "output_index": 0, "item": item})]
    if kind != "cmd":
        events.append(("response.output_text.delta", {"type": "response.output_text.delta",
                                                      "item_id": item["id"], "output_index": 0,
                                                      "content_index": 0, "delta": text}))
    done = dict(resp, status="completed", output=[item], usage=usage)
    events += [("response.output_item.done", {"type": "response.output_item.done",
                                              "output_index": 0, "item": item}),
               ("response.completed", {"type": "response.completed", "response": done})]
    for i, (_, e) in enumerate(events):
        e["sequence_number"] = i
    handler.send_sse(events)


def chat(handler, body):
    name, schema, _ = shell_tool(body.get("tools"))
    n_calls = 0
    for m in body.get("messages", []):
        for tc in m.get("tool_calls") or []:
            if step_of(tc.get("id"), OPENAI_ID) is not None:
                n_calls += 1
        if m.get("role") == "tool":
            s = step_of(m.get("tool_call_id"), OPENAI_ID)
            if s is not None:
                log_result("openai-chat", s, flatten(m.get("content")))
    kind, step, text = next_action(n_calls) if name else ("final", None, "ok")
    if kind == "cmd":
        delta = {"role": "assistant", "tool_calls": [{
            "index": 0, "id": "%s%02d" % (OPENAI_ID, step), "type": "function",
            "function": {"name": name, "arguments": json.dumps(shell_arguments(schema, text))}}]}
        finish = "tool_calls"
    else:
        delta, finish = {"role": "assistant", "content": text}, "stop"
    chunk = {"id": "chatcmpl-warden", "object": "chat.completion.chunk", "created": 1,
             "model": body.get("model", "gpt-test"),
             "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    end = dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": finish}])
    handler.send_sse([(None, chunk), (None, end)], done=True)


# ---- Gemini ----

GEMINI_ID = "warden-call-"


def gemini(handler, body, stream):
    decls = [d.get("name") for t in body.get("tools") or []
             for d in t.get("functionDeclarations") or []]
    n_calls = 0
    for c in body.get("contents", []):
        for p in c.get("parts") or []:
            fc, fr = p.get("functionCall"), p.get("functionResponse")
            if fc and (step_of(fc.get("id"), GEMINI_ID) is not None or
                       fc.get("args", {}).get("description", "").startswith("warden step")):
                n_calls += 1
            if fr:
                s = step_of(fr.get("id"), GEMINI_ID)
                if s is None:  # no id: the n-th response answers the n-th call
                    s = n_calls - 1
                log_result("gemini", s, flatten(fr.get("response")))
    gen = body.get("generationConfig") or {}
    if "run_shell_command" in decls:
        kind, step, text = next_action(n_calls)
    elif gen.get("responseMimeType") == "application/json":
        # the CLI's own checks (next speaker, loop detection): the user speaks next
        # (and the model router's classifier: a simple task)
        kind, step, text = "final", None, json.dumps(
            {"reasoning": "the task is done", "next_speaker": "user",
             "complexity_reasoning": "a scripted test", "complexity_score": 1})
    else:
        kind, step, text = "final", None, "ok"
    if kind == "cmd":
        part = {"functionCall": {"id": "%s%02d" % (GEMINI_ID, step), "name": "run_shell_command",
                                 "args": {"command": text,
                                          "description": "warden step %d" % step}}}
    else:
        part = {"text": text}
    resp = {"candidates": [{"content": {"role": "model", "parts": [part]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5,
                              "totalTokenCount": 15},
            "modelVersion": "gemini-test"}
    if stream:
        handler.send_sse([(None, resp)])
    else:
        handler.send_json(resp)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def send_json(self, obj, code=200):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_sse(self, events, done=False):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        out = []
        for name, data in events:
            if name:
                out.append("event: %s\n" % name)
            out.append("data: %s\n\n" % json.dumps(data))
        if done:
            out.append("data: [DONE]\n\n")
        self.wfile.write("".join(out).encode())
        self.wfile.flush()
        self.close_connection = True

    def do_GET(self):
        log({"request": "GET " + self.path})
        if self.path.rstrip("/").endswith("/models"):
            return self.send_json({"object": "list", "data": [], "models": []})
        self.send_json({})

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        path = self.path.split("?")[0]
        log({"request": "POST " + self.path})
        if ARGS.dump:
            with LOCK:
                with open(ARGS.dump, "a") as f:
                    f.write(json.dumps({"path": self.path, "body": body}) + "\n")
        try:
            if path.endswith("/messages/count_tokens"):
                return self.send_json({"input_tokens": 10})
            if path.endswith("/messages"):
                return anthropic(self, body)
            if path.endswith("/responses"):
                return responses(self, body)
            if path.endswith("/chat/completions"):
                return chat(self, body)
            if path.endswith(":streamGenerateContent"):
                return gemini(self, body, True)
            if path.endswith(":generateContent"):
                return gemini(self, body, False)
            if path.endswith(":countTokens"):
                return self.send_json({"totalTokens": 10})
            self.send_json({})
        except (BrokenPipeError, ConnectionResetError):
            pass


def attacker(port, logfile):
    """Logs every connection and its bytes: anything here is a leak."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    while True:
        c, addr = s.accept()
        c.settimeout(2)
        data = b""
        try:
            data = c.recv(65536)
        except OSError:
            pass
        with LOCK:
            with open(logfile, "a") as f:
                f.write(json.dumps({"from": addr[0], "data": data.decode("latin-1")}) + "\n")
        c.close()


def main():
    global ARGS, SCRIPT
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--script", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--dump", help="every request body, JSON lines (debugging)")
    ap.add_argument("--attacker", type=int)
    ap.add_argument("--attacker-log")
    ARGS = ap.parse_args()
    with open(ARGS.script) as f:
        SCRIPT = json.load(f)
    if ARGS.attacker:
        threading.Thread(target=attacker, args=(ARGS.attacker, ARGS.attacker_log),
                         daemon=True).start()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    print("model server on 127.0.0.1:%d" % ARGS.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
