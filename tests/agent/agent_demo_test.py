#!/usr/bin/python3
"""The demo agent (scripts/agent.lua) in a real `troupe run` process with the built-in llm and
memory plugins, the four example hooks (scripts/hooks) and a model hook, against a fake
OpenAI-compatible server in this process (http.server on a port from the OS), driven through the
msgpack-RPC gateway with pynvim's client. Usage: agent_demo_test.py PATH/TO/troupe [TEST...]."""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from door_support import ROOT, DoorNode, check, run_tests  # noqa: E402

SCRIPTS = os.path.join(ROOT, "scripts")
KEY_ENV = "TROUPE_TEST_LLM_KEY"

CALC = """
tools = {
  { name = "add", description = "Adds two numbers",
    parameters = { type = "object", required = { "a", "b" },
                   properties = { a = { type = "number" }, b = { type = "number" } } },
    handler = function(args) return args.a + args.b end },
  { name = "echo_text", description = "Answers its text",
    parameters = { type = "object", required = { "text" },
                   properties = { text = { type = "string" } } },
    handler = function(args) return { text = args.text, seen = args.text } end },
}
function execute(x) return x end
"""

MODEL_GUARD = """
plugin_priority = 5
function before_model_call(request, ctx)
  request.temperature = 0.1
  ctx.state.asked_at = now()
  return "continue", request
end
function after_model_call(response, ctx)
  if response == nil then return end
  response.guarded = ctx.state.asked_at ~= nil
  return "continue", response
end
function execute(x) return x end
"""


class FakeModel(BaseHTTPRequestHandler):
    """A chat-completions server: with tools offered and no tool answer yet it asks for
    add(2, 3); otherwise it answers with the last tool message. Its first request gets a 429."""

    seen = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with FakeModel.lock:
            FakeModel.seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                   "body": body})
            first = len(FakeModel.seen) == 1
        if first:
            return self.answer(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
        tool_answers = [m for m in body["messages"] if m["role"] == "tool"]
        if body.get("tools") and not tool_answers:
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "add", "arguments": json.dumps({"a": 2, "b": 3})}}]}
        else:
            said = tool_answers[-1]["content"] if tool_answers else "nothing"
            message = {"role": "assistant", "content": "The sum is %s." % said}
        self.answer(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                          "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                          "usage": {"prompt_tokens": 10, "completion_tokens": 5,
                                    "total_tokens": 15}})

    def answer(self, status, doc, headers=None):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def plugins(model_port, data_dir):
    hooks = "".join('[[plugins]]\nid = "%s"\nscript = "%s/hooks/%s.lua"\n%s\n' % (id_, SCRIPTS, file, extra)
                    for id_, file, extra in (
                        ("limiter", "rate_limiter",
                         '[plugins.settings]\nrate = "0.001"\nburst = "1000"\n'
                         'tools = \'{"echo_text": {"burst": 3}}\''),
                        ("cache", "cache", ""),
                        ("redactor", "redactor", ""),
                        ("audit", "audit_log", "")))
    return """
[[plugins]]
id = "kv"
class = "kv_store"
[plugins.settings]
path = "{dir}/kv.db"

[[plugins]]
id = "memory"
class = "memory"
[plugins.settings]
path = "{dir}/memory.db"

[[plugins]]
id = "llm"
class = "llm"
[plugins.settings]
base_url = "http://127.0.0.1:{port}/v1"
model = "fake-model"
api_key_env = "{key}"
backoff_ms = 10

[[plugins]]
id = "calc"
script = "{dir}/calc.lua"

[[plugins]]
id = "model_guard"
script = "{dir}/model_guard.lua"

[[plugins]]
id = "agent"
script = "{scripts}/agent.lua"

{hooks}
""".format(dir=data_dir, port=model_port, key=KEY_ENV, scripts=SCRIPTS, hooks=hooks)


class Setup:
    """The fake model, and a node with the agent's plugins and a gateway."""

    def __init__(self, troupe):
        FakeModel.seen = []
        self.model = ThreadingHTTPServer(("127.0.0.1", 0), FakeModel)
        threading.Thread(target=self.model.serve_forever, daemon=True).start()
        os.environ[KEY_ENV] = "sk-test-123"
        self.node = None
        try:
            import tempfile
            self.data = tempfile.mkdtemp(prefix="troupe-agent-")
            for name, text in (("calc.lua", CALC), ("model_guard.lua", MODEL_GUARD)):
                with open(os.path.join(self.data, name), "w") as f:
                    f.write(text)
            self.node = DoorNode(troupe, '[gateway]\nlisten = "127.0.0.1:0"\n',
                                 plugins(self.model.server_address[1], self.data), name="agent")
            from pynvim.msgpack_rpc import tcp_session
            self.rpc = tcp_session("127.0.0.1", self.node.doors["gateway"][1])
            self.rpc.error_wrapper = lambda err: RuntimeError(err)
        except Exception:
            self.close()
            raise

    def close(self):
        if self.node:
            self.node.stop()
        self.model.shutdown()
        self.model.server_close()
        import shutil
        shutil.rmtree(getattr(self, "data", ""), ignore_errors=True)


def with_setup(test):
    def run(troupe):
        s = Setup(troupe)
        try:
            test(s, troupe)
        finally:
            s.close()
    run.__name__ = test.__name__
    return run


@with_setup
def test_one_turn_asks_the_model_calls_the_tool_it_names_and_remembers(s, troupe):
    turn = s.rpc.request("execute", "agent", {"question": "What is 2 plus 3?", "session": "s1"})
    check(turn["answer"] == "The sum is 5.", "the model's final answer: %r" % (turn,))
    check(turn["tool_calls"][0]["tool"] == "add" and turn["tool_calls"][0]["result"] == 5,
          "the tool the model named ran: %r" % (turn["tool_calls"],))
    asked = [r for r in FakeModel.seen if r["body"].get("tools")]
    check(asked and any(t["function"]["name"] == "add" for t in asked[-1]["body"]["tools"]),
          "the node's tools were offered to the model")
    check(all(r["path"] == "/v1/chat/completions" for r in FakeModel.seen), "the API path")
    check(all(r["auth"] == "Bearer sk-test-123" for r in FakeModel.seen),
          "the key from the environment variable named in the config")
    check(len(FakeModel.seen) == 3, "one 429 retried, then two completions: %d" % len(FakeModel.seen))
    check(all(r["body"]["temperature"] == 0.1 for r in FakeModel.seen),
          "the before_model_call hook changed every request")
    check("agent" not in FakeModel.seen[-1]["body"], "the agent member is not sent to the server")
    second = s.rpc.request("execute", "agent", {"question": "What did I ask?", "session": "s1"})
    check(second["recalled"] >= 1, "the second turn recalls the first: %r" % (second,))
    remembered = [m for m in FakeModel.seen[-1]["body"]["messages"]
                  if m["role"] == "system" and "What is 2 plus 3?" in m["content"]]
    check(remembered, "the memory reached the model")
    recent = s.rpc.request("execute", "memory", {"op": "recent", "agent": "demo-agent",
                                                 "session": "s1", "limit": 10})
    check(len(recent["entries"]) == 4, "question and answer of both turns stored: %r" % (recent,))


@with_setup
def test_the_model_hooks_see_the_response_and_the_tool_hooks_every_door(s, troupe):
    direct = s.rpc.request("execute", "llm", {"messages": [{"role": "user", "content": "hi"}]})
    check(direct.get("guarded") is True, "after_model_call saw the state its before hook set")
    text = s.rpc.request("call_tool", "echo_text", {"text": "mail ann@example.com"})
    check(text["seen"] == "mail [email]" and text["text"] == "mail [email]",
          "the redactor masks args and results of a gateway call_tool: %r" % (text,))
    keys = s.rpc.request("execute", "kv", {"op": "keys"})
    keys = keys["keys"] if isinstance(keys, dict) else keys
    check(any(k.startswith("audit/") for k in keys), "the audit hook wrote its line: %r" % (keys,))


@with_setup
def test_the_rate_limiter_refuses_a_fourth_call_naming_itself(s, troupe):
    for i in range(3):
        s.rpc.request("call_tool", "echo_text", {"text": "n%d" % i})
    try:
        s.rpc.request("call_tool", "echo_text", {"text": "n3"})
        raise AssertionError("the fourth call passed the limiter")
    except RuntimeError as e:
        check("limiter" in str(e) and "rate limit exceeded" in str(e), "its error: %s" % e)


def test_troupe_hooks_lists_the_pipeline_in_order(troupe):
    import tempfile
    import shutil
    d = tempfile.mkdtemp(prefix="troupe-hooks-")
    try:
        config = os.path.join(d, "node.toml")
        with open(config, "w") as f:
            f.write('[[plugins]]\nid = "kv"\nclass = "kv_store"\n[plugins.settings]\n'
                    'path = "%s/kv.db"\n\n' % d)
            for id_, file in (("audit", "audit_log"), ("redactor", "redactor"), ("cache", "cache"),
                              ("limiter", "rate_limiter")):
                f.write('[[plugins]]\nid = "%s"\nscript = "%s/hooks/%s.lua"\n\n' % (id_, SCRIPTS, file))
        out = subprocess.run([troupe, "hooks", "--config", config], capture_output=True, text=True,
                             timeout=60)
        check(out.returncode == 0, "troupe hooks: %s" % out.stderr)
        rows = json.loads(out.stdout)
        check([(r["plugin"], r["hook_priority"]) for r in rows]
              == [("limiter", 10), ("cache", 30), ("redactor", 60), ("audit", 90)],
              "the pipeline in order: %r" % rows)
        check(rows[1]["hooks"] == ["before_tool_call", "after_tool_call"], "cache's hooks")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_cli_and_mcp_tool_calls_pass_the_hooks(troupe):
    import tempfile
    import shutil
    d = tempfile.mkdtemp(prefix="troupe-hooks-")
    try:
        with open(os.path.join(d, "calc.lua"), "w") as f:
            f.write(CALC)
        config = os.path.join(d, "node.toml")
        with open(config, "w") as f:
            f.write('[[plugins]]\nid = "calc"\nscript = "calc.lua"\n\n'
                    '[[plugins]]\nid = "redactor"\nscript = "%s/hooks/redactor.lua"\n' % SCRIPTS)
        cli = subprocess.run([troupe, "call-tool", "echo_text", '{"text": "mail ann@example.com"}',
                              "--config", config], capture_output=True, text=True, timeout=60)
        check(cli.returncode == 0, "troupe call-tool: %s" % cli.stderr)
        check(json.loads(cli.stdout)["seen"] == "mail [email]", "CLI call-tool: %s" % cli.stdout)
        requests = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "agent-demo-test", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
             "params": {"name": "echo_text", "arguments": {"text": "card 4111-1111-1111-1111"}}},
        ]
        mcp = subprocess.run([troupe, "mcp", "--config", config], capture_output=True, text=True,
                             timeout=60, input="".join(json.dumps(r) + "\n" for r in requests))
        answers = {m.get("id"): m for m in map(json.loads, mcp.stdout.splitlines()) if "id" in m}
        check(2 in answers, "MCP answered tools/call: %s / %s" % (mcp.stdout, mcp.stderr))
        text = json.dumps(answers[2]["result"])
        check("[card ****1111]" in text and "4111-1111" not in text,
              "MCP tools/call passes the redactor: %s" % text)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_one_turn_asks_the_model_calls_the_tool_it_names_and_remembers,
               test_the_model_hooks_see_the_response_and_the_tool_hooks_every_door,
               test_the_rate_limiter_refuses_a_fourth_call_naming_itself,
               test_troupe_hooks_lists_the_pipeline_in_order,
               test_cli_and_mcp_tool_calls_pass_the_hooks], sys.argv)
