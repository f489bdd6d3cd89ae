/**
 * `tocsin rules test 'QUERY' < events` through the real binary: matching lines printed as given, `--why` explains
 * each term, a count on stderr, lines that are not JSON reported by number without stopping the run, a syntax error
 * shown with a caret under its column (exit 2). `tocsin rules` prints the gateway's rules as a table with the lines
 * each matched, and says so when there are none.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { ADMIN_TOKEN, BIN, Emulator, freePort, gatewayConfig, http, ROOT, startTocsin, tempDir, writeConfig, type TocsinProcess } from '../harness.ts';
import { tocsin, type CliRun } from './cli-helpers.ts';

/** `tocsin <args>` with `input` on stdin (the shared helper gives the CLI no stdin). */
function tocsinWithInput(args: string[], input: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, TOCSIN_CONFIG: '', TOCSIN_URL: '', TOCSIN_ADMIN_TOKEN: '', COLUMNS: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    p.stdin.end(input);
  });
}

const lines = [
  '{"event_message":"Payment failed: card declined","metadata":{"level":"error","service":"payments","status":502,"region":"eu"}}',
  '{"message":"health check failed","level":"error","service":"payments","status":503}',
  'Jun 01 12:00:00 not json at all',
  '{"message":"order created","level":"info","service":"orders","status":201}',
  '',
  '{"message":"refund failed","level":"error","service":"payments","status":"500","tags":["billing"]}',
  '[1, 2]',
];
const ndjson = `${lines.join('\n')}\n`;

describe('CLI: rules test', () => {
  test('prints the matching lines as given and a count on stderr; bad lines are reported by number', async () => {
    const r = await tocsinWithInput(['rules', 'test', 'm.level:error m.service:payments -"health check"'], ndjson);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trimEnd().split('\n'), [lines[0], lines[5]]);
    assert.match(r.err, /^warning: line 3: not JSON/m);
    assert.match(r.err, /^warning: line 7: not a JSON object/m);
    assert.match(r.err, /^2 of 4 events match; 2 skipped/m);
  });

  test('ranges, regexes, array contains, OR, and a query that starts with "-" after --', async () => {
    const cases: [string[], number[]][] = [
      [['m.status:500..599'], [0, 1, 5]],
      [['~^(Payment|refund) failed'], [0, 5]],
      [['m.tags:@>billing OR m.service:orders'], [3, 5]],
      // a leading "-" would read as an option: `--` ends the options, as in most CLIs
      [['--', '-(m.level:error)'], [3]],
    ];
    const runs = await Promise.all(cases.map(([query]) => tocsinWithInput(['rules', 'test', ...query], ndjson)));
    for (const [k, [query, want]] of cases.entries()) {
      const r = runs[k]!;
      assert.equal(r.code, 0, `${query.join(' ')}: ${r.err}`);
      assert.deepEqual(r.out.trimEnd().split('\n').filter(Boolean), want.map((i) => lines[i]), query.join(' '));
    }
  });

  test('--why explains each term with the value it saw', async () => {
    const r = await tocsinWithInput(['rules', 'test', '--why', 'm.level:error m.status:500..599 -"health check"'], ndjson);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^line 1: \{"event_message":"Payment failed/m);
    assert.match(r.out, /✓ m\.status:500\.\.599 {2}— m\.status is 502/);
    assert.match(r.out, /✗ "health check" {2}— the message does not contain "health check"/);
    assert.match(r.out, /^line 6: /m);
    assert.match(r.out, /m\.status is "500"/);
    assert.doesNotMatch(r.out, /^line 2: /m);
  });

  test('a JSON array on stdin works too', async () => {
    const events = [{ message: 'disk full', level: 'error' }, { message: 'ok', level: 'info' }];
    const r = await tocsinWithInput(['rules', 'test', '-v', 'm.level:error'], JSON.stringify(events, null, 2));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^element 1: \{"message":"disk full","level":"error"\}/m);
    assert.match(r.err, /1 of 2 events match/);
  });

  test('a syntax error shows the column with a caret under the query and exits 2', async () => {
    const r = await tocsinWithInput(['rules', 'test', 'm.level:error m.service:'], ndjson);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.equal(r.err, ['tocsin: query: column 25: expected a value after "m.service:"', '  m.level:error m.service:', `  ${' '.repeat(24)}^`, ''].join('\n'));
  });
});

describe('CLI: rules (list)', () => {
  let stand: Server;
  let standUrl: string;
  let seenAuth: string | undefined;
  /** What the stand-in answers: the documented rules, none, or 404 (a gateway may say "no logs sources" so). */
  let answer: 'rules' | 'empty' | '404' = 'rules';

  before(async () => {
    // A stand-in answering GET /api/v1/rules in the API's documented shape, so the table is checked on its own.
    stand = createServer((req, res) => {
      seenAuth = req.headers.authorization;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/rules' && answer === 'empty') res.end('{"rules":[]}');
      else if (req.url === '/api/v1/rules' && answer === 'rules') {
        res.end(
          JSON.stringify({
            rules: [
              { source: 'logflare', name: 'payment-errors', query: 'm.level:error m.service:payments', matched_total: 1234, alerts_active: 2, last_match_at: '2025-06-01T12:03:04.567Z' },
              { source: 'vector', name: 'oom', query: '~(?i)out of memory', matched_total: 0, alerts_active: 0, last_match_at: null },
            ],
          }),
        );
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { code: 'not_found', message: 'not found' } }));
      }
    });
    await new Promise<void>((r) => stand.listen(0, '127.0.0.1', r));
    standUrl = `http://127.0.0.1:${(stand.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((r) => stand.close(() => r())));

  test('prints each rule with its match count, firing alerts and last match, sending the admin token', async () => {
    const r = await tocsin(['rules', '--gateway', standUrl], { TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN });
    assert.equal(r.code, 0, r.err);
    const [header, first, second] = r.out.trimEnd().split('\n');
    assert.match(header!, /^SOURCE\s+NAME\s+MATCHED\s+FIRING\s+LAST MATCH\s+QUERY$/);
    assert.match(first!, /^logflare\s+payment-errors\s+1234\s+2\s+2025-06-01 12:03:04\s+m\.level:error m\.service:payments$/);
    assert.match(second!, /^vector\s+oom\s+0\s+0\s+-\s+~\(\?i\)out of memory$/);
    assert.equal(seenAuth, `Bearer ${ADMIN_TOKEN}`);
    const j = await tocsin(['rules', '--gateway', standUrl, '--json'], { TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN });
    assert.equal(JSON.parse(j.out).rules.length, 2);
  });

  test('no rules (an empty list, or a 404) prints "no log rules configured", exit 0', async () => {
    for (const a of ['empty', '404'] as const) {
      answer = a;
      const r = await tocsin(['rules', '--gateway', standUrl], { TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN });
      assert.equal(r.code, 0, `${a}: ${r.err}`);
      assert.equal(r.out, 'no log rules configured\n', a);
    }
    answer = 'rules';
  });

  describe('against a real gateway', () => {
    const LOGS_TOKEN = 'logs-source-token-0123456789';
    let emu: Emulator;
    let gw: TocsinProcess;
    before(async () => {
      emu = await Emulator.start();
      const dir = tempDir();
      const port = await freePort();
      const rules = [
        { name: 'payment-errors', query: 'm.level:error m.service:payments -"health check"' },
        { name: 'panics', query: 'panic OR "fatal error"' },
      ];
      const config = gatewayConfig(emu, dir, port, { sources: { app: { type: 'alerts', token: 'app-source-token-0123456789' }, applogs: { type: 'logs', token: LOGS_TOKEN, rules } } });
      gw = await startTocsin(writeConfig(dir, config), { port });
    });
    after(async () => {
      await gw?.kill();
      await emu?.close();
    });

    test('lists each rule of the logs source with the lines it matched', async () => {
      const sent = await http('POST', `${gw.url}/ingest/applogs`, { token: LOGS_TOKEN, raw: `${lines.filter((l) => l.startsWith('{')).join('\n')}\n`, headers: { 'content-type': 'application/x-ndjson' } });
      assert.ok(sent.status < 300, sent.text);
      const r = await tocsin(['rules', '--gateway', gw.url], { TOCSIN_ADMIN_TOKEN: ADMIN_TOKEN });
      assert.equal(r.code, 0, r.err);
      const rows = r.out.trimEnd().split('\n');
      assert.match(rows[0]!, /^SOURCE\s+NAME\s+MATCHED\s+FIRING\s+LAST MATCH\s+QUERY$/);
      assert.match(rows[1]!, /^applogs\s+payment-errors\s+2\s+\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+m\.level:error/);
      assert.match(rows[2]!, /^applogs\s+panics\s+0\s+0\s+-\s+panic OR "fatal error"$/);
    });
  });
});
