#!/usr/bin/python3
"""The msgpack-RPC gateway driven by clients nobody on the team wrote: pynvim's msgpack-RPC
session (Debian's python3-pynvim) and the npm package msgpack5rpc (tests/clients), against a
real `troupe run` process. Usage: gateway_clients_test.py PATH/TO/troupe [TEST...]."""

import os
import subprocess
import sys

from door_support import CLIENTS, DoorNode, check, run_tests

GATEWAY = '[gateway]\nlisten = "127.0.0.1:0"\n'


def pynvim_session(port):
    from pynvim.msgpack_rpc import tcp_session  # sends nvim_set_client_info on connect
    session = tcp_session("127.0.0.1", port)
    session.error_wrapper = lambda err: RuntimeError(err)
    return session


def test_pynvim_session_calls_every_method(troupe):
    node = DoorNode(troupe, GATEWAY)
    try:
        s = pynvim_session(node.doors["gateway"][1])
        check(s.request("execute", "up", "hi") == "ok:hi", "execute through pynvim")
        check(s.request("execute", "echo", {"a": [1, 2]}) == {"a": [1, 2]}, "maps and arrays")
        try:
            s.request("execute", "up", "boom")
            check(False, "a plugin error raises")
        except RuntimeError as e:
            err = e.args[0]
            check(err["code"] == "plugin_failed" and err["plugin"] == "up"
                  and "boom asked" in err["message"], "the error map: %r" % err)
        ids = sorted(row["id"] for row in s.request("list"))
        check(ids == ["echo", "slow", "up"], "list(): %r" % ids)
        tools = s.request("tools")
        check([t["name"] for t in tools] == ["shout"], "tools(): %r" % tools)
        check(s.request("call_tool", "shout", {"text": "hey"}) == "HEY", "call_tool")
        stats = s.request("stats", "up")
        check(stats["calls"] >= 2 and "p99_us" in stats, "stats(id): %r" % stats)
        check(len(s.request("health")) == 3, "health()")
        check(s.request("reload", "up")["id"] == "up", "reload(id)")
        s.close()
    finally:
        node.stop()


def test_pynvim_many_requests_in_flight_answer_out_of_order(troupe):
    node = DoorNode(troupe, GATEWAY)
    try:
        s = pynvim_session(node.doors["gateway"][1])
        order = []
        answers = {}
        async_session = s._async_session

        def done(name):
            def cb(err, result):
                order.append(name)
                answers[name] = (err, result)
                if len(order) == 18:
                    async_session.stop()
            return cb

        async_session.request("execute", ["slow", 20000000], done("slow"))
        async_session.request("execute", ["echo", "fast"], done("fast"))
        for i in range(16):
            async_session.request("execute", ["up", "n%d" % i], done("n%d" % i))
        async_session.run(lambda *a: None, lambda *a: None)
        check(order[-1] == "slow", "the slow call answered last: %r" % order)
        check(all(answers["n%d" % i] == (None, "ok:n%d" % i) for i in range(16)),
              "every pipelined request got its own answer")
        s.close()
    finally:
        node.stop()


def test_msgpack5rpc_client(troupe):
    node = DoorNode(troupe, GATEWAY)
    try:
        out = subprocess.run(["node", os.path.join(CLIENTS, "msgpack5rpc_check.js"),
                              str(node.doors["gateway"][1])],
                             capture_output=True, text=True, timeout=60)
        print(out.stdout, end="")
        check(out.returncode == 0, "msgpack5rpc checks failed:\n" + out.stdout + out.stderr)
    finally:
        node.stop()


def test_pynvim_with_a_token(troupe):
    node = DoorNode(troupe, GATEWAY + 'token = "open-sesame"\n')
    try:
        s = pynvim_session(node.doors["gateway"][1])
        check(s.request("auth", "open-sesame") is True, "auth(token) first")
        check(s.request("execute", "up", "x") == "ok:x", "then every method")
        s.close()
        wrong = pynvim_session(node.doors["gateway"][1])
        try:
            wrong.request("auth", "nope")
            check(False, "a wrong token raises")
        except RuntimeError as e:
            check(e.args[0]["code"] == "unauthorized", "unauthorized: %r" % (e.args[0],))
    finally:
        node.stop()


if __name__ == "__main__":
    run_tests([test_pynvim_session_calls_every_method,
               test_pynvim_many_requests_in_flight_answer_out_of_order,
               test_msgpack5rpc_client, test_pynvim_with_a_token], sys.argv)
