/**
 * The web UI on a cluster: two instances on one PostgreSQL behind no sticky load balancer. A session opened on one works
 * on the other, the page open on one shows alerts ingested on the other without a reload (live updates poll the
 * database, not this process's memory), and the overview says which instance sends for the destination.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';
import { freshPostgres } from '../postgres.ts';
import { launch, logIn, newPage, screenshot } from './ui-browser.ts';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test('two instances on one PostgreSQL: one login serves both; a page on one updates live with alerts ingested on the other', async () => {
  const emu = await Emulator.start();
  cleanups.push(() => emu.close());
  const db = await freshPostgres();
  cleanups.push(() => db.drop());
  const dir = tempDir('tocsin-ui-cluster-');
  const start = async (): Promise<TocsinProcess> => {
    const port = await freePort();
    const over = { storage: { postgres: db.url }, delivery: { poll_interval: '100ms' } };
    const t = await startTocsin(writeConfig(dir, gatewayConfig(emu, dir, port, over), `tocsin-${port}.yaml`), { port });
    cleanups.push(() => t.kill('SIGKILL'));
    return t;
  };
  const [a, b] = [await start(), await start()];
  const browser = await launch();
  cleanups.push(() => browser.close());
  const { context, page, seen } = await newPage(browser);

  await logIn(page, a.url, ADMIN_TOKEN);
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  // The same cookie, presented to the other instance (a load balancer may send the next request anywhere).
  const cookie = (await context.cookies()).find((c) => c.name === 'tocsin_session')!;
  const onB = await http('GET', `${b.url}/api/v1/alerts`, { headers: { cookie: `tocsin_session=${cookie.value}` } });
  assert.equal(onB.status, 200, onB.text);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts', exact: true }).click();
  await page.locator('#live').getByText('Live').waitFor();
  await page.getByText('No alert matches these filters.').waitFor();
  const r = await http('POST', `${b.url}/ingest/app`, { token: APP_TOKEN, body: { title: 'Ingested on the other instance', dedup_key: 'other', severity: 'critical' } });
  assert.equal(r.status, 202, r.text);
  await page.getByRole('link', { name: 'Ingested on the other instance' }).waitFor({ timeout: 10_000 });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview', exact: true }).click();
  await page.getByText('PostgreSQL').waitFor();
  // The alert was delivered, so one of the two holds the destination's lease.
  const sender = await waitFor('the sender of oncall', async () =>
    (await http('GET', `${a.url}/api/v1/cluster`, { token: ADMIN_TOKEN })).body.leases.find((l: { name: string; expires_at: string | null }) => l.name === 'destination:oncall' && l.expires_at),
  );
  const row = page.locator('main tr', { hasText: 'oncall' });
  // The host and pid (the whole holder id in the title): what tells the instances apart for a person.
  const [host, , pid] = sender.holder.split(':');
  await row.getByText(`${host} · pid ${pid}`).waitFor();
  assert.equal(await row.locator(`code[title="${sender.holder}"]`).count(), 1);
  assert.equal(await row.getByText('(this instance)').count(), sender.held_here ? 1 : 0, JSON.stringify(sender));
  await screenshot(page, 'overview-cluster');
  assert.deepEqual(seen.errors, [], 'no console error');
});
