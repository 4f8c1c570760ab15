#!/usr/bin/env python3
"""Multi-process tests of a Troupe cluster (docs/cluster.md): real `troupe run` nodes on
loopback, ports from the OS, driven through the CLI. Usage: cluster_test.py PATH/TO/troupe
[TEST...]. Prints one line per test and "N passed, N failed"; exits 1 on any failure."""

import json
import os
import signal
import subprocess
import sys
import time
import traceback

from cluster_support import Cluster, Failure, Load, check, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_TIMEOUT_S = 1.0  # the documented default of cluster.node_timeout_ms

ECHO = '[[plugins]]\nid = "%s"\nclass = "echo"\n%s\n'
WORKER = '[[plugins]]\nid = "%s"\nscript = "' + os.path.join(HERE, "worker.lua") + '"\n\n'


def echo(pid, idempotent=False):
    return ECHO % (pid, "idempotent = true" if idempotent else "")


def three_nodes(c):
    """n1 (no seeds), n2 and n3 (seed n1): the shape of docs/cluster.md's walkthrough."""
    n1 = c.start("n1", echo("one"))
    n2 = c.start("n2", WORKER % "work" + echo("rep", True) + echo("solo"), seeds=[n1.address])
    n3 = c.start("n3", echo("rep", True), seeds=[n1.address])
    for via in (n1, n2, n3):
        wait_until(lambda: c.members(via) == {"n1": "self" if via is n1 else "up",
                                              "n2": "self" if via is n2 else "up",
                                              "n3": "self" if via is n3 else "up"},
                   "three members seen from " + via.name)
    return n1, n2, n3


def test_three_configs_form_a_cluster_and_a_late_node_joins(c):
    n1, n2, n3 = three_nodes(c)
    n4 = c.start("n4", echo("late"), seeds=[n3.address])  # knows only n3
    wait_until(lambda: c.members(n1).get("n4") == "up", "n1 to see the late n4")
    wait_until(lambda: c.members(n4) == {"n1": "up", "n2": "up", "n3": "up", "n4": "self"},
               "n4 to see every member")


def test_a_second_live_node_with_a_members_name_is_refused_and_changes_nothing(c):
    n1 = c.start("n1", echo("one"))
    n2 = c.start("n2", echo("two"), seeds=[n1.address])
    wait_until(lambda: c.members(n1).get("n2") == "up", "n2 to join")
    c.start("impostor", echo("evil"), seeds=[n1.address], node_name="n2")
    wait_until(lambda: "must have another name" in open(c.nodes["impostor"].log.name).read(),
               "the impostor to be told why it is refused")
    rows = c.json("nodes", node=n1)[1]
    check([r["address"] for r in rows if r["name"] == "n2"] == [n2.address],
          "the first n2 stays the member: %r" % (rows,))
    rc, out = c.json("exec", "two", '"still"', node=n1)
    check(rc == 0 and out == "still", "the first n2's plugins stay reachable: %r" % (out,))
    rc, out = c.json("exec", "evil", '"x"', node=n1)
    check(rc == 1, "the impostor's plugins are not: %r" % (out,))


def test_calls_reach_plugins_wherever_they_run_and_errors_name_plugin_and_node(c):
    n1, n2, n3 = three_nodes(c)
    rc, out = c.json("exec", "work", '"hi"', node=n3)
    check(rc == 0 and out["echo"] == "hi", "exec of n2's plugin through n3: %r" % (out,))
    rc, out = c.json("exec", "one", '"x"', node=n2)
    check(rc == 0 and out == "x", "exec of n1's plugin through n2: %r" % (out,))
    rc, out = c.json("exec", "work", '"fail"', node=n1)
    check(rc == 1, "a failing remote call exits 1")
    msg = out["error"]["message"]
    check(out["error"]["plugin"] == "work" and "asked to fail" in msg and "node 'n2'" in msg,
          "the remote plugin's error names the plugin and the node: %r" % (out,))
    caller = os.path.join(HERE, "caller.lua")
    rc, md = c.json("deploy", caller, "--on", "n1", node=n1)
    check(rc == 0, "deploy the caller: %r" % (md,))
    rc, out = c.json("exec", "caller", '{"target": "work", "value": "via script"}', node=n1)
    check(rc == 0 and out["result"]["echo"] == "via script",
          "a script's call_plugin reaches a plugin on another node: %r" % (out,))
    rc, out = c.json("exec", "caller", '{"target": "work", "value": "fail"}', node=n1)
    check(rc == 0 and "node 'n2'" in out["error"] and out["code"] == "plugin_failed",
          "call_plugin gets the remote error naming the node: %r" % (out,))
    rc, out = c.json("exec", "ghost", '"x"', node=n3)
    check(rc == 1 and out["error"]["code"] == "not_found" and out["error"]["plugin"] == "ghost",
          "an unknown plugin is not_found, named: %r" % (out,))
    rc, rows = c.json("list", node=n3)
    where = sorted((r["id"], r["node"]) for r in rows if r["id"] != "caller")
    check(where == [("one", "n1"), ("rep", "n2"), ("rep", "n3"), ("solo", "n2"), ("work", "n2")],
          "list through any node shows the whole cluster: %r" % (where,))
    rc, tools = c.json("tools", node=n1)
    check(any(t["name"] == "double" and t["node"] == "n2" for t in tools),
          "tools through n1 show n2's tool: %r" % (tools,))
    rc, out = c.json("call-tool", "double", '{"x": 21}', node=n3)
    check(rc == 0 and out == 42, "a tool of n2 called through n3: %r" % (out,))
    rc, out = c.json("call-tool", "double", '{"x": "no"}', node=n1)
    check(rc == 1 and out["error"]["code"] == "bad_input" and "n2" in out["error"]["message"],
          "a remote tool's schema check fails naming the node: %r" % (out,))
    rc, out = c.json("call-tool", "nothing", '{}', node=n1)
    check(rc == 1 and out["error"]["code"] == "not_found", "an unknown tool: %r" % (out,))


def test_deploy_undeploy_and_reload_across_nodes(c):
    n1, n2, n3 = three_nodes(c)
    v1, v2 = os.path.join(HERE, "deployed_v1.lua"), os.path.join(HERE, "deployed_v2.lua")
    rc, md = c.json("deploy", v1, "--on", "n2", "--id", "dep", node=n1)
    check(rc == 0 and md["id"] == "dep" and md["version"] == "1.0.0", "deploy: %r" % (md,))
    rc, out = c.json("exec", "dep", '"a"', node=n3)
    check(out == "v1:a", "the deployed script answers through n3: %r" % (out,))
    rc, out = c.json("deploy", os.path.join(HERE, "broken.lua"), "--on", "n3", node=n1)
    msg = out["error"]["message"] if out else ""
    check(rc == 1 and "broken.lua:5" in msg, "a bad script is refused with file and line: %r"
          % (out,))
    rc, rows = c.json("list", node=n1)
    check(not any(r["id"] == "broken" for r in rows), "the refused script is nowhere")
    rc, md = c.json("reload", "dep", node=n3)
    check(rc == 0 and md["version"] == "1.0.0", "reload from another node: %r" % (md,))
    rc, md = c.json("deploy", v2, "--on", "n2", "--id", "dep", node=n3)
    check(rc == 0 and md["version"] == "2.0.0", "deploying again replaces the text: %r" % (md,))
    n2.stop()
    wait_until(lambda: c.members(n1).get("n2") == "down", "n1 to see n2 gone")
    c.start("n2", WORKER % "work", seeds=[n1.address])  # same name, same port, fresh process
    wait_until(lambda: c.json("exec", "dep", '"b"', node=n1)[1] == "v2:b",
               "the deployed script back after its node restarted")
    wait_until(lambda: c.members(n3).get("n2") == "up", "n3 to see n2 back")
    rc, out = c.json("undeploy", "dep", node=n3)
    check(rc == 0 and out["removed_from"] == ["n2"], "undeploy: %r" % (out,))
    rc, out = c.json("exec", "dep", '"c"', node=n2)
    check(rc == 1 and out["error"]["code"] == "not_found", "gone after undeploy: %r" % (out,))
    rc, out = c.json("undeploy", "one", node=n2)
    check(rc == 1, "a plugin from a config cannot be undeployed: %r" % (out,))


def test_kill_9_under_load_fails_over_to_the_other_replica_and_loses_nothing(c):
    n1, n2, n3 = three_nodes(c)
    load = Load(c, "rep", n1, 20000)
    load.read_until(2000)
    n3.kill()
    load.finish()
    ok, errors, lost = load.tally()
    check(lost == 0, "lost calls: %d" % lost)
    check(not errors, "calls to an idempotent plugin with a live replica all served: %r"
          % (errors[:3],))
    c.start("n3", echo("rep", True), seeds=[n1.address])
    wait_until(lambda: sorted(r["node"] for r in c.json("list", node=n1)[1] if r["id"] == "rep")
               == ["n2", "n3"], "n3's replica to reappear")


def test_a_frozen_node_is_detected_within_the_node_timeout_and_nothing_is_lost(c):
    n1, n2, n3 = three_nodes(c)
    load = Load(c, "solo", n1, 20000)
    load.read_until(1000)
    stopped_at = time.monotonic()
    n2.signal(signal.SIGSTOP)
    load.finish()
    ok, errors, lost = load.tally()
    check(lost == 0, "lost calls: %d" % lost)
    when, first = load.first_error_after(stopped_at)
    check(first is not None, "calls to the frozen node's only replica end in errors")
    check(when - stopped_at <= NODE_TIMEOUT_S + 1.0,
          "first error %.2f s after SIGSTOP (bound: node timeout + 1 s)" % (when - stopped_at))
    check(all(e["plugin"] == "solo" and "n2" in e["message"] for e in errors),
          "every error names the plugin and the node: %r" % (errors[:3],))
    n2.signal(signal.SIGCONT)
    wait_until(lambda: c.json("exec", "solo", '"back"', node=n1)[1] == "back",
               "the thawed node's plugin served again")


def test_a_killed_node_fails_non_idempotent_calls_with_an_error_never_a_hang(c):
    n1, n2, n3 = three_nodes(c)
    events_err = open(os.path.join(c.dir, "events.err"), "w+")
    events = subprocess.Popen([c.troupe, "--log-level", "info", "events", "--node", n3.address,
                               "--json", "--count", "1", "--for", "30"],
                              stdout=subprocess.PIPE, stderr=events_err, text=True)
    c.clients.append(events)
    wait_until(lambda: "listening" in open(events_err.name).read(), "the event listener")
    load = Load(c, "solo", n3, 20000)
    load.read_until(1000)
    killed_at = time.monotonic()
    n2.kill()
    load.finish()
    ok, errors, lost = load.tally()
    check(lost == 0, "lost calls: %d" % lost)
    when, first = load.first_error_after(killed_at)
    check(first is not None and when - killed_at <= NODE_TIMEOUT_S + 1.0,
          "first error within the node timeout + 1 s: %r" % ((when and when - killed_at),))
    check(all("n2" in e["message"] for e in errors), "errors name the node: %r" % (errors[:3],))
    out, _ = events.communicate(timeout=30)
    event = json.loads(out.splitlines()[0]) if out.strip() else {}
    check(event.get("kind") == "member_down" and "node 'n2'" in event.get("detail", ""),
          "troupe events reports the member going: %r" % (out,))


def test_replicas_on_one_node_take_turns_and_reload_together(c):
    n1 = c.start("n1", WORKER % "work" + "replicas = 3\n\n" + echo("user")
                 + 'dependencies = ["work"]\n')
    rc, out = c.cli("exec", "work", node=n1, stdin='"a"\n' * 6)
    answers = [json.loads(line)["ok"]["calls"] for line in out.splitlines()]
    check(sorted(answers) == [1, 1, 1, 2, 2, 2],
          "six calls spread over three replicas, two each: %r" % (answers,))
    rc, rows = c.json("list", node=n1)
    check(sorted(r["id"] for r in rows) == ["user", "work#1", "work#2", "work#3"],
          "the replicas are listed by their own ids: %r" % (rows,))
    rc, md = c.json("reload", "work", node=n1)
    check(rc == 0 and md["name"] == "worker", "a reload of the plugin reloads every replica: %r"
          % (md,))
    rc, out = c.json("exec", "work#2", '"b"', node=n1)
    check(rc == 0 and out["echo"] == "b", "one replica called by its own id: %r" % (out,))


def make_certs(c):
    certs = os.path.join(c.dir, "certs")
    other = os.path.join(c.dir, "other")
    script = os.path.join(ROOT, "deploy", "make-cluster-certs.sh")
    subprocess.run([script, certs, "n1", "n2", "client"], check=True, capture_output=True)
    subprocess.run([script, other, "rogue"], check=True, capture_output=True)
    files = lambda d, n: (os.path.join(d, "ca.pem"), os.path.join(d, n + ".pem"),
                          os.path.join(d, n + ".key"))
    return files(certs, "n1"), files(certs, "n2"), files(certs, "client"), files(other, "rogue")


def test_mutual_tls_admits_only_the_clusters_certificates(c):
    n1_files, n2_files, client_files, rogue_files = make_certs(c)
    c.tls = client_files
    n1 = c.start("n1", echo("one"), tls_files=n1_files)
    n2 = c.start("n2", echo("two"), seeds=[n1.address], tls_files=n2_files)
    wait_until(lambda: c.members(n1) == {"n1": "self", "n2": "up"}, "the TLS cluster to form")
    rc, out = c.json("exec", "two", '"s"', node=n1)
    check(rc == 0 and out == "s", "a call through TLS with the cluster's certificate: %r" % (out,))
    rc, out = c.json("list", node=n1, tls=False)
    check(rc != 0 and out["error"]["code"] == "unavailable", "a plain-text client is refused")
    for name, files in (("another CA", rogue_files),
                        ("a foreign certificate", (n1_files[0],) + rogue_files[1:])):
        rc, out = c.cli("list", "--node", n1.address, "--ca", files[0], "--cert", files[1],
                        "--key", files[2])
        check(rc != 0 and '"unavailable"' in out, "a client with %s is refused: %r" % (name, out))
    no_cert = subprocess.run(
        ["python3", "-c", NO_CERT_CLIENT, n1.address, n1_files[0]], capture_output=True,
        text=True, timeout=20)
    check(no_cert.stdout.strip() == "refused", "a TLS client without a certificate is refused: %r"
          % (no_cert.stdout + no_cert.stderr))
    mismatched = os.path.join(c.dir, "mismatched.toml")
    with open(mismatched, "w") as f:
        f.write('[cluster]\nlisten = "127.0.0.1:0"\nca = "%s"\ncert = "%s"\nkey = "%s"\n'
                % (n1_files[0], n1_files[1], n2_files[2]))
    bad = subprocess.run([c.troupe, "run", mismatched], capture_output=True, text=True, timeout=20)
    check(bad.returncode == 1 and "config_error" in bad.stdout and n2_files[2] in bad.stdout,
          "a key that does not belong to the certificate stops the node at start: %r"
          % (bad.stdout,))
    rogue = c.start("rogue", echo("evil"), seeds=[n1.address], tls_files=rogue_files)
    time.sleep(2.0)  # a bounded window in which a wrongly admitted node would have joined
    check("rogue" not in c.members(n1), "a node with another CA's certificate does not join")
    rogue.stop()
    before = {n.name: n.cpu_seconds() for n in (n1, n2)}
    time.sleep(3.0)  # idle: the TLS layer must not spin (CAF #1060)
    for n in (n1, n2):
        used = n.cpu_seconds() - before[n.name]
        check(used < 1.0, "node %s used %.2f s of CPU in 3 s idle" % (n.name, used))


NO_CERT_CLIENT = r"""
import socket, ssl, sys
host, port = sys.argv[1].rsplit(":", 1)
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.check_hostname = False
try:
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(b"\0" * 64)
            data = s.recv(1)
            print("refused" if not data else "answered")
except (ssl.SSLError, ConnectionError, socket.timeout, OSError):
    print("refused")
"""


def test_a_node_without_tls_listens_on_loopback_and_says_it_is_unauthenticated(c):
    n1 = c.start("n1", echo("one"))
    check(n1.address.startswith("127.0.0.1:"), "default listen address is loopback")
    log = open(n1.log.name).read()
    check("WITHOUT authentication" in log, "the log says the node is unauthenticated")


def main():
    troupe = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:]
    tests = [(n, f) for n, f in sorted(globals().items())
             if n.startswith("test_") and (not wanted or n in wanted)]
    passed = failed = 0
    for name, fn in tests:
        c = Cluster(troupe)
        start = time.monotonic()
        ok = False
        try:
            fn(c)
            ok = True
            passed += 1
            print("PASS %s (%.1f s)" % (name, time.monotonic() - start), flush=True)
        except Exception as e:  # a Failure, or an unexpected error of the harness
            failed += 1
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
            print("FAIL %s: %s (logs in %s)" % (name, detail, c.dir), flush=True)
        finally:
            try:
                c.close(keep_logs=not ok)
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (name, e), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
