/** Shared by the dest-*.e2e tests: a tocsin config with one notification destination, ingest, and the delivery API. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ADMIN_TOKEN, APP_TOKEN, freePort, http, startTocsin, tempDir, writeConfig, type TocsinProcess } from '../harness.ts';

export async function startWith(destinations: Record<string, unknown>, over: Record<string, unknown> = {}): Promise<TocsinProcess & { dir: string }> {
  const dir = tempDir();
  const port = await freePort();
  const config = {
    listen: `127.0.0.1:${port}`,
    storage: { sqlite: join(dir, 'tocsin.db') },
    admin_token: ADMIN_TOKEN,
    log_level: 'debug',
    sources: { app: { type: 'alerts', token: APP_TOKEN } },
    destinations,
    routes: [{ to: Object.keys(destinations) }],
    delivery: { poll_interval: '100ms', retry_base_delay: '200ms', retry_max_delay: '1s' },
    ...over,
  };
  const t = await startTocsin(writeConfig(dir, config), { port });
  return Object.assign(t, { dir });
}

export async function ingest(t: TocsinProcess, body: Record<string, unknown>): Promise<string> {
  const r = await http('POST', `${t.url}/ingest/app`, { token: APP_TOKEN, body });
  assert.equal(r.status, 202, r.text);
  return r.body.results[0].id;
}

export async function deliveries(t: TocsinProcess, alertId: string): Promise<any[]> {
  return (await http('GET', `${t.url}/api/v1/deliveries?alert_id=${alertId}`, { token: ADMIN_TOKEN })).body.deliveries;
}

/** Every place a secret could leak from a running gateway: its log lines, and the API's views of destinations and deliveries. */
export async function assertNoSecret(t: TocsinProcess, alertIds: string[], secrets: string[]): Promise<void> {
  const texts = [t.output.join('\n'), (await http('GET', `${t.url}/api/v1/destinations`, { token: ADMIN_TOKEN })).text];
  for (const id of alertIds) texts.push((await http('GET', `${t.url}/api/v1/deliveries?alert_id=${id}`, { token: ADMIN_TOKEN })).text);
  for (const text of texts) for (const s of secrets) assert.ok(!text.includes(s), `a secret (${s.slice(0, 6)}…) appears in:\n${text.slice(0, 2000)}`);
}
