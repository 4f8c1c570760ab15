"""Helpers of the tests of a node's doors (the msgpack-RPC gateway, HTTP): a real `troupe run`
process on loopback whose ports the OS picks (read from --ready-file), stopped by its PID when
the test ends. Every wait is bounded."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
from cluster_support import Failure, check, wait_until  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLIENTS = os.path.join(ROOT, "tests", "clients")

UP_SCRIPT = """
function execute(x)
  if x == "boom" then error("boom asked", 0) end
  return "ok:" .. tostring(x)
end
tools = {
  { name = "shout", description = "Upper-cases text",
    parameters = { type = "object", required = { "text" }, additionalProperties = false,
                   properties = { text = { type = "string", description = "what to shout" } } },
    handler = function(args)
      if args.text == "boom" then error("boom asked", 0) end
      return string.upper(args.text)
    end },
}
"""

SLOW_SCRIPT = """
function execute(n)
  local t = 0
  for i = 1, n do t = t + i end
  return t
end
"""

PLUGINS = """
[[plugins]]
id = "echo"
class = "echo"

[[plugins]]
id = "up"
script = "up.lua"

[[plugins]]
id = "slow"
script = "slow.lua"
[plugins.limits]
wall_time_ms = 0
instructions = 0
"""


class DoorNode:
    """One `troupe run` process with the given door tables, in a temporary directory."""

    def __init__(self, troupe, tables, plugins=PLUGINS, name="doors"):
        self.dir = tempfile.mkdtemp(prefix="troupe-doors-")
        for file, text in (("up.lua", UP_SCRIPT), ("slow.lua", SLOW_SCRIPT)):
            with open(os.path.join(self.dir, file), "w") as f:
                f.write(text)
        self.config = os.path.join(self.dir, "node.toml")
        with open(self.config, "w") as f:
            f.write('[node]\nname = "%s"\n\n%s\n%s' % (name, tables, plugins))
        ready = os.path.join(self.dir, "ready")
        self.log = open(os.path.join(self.dir, "node.log"), "w")
        self.proc = subprocess.Popen([troupe, "run", self.config, "--ready-file", ready],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        wait_until(lambda: os.path.exists(ready) or self.proc.poll() is not None,
                   "the node to serve", timeout=20)
        check(self.proc.poll() is None, "the node exited at start:\n" + self.log_text())
        self.doors = {}
        for line in open(ready).read().splitlines()[1:]:
            door, address = line.split()
            host, port = address.rsplit(":", 1)
            self.doors[door] = (host, int(port))

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        """SIGTERM by PID (SIGKILL after 15 s, which fails the test); removes the directory."""
        try:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
                    raise Failure("the node did not stop on SIGTERM within 15 s")
        finally:
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)


def run_tests(tests, argv):
    """Runs each test(troupe) (all, or those named in argv[2:]); prints one line per test;
    exits 1 on any failure."""
    troupe = argv[1]
    chosen = [t for t in tests if len(argv) < 3 or t.__name__ in argv[2:]]
    failed = 0
    for t in chosen:
        try:
            t(troupe)
            print("PASS", t.__name__, flush=True)
        except Exception as e:  # noqa: BLE001 - report every kind of failure
            failed += 1
            print("FAIL", t.__name__, "-", e, flush=True)
            import traceback
            traceback.print_exc()
    print("%d passed, %d failed" % (len(chosen) - failed, failed))
    sys.exit(1 if failed else 0)
