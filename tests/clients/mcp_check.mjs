// Drives a Troupe node over MCP with the official TypeScript SDK's client (written by others).
// Usage:
//   node mcp_check.mjs http URL [TOKEN]          Streamable HTTP (e.g. http://127.0.0.1:8080/mcp)
//   node mcp_check.mjs stdio TROUPE CONFIG       stdio: spawns `TROUPE mcp --config CONFIG`
// The node must offer the tool "shout" (upper-cases {text}). Prints one line per check; exits 1
// on the first failure and after 30 s whatever happens.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

setTimeout(() => { console.log('FAIL: no end within 30 s'); process.exit(1); }, 30000).unref();

function fail(what) { console.log('FAIL: ' + what); process.exit(1); }
function check(cond, what) { if (!cond) fail(what); console.log('ok: ' + what); }

const [mode, a, b] = process.argv.slice(2);
let transport;
if (mode === 'http') {
  const headers = b ? { Authorization: 'Bearer ' + b } : {};
  transport = new StreamableHTTPClientTransport(new URL(a), { requestInit: { headers } });
} else if (mode === 'stdio') {
  transport = new StdioClientTransport({ command: a, args: ['mcp', '--config', b], stderr: 'ignore' });
} else {
  fail('usage: mcp_check.mjs http URL [TOKEN] | stdio TROUPE CONFIG');
}

const client = new Client({ name: 'troupe-test', version: '1.0.0' });
try {
  await client.connect(transport);
  const info = client.getServerVersion();
  check(info && info.name === 'troupe', 'initialize: serverInfo names troupe');
  check(client.getServerCapabilities().tools !== undefined, 'initialize: the tools capability');

  await client.ping();
  check(true, 'ping');

  const { tools } = await client.listTools();
  const shout = tools.find((t) => t.name === 'shout');
  check(shout && shout.description === 'Upper-cases text', 'tools/list: name and description');
  check(shout.inputSchema.type === 'object' && shout.inputSchema.required[0] === 'text',
        'tools/list: the JSON-schema inputSchema');

  let r = await client.callTool({ name: 'shout', arguments: { text: 'hi' } });
  check(!r.isError && r.content[0].type === 'text' && r.content[0].text === 'HI',
        'tools/call: the result as text');
  check(r.structuredContent && r.structuredContent.result === 'HI', 'tools/call: structuredContent');

  r = await client.callTool({ name: 'shout', arguments: { text: 7 } });
  check(r.isError === true && /schema/.test(r.content[0].text),
        'tools/call: arguments against the schema: ' + (r.content[0] || {}).text);

  r = await client.callTool({ name: 'shout', arguments: { text: 'boom' } });
  check(r.isError === true && /boom asked/.test(r.content[0].text) && /up/.test(r.content[0].text),
        "tools/call: a plugin's error as isError with its message");

  let threw = false;
  try { await client.callTool({ name: 'no_such_tool', arguments: {} }); } catch (e) { threw = /no_such_tool/.test(String(e)); }
  check(threw, 'tools/call: an unknown tool is a protocol error');

  await client.close();
  process.exit(0);
} catch (e) {
  fail(String(e && e.stack || e));
}
