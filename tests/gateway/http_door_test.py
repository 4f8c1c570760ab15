#!/usr/bin/python3
"""The HTTP door of a real `troupe run` process ([http]): /metrics read by a real Prometheus
parser (Debian's python3-prometheus-client), MCP through the official TypeScript SDK's client
over Streamable HTTP and over stdio (`troupe mcp`), the door's refusals (Origin, token, method,
size, protocol version), and the live view in a real headless browser (Debian's chromium)
whose numbers move while a load runs. Usage: http_door_test.py PATH/TO/troupe [TEST...]."""

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import msgpack
from prometheus_client.parser import text_string_to_metric_families

from door_support import CLIENTS, DoorNode, check, run_tests

DOORS = '[gateway]\nlisten = "127.0.0.1:0"\n\n[http]\nlisten = "127.0.0.1:0"\n'


def http(node, path, method="GET", body=None, headers=None):
    """(status, headers, body text) of one request to the node's HTTP door."""
    host, port = node.doors["http"]
    req = urllib.request.Request("http://%s:%d%s" % (host, port, path), data=body,
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


class GatewayLoad:
    """Executes through the msgpack-RPC gateway, 16 in flight, until stopped."""

    def __init__(self, node, plugin, count=None):
        self.sock = socket.create_connection(node.doors["gateway"], timeout=10)
        self.plugin, self.count, self.done, self.stop_flag = plugin, count, 0, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        unpacker = msgpack.Unpacker(raw=False)
        msgid = 0
        while not self.stop_flag and (self.count is None or self.done < self.count):
            batch = 16 if self.count is None else min(16, self.count - self.done)
            for _ in range(batch):
                msgid += 1
                self.sock.sendall(msgpack.packb([0, msgid, "execute", [self.plugin, "x"]]))
            got = 0
            while got < batch:
                unpacker.feed(self.sock.recv(65536))
                got += sum(1 for _ in unpacker)
            self.done += batch

    def finish(self):
        self.stop_flag = True
        self.thread.join(timeout=30)
        self.sock.close()


def run_node_script(args, timeout=60):
    out = subprocess.run(["node"] + args, capture_output=True, text=True, timeout=timeout)
    print(out.stdout, end="")
    check(out.returncode == 0, "%s failed:\n%s%s" % (args[0], out.stdout, out.stderr[-3000:]))


def sample(families, name, **labels):
    for fam in families:
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def test_metrics_parse_with_a_prometheus_parser(troupe):
    node = DoorNode(troupe, DOORS)
    try:
        load = GatewayLoad(node, "up", count=64)
        load.thread.join(timeout=30)
        load.finish()
        status, _, _ = http(node, "/mcp", "POST", json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
             "params": {"name": "shout", "arguments": {"text": "boom"}}}).encode(),
            {"Content-Type": "application/json"})
        status, headers, text = http(node, "/metrics")
        check(status == 200 and headers["Content-Type"].startswith("text/plain"), "GET /metrics")
        fams = list(text_string_to_metric_families(text))
        names = {f.name for f in fams}
        for want in ("troupe_plugin_calls", "troupe_plugin_failures",
                     "troupe_plugin_call_duration_seconds", "troupe_plugin_in_flight",
                     "troupe_plugin_held", "troupe_plugin_restarts", "troupe_plugin_reloads",
                     "troupe_plugin_lua_memory_bytes", "troupe_node_plugins",
                     "troupe_node_events"):
            check(want in names, "family %s in %s" % (want, sorted(names)))
        calls = sample(fams, "troupe_plugin_calls_total", plugin="up")
        check(calls >= 64, "calls of up counted: %r" % calls)
        count = sample(fams, "troupe_plugin_call_duration_seconds_count", plugin="up")
        inf = sample(fams, "troupe_plugin_call_duration_seconds_bucket", plugin="up", le="+Inf")
        check(count == inf and count >= 64, "histogram count %r = +Inf bucket %r" % (count, inf))
        check(sample(fams, "troupe_plugin_lua_memory_bytes", plugin="up") > 0, "Lua memory")
        check(sample(fams, "troupe_node_plugins", state="Running") == 3, "plugins by state")
        check(sample(fams, "troupe_plugin_failures_total", plugin="echo") == 0, "echo no failures")
    finally:
        node.stop()


def test_metrics_count_events_by_kind_and_reloads(troupe):
    node = DoorNode(troupe, DOORS)
    try:
        sock = socket.create_connection(node.doors["gateway"], timeout=10)
        sock.sendall(msgpack.packb([0, 1, "reload", ["up"]]))
        unpacker = msgpack.Unpacker(raw=False)
        answer = None
        while answer is None:
            unpacker.feed(sock.recv(65536))
            answer = next(iter(unpacker), None)
        check(answer[2] is None, "reload answered: %r" % (answer,))
        sock.close()
        fams = list(text_string_to_metric_families(http(node, "/metrics")[2]))
        check(sample(fams, "troupe_plugin_reloads_total", plugin="up") == 1, "reloads counted")
        check(sample(fams, "troupe_node_events_total", kind="reload_completed") == 1,
              "events by kind")
    finally:
        node.stop()


def test_mcp_sdk_over_streamable_http(troupe):
    node = DoorNode(troupe, DOORS)
    try:
        host, port = node.doors["http"]
        run_node_script([os.path.join(CLIENTS, "mcp_check.mjs"), "http",
                         "http://%s:%d/mcp" % (host, port)])
    finally:
        node.stop()


def test_mcp_sdk_over_http_with_a_token(troupe):
    node = DoorNode(troupe, DOORS + 'token = "tk-42"\n')
    try:
        host, port = node.doors["http"]
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
        status, headers, _ = http(node, "/mcp", "POST", body, {"Content-Type": "application/json"})
        check(status == 401 and "Bearer" in headers.get("WWW-Authenticate", ""),
              "no token: 401 (%d)" % status)
        status, _, _ = http(node, "/mcp", "POST", body, {"Authorization": "Bearer wrong"})
        check(status == 401, "a wrong token: 401")
        run_node_script([os.path.join(CLIENTS, "mcp_check.mjs"), "http",
                         "http://%s:%d/mcp" % (host, port), "tk-42"])
    finally:
        node.stop()


def test_mcp_sdk_over_stdio(troupe):
    node = DoorNode(troupe, "")  # only for its config and scripts: `troupe mcp` starts its own
    try:
        run_node_script([os.path.join(CLIENTS, "mcp_check.mjs"), "stdio", troupe, node.config])
    finally:
        node.stop()


def test_the_door_refuses_what_it_must(troupe):
    node = DoorNode(troupe, DOORS + "max_body_bytes = 4096\n")
    try:
        ping = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
        status, _, body = http(node, "/mcp", "POST", ping, {"Origin": "http://evil.example"})
        check(status == 403 and "Origin" in body, "a foreign Origin: 403 (%d)" % status)
        status, _, _ = http(node, "/mcp", "POST", ping, {"Origin": "http://localhost:3000"})
        check(status == 200, "a loopback Origin is allowed")
        status, headers, _ = http(node, "/mcp")
        check(status == 405 and headers["Allow"] == "POST", "GET /mcp: 405")
        status, _, _ = http(node, "/mcp", "POST", b"x" * 10000)
        check(status == 413, "a body over max_body_bytes: 413 (%d)" % status)
        status, _, _ = http(node, "/mcp", "POST", ping, {"MCP-Protocol-Version": "1999-01-01"})
        check(status == 400, "an unknown protocol version: 400")
        note = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}).encode()
        status, _, body = http(node, "/mcp", "POST", note)
        check(status == 202 and body == "", "a notification: 202 and no body")
        status, _, body = http(node, "/mcp", "POST", b"{nope")
        check(status == 200 and json.loads(body)["error"]["code"] == -32700, "not JSON: -32700")
        check(http(node, "/nowhere")[0] == 404, "an unknown path: 404")
        check(http(node, "/api/events?after=x")[0] == 400, "after=x: 400")
    finally:
        node.stop()


def test_live_view_numbers_move_in_a_real_browser(troupe):
    node = DoorNode(troupe, DOORS)
    load = None
    try:
        host, port = node.doors["http"]
        sock = socket.create_connection(node.doors["gateway"], timeout=10)
        sock.sendall(msgpack.packb([0, 1, "reload", ["up"]]))  # an event for the stream
        sock.recv(65536)
        sock.close()
        load = GatewayLoad(node, "up")
        shot = os.environ.get("TROUPE_LIVE_VIEW_SCREENSHOT",
                              os.path.join(node.dir, "live-view.png"))
        run_node_script([os.path.join(CLIENTS, "live_view_check.mjs"),
                         "http://%s:%d/" % (host, port), "up", shot])
    finally:
        if load:
            load.finish()
        node.stop()


if __name__ == "__main__":
    run_tests([test_metrics_parse_with_a_prometheus_parser,
               test_metrics_count_events_by_kind_and_reloads,
               test_mcp_sdk_over_streamable_http, test_mcp_sdk_over_http_with_a_token,
               test_mcp_sdk_over_stdio, test_the_door_refuses_what_it_must,
               test_live_view_numbers_move_in_a_real_browser], sys.argv)
