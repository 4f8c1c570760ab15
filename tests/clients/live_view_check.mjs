// Opens a Troupe node's live view (GET /) in Debian's chromium, headless, through playwright-core
// and checks that it shows the node's plugins and that its numbers move while a load runs.
// Usage: node live_view_check.mjs URL PLUGIN SCREENSHOT.png
// Prints one line per check; exits 1 on the first failure and after 40 s whatever happens.
import { chromium } from 'playwright-core';

setTimeout(() => { console.log('FAIL: no end within 40 s'); process.exit(1); }, 40000).unref();
function fail(what) { console.log('FAIL: ' + what); process.exit(1); }
function check(cond, what) { if (!cond) fail(what); console.log('ok: ' + what); }

const [url, plugin, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  await page.goto(url);
  const row = `#plugins tr[data-plugin="${plugin}"]`;
  await page.waitForSelector(row, { timeout: 10000 });
  check(true, 'the page loads and lists plugin ' + plugin);
  const calls = async () => Number(await page.textContent(`${row} td.calls`));
  const first = await calls();
  await page.waitForFunction(
    ([sel, before]) => Number(document.querySelector(sel + ' td.calls').textContent) > before
      && Number(document.querySelector(sel + ' td.rate').textContent) > 0,
    [row, first], { timeout: 15000, polling: 200 });
  const second = await calls();
  check(second > first, `calls move under load (${first} -> ${second})`);
  const rate = Number(await page.textContent(`${row} td.rate`));
  check(rate > 0, `calls per second shown (${rate}/s)`);
  const node = await page.textContent('#node');
  check(node.length > 0 && node !== '?', 'the node is named: ' + node);
  await page.waitForSelector('#events div', { timeout: 10000 });
  check(true, 'the event stream shows events');
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await browser.close();
  process.exit(0);
} catch (e) {
  await browser.close();
  fail(String(e && e.stack || e));
}
