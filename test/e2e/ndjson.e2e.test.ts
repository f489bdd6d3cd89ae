import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN, Emulator, ROOT, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

// Fluent Bit's http output with `Format json_lines` (NDJSON: application/x-ndjson since 3.0, application/json
// before) or `Format json_stream` (records back to back): several JSON values in one body, never refused.
const TOKEN = 'versus-source-token-012345678';
const record = JSON.parse(readFileSync(join(ROOT, 'src/sources/versus/testdata/fluent-bit-kubernetes-record.json'), 'utf8'));
const other = { ...record, log: 'ERROR: payment provider timed out after 30s', kubernetes: { ...record.kubernetes, container_name: 'payments', labels: { app: 'payments' } } };

describe('several JSON values in one body (Fluent Bit json_lines / json_stream)', () => {
  let emu: Emulator;
  let gw: TocsinProcess;
  const post = (raw: string, contentType: string) => http('POST', `${gw.url}/ingest/logs`, { token: TOKEN, raw, headers: { 'content-type': contentType } });

  before(async () => {
    emu = await Emulator.start();
    const dir = tempDir();
    const port = await freePort();
    gw = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, { sources: { logs: { type: 'versus', token: TOKEN } } })), { port });
  });
  after(async () => {
    await gw?.kill();
    await emu?.close();
  });

  for (const [name, contentType, join] of [
    ['json_lines as application/x-ndjson', 'application/x-ndjson', '\n'],
    ['json_lines as application/json (Fluent Bit < 3.0)', 'application/json', '\n'],
    ['json_stream (no separator)', 'application/json', ''],
  ] as const) {
    test(name, async () => {
      const r = await post([record, other].map((x) => JSON.stringify(x)).join(join) + '\n', contentType);
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.results.length, 2);
      const keys = r.body.results.map((x: { dedup_key: string }) => x.dedup_key);
      await waitFor('both in incident.io', async () => (await emu.alerts()).filter((a) => keys.some((k: string) => a.deduplication_key === `logs:${k}`)).length === 2);
    });
  }

  test('a body that is neither JSON nor a sequence of JSON values is still a clear 400; the management API stays JSON-only', async () => {
    const bad = await post('{"log": "x"}\n{"log": ', 'application/x-ndjson');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_json');
    const mgmt = await http('POST', `${gw.url}/api/v1/deliveries/retry`, { token: ADMIN_TOKEN, raw: '{}\n{}', headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(mgmt.status, 415);
  });
});
