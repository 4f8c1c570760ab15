// Drives a Troupe gateway with the npm msgpack-RPC client msgpack5rpc (written by others).
// Usage: node msgpack5rpc_check.js PORT. Prints one line per check; exits 1 on the first
// failure and after 30 s whatever happens.
'use strict';
const net = require('net');
const Session = require('msgpack5rpc');

const port = Number(process.argv[2]);
setTimeout(() => { console.log('FAIL: no end within 30 s'); process.exit(1); }, 30000).unref();

function fail(what) { console.log('FAIL: ' + what); process.exit(1); }
function check(cond, what) { if (!cond) fail(what); console.log('ok: ' + what); }

const socket = net.connect(port, '127.0.0.1');
const session = new Session();
session.attach(socket, socket);

function call(method, args) {
  return new Promise((resolve) => session.request(method, args, (err, res) => resolve({ err, res })));
}

async function main() {
  let r = await call('execute', ['up', 'hi']);
  check(r.err === null && r.res === 'ok:hi', 'execute answers the plugin output');

  r = await call('execute', ['missing', 1]);
  check(r.err && r.err.code === 'not_found' && r.err.plugin === 'missing' &&
        /missing/.test(r.err.message), 'an error is a map {code, message, plugin}');

  // Out of order: the slow call is sent first, the fast one answers first.
  const order = [];
  const slow = call('execute', ['slow', 20000000]).then((x) => { order.push('slow'); return x; });
  const fast = call('execute', ['echo', 'quick']).then((x) => { order.push('fast'); return x; });
  await Promise.all([slow, fast]);
  check(order[0] === 'fast' && order[1] === 'slow', 'answers arrive as they finish');

  // 16 in flight on one connection, each answered with its own result.
  const many = [];
  for (let i = 0; i < 16; i++) many.push(call('execute', ['up', 'n' + i]));
  const answers = await Promise.all(many);
  check(answers.every((a, i) => a.err === null && a.res === 'ok:n' + i), '16 pipelined requests');

  r = await call('tools', []);
  check(Array.isArray(r.res) && r.res.some((t) => t.name === 'shout'), 'tools() lists the tools');
  r = await call('call_tool', ['shout', { text: 'loud' }]);
  check(r.res === 'LOUD', 'call_tool runs a tool');

  const event = new Promise((resolve) => session.on('notification', (method, args) => {
    if (method === 'event' && args[0].kind === 'reload_completed') resolve(args[0]);
  }));
  r = await call('subscribe', []);
  check(r.res === true, 'subscribe() answers true');
  r = await call('reload', ['up']);
  check(r.err === null, 'reload(id) answers the new metadata');
  const ev = await event;
  check(ev.plugin === 'up', 'events arrive as [2, "event", [event]] notifications');

  socket.end();
  process.exit(0);
}

socket.on('connect', () => main().catch((e) => fail(String(e))));
socket.on('error', (e) => fail('socket: ' + e.message));
