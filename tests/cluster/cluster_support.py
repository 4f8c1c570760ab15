"""Helpers of the multi-process cluster tests: real `troupe run` processes on loopback, each on
a port the OS picks (read from --ready-file), driven through the `troupe` CLI. Every process a
test starts is stopped by its PID when the test ends; every wait is bounded."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_until(fn, what, timeout=15.0, step=0.05):
    """Calls fn until it returns a true value (returned) or `timeout` passes (Failure)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(step)
    raise Failure("timed out waiting for " + what + " (last: " + repr(last) + ")")


class Cluster:
    """Owns a work directory and every node process started in it."""

    def __init__(self, troupe):
        self.troupe = troupe
        self.dir = tempfile.mkdtemp(prefix="troupe-cluster-")
        self.nodes = {}
        self.tls = None  # (ca, cert, key) the CLI uses
        self.clients = []  # other processes a test started: stopped by PID at close

    def close(self, keep_logs=False):
        """Stops every node by its PID; removes the work directory unless logs are wanted."""
        for proc in self.clients:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        failure = None
        for node in self.nodes.values():
            try:
                node.stop()
            except Failure as e:
                failure = failure or e
        if failure:
            raise Failure("%s (logs in %s)" % (failure, self.dir))
        if not keep_logs:
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, name, plugins="", seeds=(), extra="", port=0, tls_files=None,
              node_name=None):
        """Starts (or restarts) the node kept as `name`; its config says `node_name` (default
        `name`)."""
        node = self.nodes.get(name) or Node(self, name)
        self.nodes[name] = node
        node.start(plugins, seeds, extra, port, tls_files, node_name or name)
        return node

    def cli(self, *args, node=None, stdin=None, timeout=30, tls=True):
        """Runs `troupe ARGS [--node ADDRESS]`; returns (exit code, stdout text)."""
        cmd = [self.troupe] + list(args)
        if node is not None:
            cmd += ["--node", node.address if isinstance(node, Node) else node]
            if tls and self.tls:
                cmd += ["--ca", self.tls[0], "--cert", self.tls[1], "--key", self.tls[2]]
        out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
        return out.returncode, out.stdout

    def json(self, *args, **kw):
        rc, out = self.cli(*args, **kw)
        try:
            return rc, json.loads(out)
        except ValueError:
            return rc, None

    def members(self, via):
        rc, rows = self.json("nodes", node=via)
        if rc != 0 or rows is None:
            return {}
        return {r["name"]: r["state"] for r in rows if r["name"]}


class Node:
    """One `troupe run` process."""

    def __init__(self, cluster, name):
        self.cluster = cluster
        self.name = name
        self.proc = None
        self.address = None
        self.port = 0

    @property
    def pid(self):
        return self.proc.pid

    def start(self, plugins, seeds, extra, port, tls_files, node_name):
        port = port or self.port
        config = os.path.join(self.cluster.dir, self.name + ".toml")
        ready = os.path.join(self.cluster.dir, self.name + ".addr")
        if os.path.exists(ready):
            os.remove(ready)
        seed_list = ", ".join('"%s"' % s for s in seeds)
        tls = ""
        if tls_files:
            tls = 'ca = "%s"\ncert = "%s"\nkey = "%s"\n' % tls_files
        with open(config, "w") as f:
            f.write('[node]\nname = "%s"\nlog_level = "info"\n\n' % node_name)
            f.write('[cluster]\nlisten = "127.0.0.1:%d"\nseeds = [%s]\n%s%s\n\n'
                    % (port, seed_list, tls, extra))
            f.write(plugins)
        self.log = open(os.path.join(self.cluster.dir, self.name + ".log"), "a")
        self.proc = subprocess.Popen(
            [self.cluster.troupe, "run", config, "--ready-file", ready],
            stdout=subprocess.DEVNULL, stderr=self.log)
        wait_until(lambda: os.path.exists(ready) or self.proc.poll() is not None,
                   "node %s to serve" % self.name, timeout=20)
        check(self.proc.poll() is None, "node %s exited at start (see %s)"
              % (self.name, self.log.name))
        self.address = open(ready).read().strip()
        self.port = int(self.address.rsplit(":", 1)[1])

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                if shutil.which("gdb"):  # where it hangs, into its log
                    subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex",
                                    "thread apply all bt 15"], stdout=self.log,
                                   stderr=subprocess.DEVNULL, timeout=60)
                self.proc.kill()
                self.proc.wait(timeout=5)
                raise Failure("node %s did not stop on SIGTERM within 15 s" % self.name)
        self.proc = None

    def kill(self):
        """kill -9, and reaps the process."""
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=5)
        self.proc = None

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Load:
    """`troupe exec ID --node ADDRESS` fed `count` JSON lines: one call after the other, each
    answer read with the time it arrived."""

    def __init__(self, cluster, plugin, via, count):
        self.count = count
        self.lines = []  # (monotonic time, parsed line)
        cmd = [cluster.troupe, "exec", plugin, "--node", via.address]
        if cluster.tls:
            cmd += ["--ca", cluster.tls[0], "--cert", cluster.tls[1], "--key", cluster.tls[2]]
        self.input = tempfile.TemporaryFile("w+")
        self.input.write('"x"\n' * count)
        self.input.seek(0)
        self.proc = subprocess.Popen(cmd, stdin=self.input, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        cluster.clients.append(self.proc)

    def read_until(self, n, timeout=30):
        """Reads answers until `n` have arrived (or the output ends)."""
        deadline = time.monotonic() + timeout
        while len(self.lines) < n and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                return
            self.lines.append((time.monotonic(), json.loads(line)))

    def finish(self, timeout=60):
        self.read_until(self.count, timeout)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("the load client did not end")

    def tally(self):
        ok = sum(1 for _, l in self.lines if "ok" in l)
        errors = [l["error"] for _, l in self.lines if "error" in l]
        return ok, errors, self.count - ok - len(errors)

    def first_error_after(self, t):
        for when, line in self.lines:
            if when >= t and "error" in line:
                return when, line["error"]
        return None, None
