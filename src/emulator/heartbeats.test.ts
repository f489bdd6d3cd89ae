import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type RunningEmulator } from './index.ts';
import { vendored } from './schema.ts';
import { call } from './test-client.ts';

const SOURCE = { id: '01HSOURCEAAAAAAAAAAAAAAAAA', token: 'alert-source-token-0123456789' };
const KEY = 'org-api-key-0123456789';
const HB = { id: '01HBEAT0000000000000000000', token: 'heartbeat-token-0123456789', interval_seconds: 60 };

let emu: RunningEmulator;
before(async () => {
  emu = await startEmulator({ alertSources: [SOURCE], apiKeys: [{ key: KEY }] });
  assert.equal((await call(emu.url, 'POST', '/_emulator/heartbeats', { body: HB })).status, 201);
});
after(() => emu.close());

const pingPath = `/v2/heartbeat/${HB.id}/ping`;
const heartbeat = async () => (await call(emu.url, 'GET', '/_emulator/heartbeats')).json.heartbeats[0];

describe('heartbeat alert sources: GET|POST /v2/heartbeat/{id}/ping', () => {
  it('takes the heartbeat token (Bearer or ?token=) or an API key, by GET or POST, and answers 204', async () => {
    assert.equal((await heartbeat()).status, 'waiting');
    const answers = [
      await call(emu.url, 'POST', pingPath, { bearer: HB.token }),
      await call(emu.url, 'GET', `${pingPath}?token=${HB.token}`),
      await call(emu.url, 'POST', pingPath, { bearer: KEY }),
    ];
    assert.deepEqual(answers.map((a) => [a.status, a.text]), [[204, ''], [204, ''], [204, '']]);
    const h = await heartbeat();
    assert.deepEqual([h.ping_count, h.status, h.pings.map((p: { via: string; method: string; as: string }) => `${p.method} ${p.via} ${p.as}`)], [3, 'healthy', ['POST bearer source_token', 'GET query source_token', 'POST bearer api_key']]);
    assert.ok(!JSON.stringify(h).includes(HB.token), 'the token only in the answer that created it');
  });

  it("refuses what incident.io refuses, in its error envelope: no token 401, a wrong one 401 (an alert source's named), unknown id 404", async () => {
    const none = await call(emu.url, 'POST', pingPath);
    const wrong = await call(emu.url, 'POST', pingPath, { bearer: 'nope-0123456789' });
    const alertSourceToken = await call(emu.url, 'POST', pingPath, { bearer: SOURCE.token });
    const unknown = await call(emu.url, 'POST', '/v2/heartbeat/01HNOPE/ping', { bearer: HB.token });
    assert.deepEqual([none.status, wrong.status, alertSourceToken.status, unknown.status], [401, 401, 401, 404]);
    assert.match(alertSourceToken.json.errors[0].message, /HTTP alert source/);
    assert.ok(unknown.json.request_id);
  });

  it('reset forgets the pings, keeps the heartbeat', async () => {
    await call(emu.url, 'POST', '/_emulator/reset');
    const h = await heartbeat();
    assert.deepEqual([h.id, h.ping_count], [HB.id, 0]);
    assert.equal((await call(emu.url, 'POST', '/_emulator/heartbeats', { body: { id: HB.id } })).status, 409);
    assert.equal((await call(emu.url, 'POST', '/_emulator/heartbeats', { body: { interval_seconds: 0 } })).status, 400);
  });
});

describe('heartbeat ping as vendored', () => {
  it('serves the operations as vendored from incident.io\'s schema: both methods, their declared answer, token and authorization', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const op = vendored.operations[`${method} /v2/heartbeat/{alert_source_config_id}/ping`] as { parameters: { name: string; in: string }[]; responses: Record<string, unknown> } | undefined;
      assert.ok(op, `${method} is vendored`);
      assert.deepEqual(op.parameters.map((p) => `${p.in}:${p.name}`).sort(), ['header:authorization', 'path:alert_source_config_id', 'query:token']);
      const viaQuery = await call(emu.url, method, `${pingPath}?token=${HB.token}`);
      const viaHeader = await call(emu.url, method, pingPath, { bearer: HB.token });
      for (const r of [viaQuery, viaHeader]) assert.ok(String(r.status) in op.responses, `${method}: ${r.status} is a declared answer (${Object.keys(op.responses).join(', ')})`);
    }
  });
});
