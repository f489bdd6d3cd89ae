/**
 * A gateway with data for the web UI tests: four sources, a destination that works and one whose token is wrong (its
 * deliveries dead-letter with incident.io's 401 and a hint), routes with a default, and alerts in every state.
 */
import { ADMIN_TOKEN, APP_TOKEN, Emulator, freePort, gatewayConfig, http, startTocsin, tempDir, waitFor, writeConfig, type TocsinProcess } from '../harness.ts';

export const PROM_TOKEN = 'prom-source-token-0123456789';
export const DBT_TOKEN = 'dbt-source-token-0123456789';
export const GRAFANA_TOKEN = 'grafana-source-token-0123456789';
export const WRONG_DESTINATION_TOKEN = 'wrong-alert-source-token-5c1e9b';

export interface Fixture {
  emu: Emulator;
  tocsin: TocsinProcess;
  /** Every secret the gateway knows: none may reach the browser. */
  secrets: Record<string, string>;
  ingest(body: unknown, source?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const emu = await Emulator.start();
  const dir = tempDir('tocsin-ui-');
  const port = await freePort();
  const base = gatewayConfig(emu, dir, port);
  const config = {
    ...base,
    sources: {
      app: { type: 'alerts', token: APP_TOKEN },
      prometheus: { type: 'alertmanager', token: PROM_TOKEN },
      dbt: { type: 'dbt', token: DBT_TOKEN },
      grafana: { type: 'grafana', token: GRAFANA_TOKEN },
    },
    destinations: {
      oncall: base.destinations.oncall,
      broken: { type: 'incident_io_alert_source', alert_source_config_id: emu.source.id, token: WRONG_DESTINATION_TOKEN, base_url: emu.url },
      // Declares test-mode incidents for critical payments alerts: the alert page links the incident.
      incidents: { type: 'incident_io_incidents', api_key: emu.apiKey.key, base_url: emu.url, mode: 'test', severity: { critical: 'Critical', error: 'Major' }, closed_status: 'Closed' },
    },
    routes: [
      { match: { team: 'payments', severity: 'critical' }, to: ['oncall', 'broken', 'incidents'] },
      { match: { team: 'payments' }, to: ['oncall', 'broken'] },
      { match: { severity: 'critical' }, to: ['oncall'] },
      { to: ['oncall'] },
    ],
    delivery: { poll_interval: '100ms', retry_base_delay: '100ms' },
  };
  const tocsin = await startTocsin(writeConfig(dir, config), { port });
  const ingest = async (body: unknown, source = 'app') => {
    const token = { app: APP_TOKEN, prometheus: PROM_TOKEN, dbt: DBT_TOKEN, grafana: GRAFANA_TOKEN }[source]!;
    const r = await http('POST', `${tocsin.url}/ingest/${source}`, { token, body });
    if (r.status !== 202) throw new Error(`ingest: ${r.status} ${r.text}`);
    return r.body.results[0].id as string;
  };
  await ingest({ title: 'Orders API 5xx above 2%', dedup_key: 'orders-5xx', severity: 'critical', description: 'Error rate **2.4 %** over 5 min.', metadata: { team: 'payments', service: 'orders' }, source_url: 'https://grafana.example.com/d/orders' });
  await ingest({ title: 'Disk 91% full on db-2', dedup_key: 'disk-db-2', severity: 'warning', metadata: { team: 'storage', host: 'db-2' } });
  await ingest({ title: 'Nightly export late', dedup_key: 'export', severity: 'info', metadata: { team: 'data' } });
  await ingest({ title: 'Nightly export late', dedup_key: 'export', status: 'resolved' });
  await ingest({ title: '<img src=x onerror=alert(1)> markup in a title', dedup_key: 'markup', severity: 'error', metadata: { team: 'web' } });
  await waitFor('deliveries settled, one dead letter', async () => {
    const d = (await http('GET', `${tocsin.url}/api/v1/deliveries`, { token: ADMIN_TOKEN })).body.deliveries as { status: string }[];
    return d.length >= 6 && d.every((x) => x.status === 'delivered' || x.status === 'dead' || x.status === 'skipped') && d.some((x) => x.status === 'dead');
  }, 20_000);
  return {
    emu,
    tocsin,
    secrets: { ADMIN_TOKEN, APP_TOKEN, PROM_TOKEN, DBT_TOKEN, GRAFANA_TOKEN, WRONG_DESTINATION_TOKEN, EMULATOR_SOURCE_TOKEN: emu.source.token, EMULATOR_API_KEY: emu.apiKey.key },
    ingest,
    async close() {
      await tocsin.kill();
      await emu.close();
    },
  };
}
