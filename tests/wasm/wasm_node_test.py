#!/usr/bin/python3
"""WebAssembly plugins in a real `troupe run` process, driven by clients nobody on the team wrote:
pynvim's msgpack-RPC session through the gateway and raw JSON-RPC through the MCP HTTP door;
limits from the TOML, a hostile module next to well-behaved ones, hot reload of a *.wasm file by
the file watch with its state carried, a new module file loaded by the watch, `troupe deploy` of
a module to a cluster node, and config errors answered at start. Usage: wasm_node_test.py PATH/TO/troupe [TEST...], with TROUPE_WASM_DIR naming
the built test modules."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from door_support import DoorNode, check, run_tests, wait_until  # noqa: E402

MODULES = os.environ.get("TROUPE_WASM_DIR", "")
DOORS = ('[gateway]\nlisten = "127.0.0.1:0"\n\n[http]\nlisten = "127.0.0.1:0"\n\n'
         '[watch]\ndirs = ["%s"]\nstrategy = "immediate"\nload_new = true\n')

PLUGINS = """
[[plugins]]
id = "transform"
module = "%(dir)s/transform.wasm"

[[plugins]]
id = "counter"
module = "%(dir)s/counter.wasm"

[[plugins]]
id = "hostile"
module = "%(dir)s/hostile.wasm"
[plugins.limits]
fuel = "1M"
memory_pages = 8
"""


def pynvim_session(port):
    from pynvim.msgpack_rpc import tcp_session
    session = tcp_session("127.0.0.1", port)
    session.error_wrapper = lambda err: RuntimeError(err)
    return session


def run_cli(troupe, *args, stdin=None):
    """(exit code, stdout, stderr) of one `troupe` command (at most 60 s)."""
    p = subprocess.run([troupe, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def module_dir():
    d = tempfile.mkdtemp(prefix="troupe-wasm-")
    for name in ("transform", "counter", "hostile"):
        shutil.copy(os.path.join(MODULES, name + ".wasm"), d)
    return d


def replace(path, module):
    """Saves `module` over `path` the way editors do: a new file renamed over the old one."""
    tmp = path + ".new"
    shutil.copy(os.path.join(MODULES, module + ".wasm"), tmp)
    os.rename(tmp, path)


def mcp(node, method, params):
    host, port = node.doors["http"]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request("http://%s:%d/mcp" % (host, port), data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json, text/event-stream"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read().decode())


def expect_error(session, what, args, code, part):
    try:
        session.request(*args)
        check(False, "%s raises" % what)
    except RuntimeError as e:
        err = e.args[0]
        check(err["code"] == code and part in err["message"], "%s: %r" % (what, err))
        return err


def test_gateway_and_mcp_reach_wasm_plugins_and_their_tools(troupe):
    d = module_dir()
    node = DoorNode(troupe, DOORS % d, PLUGINS % {"dir": d}, name="wasm")
    try:
        s = pynvim_session(node.doors["gateway"][1])
        check(s.request("execute", "transform", "hi") == "HI", "execute through the gateway")
        tools = {(t["plugin"], t["name"]) for t in s.request("tools")}
        check(("transform", "upper") in tools and ("transform", "reverse") in tools,
              "tools listed: %r" % tools)
        check(s.request("call_tool", "reverse", {"text": "abc"}) == "cba", "call_tool")
        listed = mcp(node, "tools/list", {})
        names = {t["name"] for t in listed["result"]["tools"]}
        check("upper" in names and "reverse" in names, "MCP tools/list: %r" % names)
        called = mcp(node, "tools/call", {"name": "upper", "arguments": {"text": "mcp"}})
        check(called["result"]["structuredContent"] == {"result": "MCP"}
              or "MCP" in json.dumps(called["result"]), "MCP tools/call: %r" % called)
        bad = mcp(node, "tools/call", {"name": "upper", "arguments": {"text": 7}})
        check(bad["result"]["isError"] is True, "schema refusal is isError: %r" % bad)
        host, port = node.doors["http"]
        with urllib.request.urlopen("http://%s:%d/metrics" % (host, port), timeout=10) as r:
            metrics = r.read().decode()
        check('troupe_plugin_wasm_memory_bytes{node="wasm",plugin="transform"}' in metrics
              and 'troupe_plugin_wasm_fuel_total{node="wasm",plugin="transform"}' in metrics,
              "WebAssembly metrics per plugin")
        check('troupe_plugin_lua_memory_bytes{node="wasm",plugin="transform"}' not in metrics,
              "a WebAssembly plugin is not counted as Lua")
    finally:
        node.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_a_hostile_module_is_stopped_by_its_limits_and_others_serve(troupe):
    d = module_dir()
    node = DoorNode(troupe, DOORS % d, PLUGINS % {"dir": d}, name="wasm")
    try:
        s = pynvim_session(node.doors["gateway"][1])
        check(s.request("execute", "counter", None) == 1, "counter starts")
        expect_error(s, "infinite loop", ("execute", "hostile", 5), "limit_exceeded",
                     "fuel limit exceeded (1048576 instructions per call)")
        expect_error(s, "memory growth", ("execute", "hostile", 6), "limit_exceeded",
                     "memory limit exceeded (8 pages")
        expect_error(s, "out-of-bounds store", ("execute", "hostile", 2), "plugin_failed",
                     "out of bounds")
        expect_error(s, "deep recursion", ("execute", "hostile", 4), "plugin_failed",
                     "call stack exhausted")
        check(s.request("execute", "hostile", 0) is None, "hostile serves its next call")
        check(s.request("execute", "counter", None) == 2, "the other module kept its state")
        stats = s.request("stats", "hostile")
        check(stats["restarts"] == 0 and stats["counters"]["fuel_stops"] == 1,
              "no restart, one fuel stop: %r" % stats)
    finally:
        node.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_the_file_watch_reloads_a_module_with_its_state_and_loads_new_ones(troupe):
    d = module_dir()
    node = DoorNode(troupe, DOORS % d, PLUGINS % {"dir": d}, name="wasm")
    try:
        s = pynvim_session(node.doors["gateway"][1])
        check(s.request("execute", "counter", None) == 1, "v1 counts 1")
        check(s.request("execute", "counter", None) == 2, "v1 counts 2")
        replace(os.path.join(d, "counter.wasm"), "counter_v2")
        wait_until(lambda: "-> 2.0.0" in node.log_text(), "the reload to 2.0.0")
        check(s.request("execute", "counter", None) == 12, "v2 adds 10 to the carried 2")
        replace(os.path.join(d, "counter.wasm"), "malformed")
        wait_until(lambda: "reload_failed plugin=counter" in node.log_text(), "a refused reload")
        check(s.request("execute", "counter", None) == 22, "the old version serves on")
        shutil.copy(os.path.join(MODULES, "echo_c.wasm"), os.path.join(d, "echo_c.wasm"))
        wait_until(lambda: "echo_c" in {p["id"] for p in s.request("list")}
                   and s.request("execute", "echo_c", [1, "x"]) == [1, "x"],
                   "the new module file to serve")
    finally:
        node.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_deploy_sends_a_module_to_a_cluster_node(troupe):
    node = DoorNode(troupe, '[cluster]\nlisten = "127.0.0.1:0"\n', "", name="wasm-deploy")
    try:
        address = open(os.path.join(node.dir, "ready")).read().splitlines()[0].strip()

        def run(*args):
            return run_cli(troupe, *args, "--node", address)[:2]
        rc, out = run("deploy", os.path.join(MODULES, "transform.wasm"))
        check(rc == 0 and '"version": "1.0.0"' in out, "deploy FILE.wasm: %r" % out)
        rc, out = run("exec", "transform", '"deployed"')
        check(rc == 0 and out.strip() == '"DEPLOYED"', "the deployed module serves: %r" % out)
        rc, out = run("deploy", os.path.join(MODULES, "foreign_import.wasm"))
        check(rc == 1 and "env.system" in out, "a bad module is refused: %r" % out)
    finally:
        node.stop()


def test_cli_exec_and_validate_take_wasm_files(troupe):
    def run(*args, stdin=None):
        return run_cli(troupe, *args, stdin=stdin)
    rc, out, _ = run("exec", "--script", os.path.join(MODULES, "transform.wasm"), '"abc"')
    check(rc == 0 and out.strip() == '"ABC"', "exec --script FILE.wasm: %r" % out)
    rc, out, _ = run("exec", "--script", os.path.join(MODULES, "hostile.wasm"),
                     "--limit", "fuel=100K", stdin="5\n0\n")
    lines = out.strip().splitlines()
    check(len(lines) == 2 and "limit_exceeded" in lines[0] and lines[1] == '{"ok":null}',
          "a limit, then the next line served: %r" % lines)
    rc, out, _ = run("validate", os.path.join(MODULES, "transform.wasm"))
    check(rc == 0 and out == "", "a good module validates: %r" % out)
    rc, out, _ = run("validate", os.path.join(MODULES, "foreign_import.wasm"),
                     os.path.join(MODULES, "malformed.wasm"))
    check(rc == 1 and "env.system" in out and "not a valid WebAssembly module" in out,
          "bad modules are errors: %r" % out)
    conf = tempfile.mkdtemp(prefix="troupe-wasm-conf-")
    try:
        path = os.path.join(conf, "node.toml")
        with open(path, "w") as f:
            f.write('[[plugins]]\nid = "c"\nmodule = "%s"\n[plugins.limits]\nfuel = "plenty"\n'
                    % os.path.join(MODULES, "counter.wasm"))
        rc, out, err = run("exec", "-c", path, "c", "null")
        check(rc != 0 and "limit fuel=plenty" in out + err, "a bad limit in the TOML: %r" % err)
    finally:
        shutil.rmtree(conf, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_gateway_and_mcp_reach_wasm_plugins_and_their_tools,
               test_a_hostile_module_is_stopped_by_its_limits_and_others_serve,
               test_the_file_watch_reloads_a_module_with_its_state_and_loads_new_ones,
               test_deploy_sends_a_module_to_a_cluster_node,
               test_cli_exec_and_validate_take_wasm_files], sys.argv)
