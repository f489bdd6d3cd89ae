import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';

test('secrets passed to a log call by mistake are redacted; the listen URL is not', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger('info', sink);
  log.info({ url: 'http://127.0.0.1:8080', password: 'pw-1', config: { connectionString: 'postgres://u:pw-2@db/x', secret: 'whsec_pw-3' }, dest: { webhook_url: 'https://hooks.slack.com/services/pw-4', token: 'pw-5' } }, 'x');
  log.flush();
  await new Promise((r) => setImmediate(r));
  const out = lines.join('');
  for (const s of ['pw-1', 'pw-2', 'pw-3', 'pw-4', 'pw-5']) assert.ok(!out.includes(s), `${s} in ${out}`);
  assert.ok(out.includes('http://127.0.0.1:8080'));
});
