import { Gauge, type Registry } from 'prom-client';
import type { SelfHeartbeatStatus } from './self.ts';
import type { HeartbeatView } from './view.ts';

/**
 * Heartbeats on /metrics, read from the database at scrape time (as the queue depths are), so every instance reports
 * the same: `tocsin_heartbeat_up{heartbeat}` (1 waiting or up, 0 late or down) and
 * `tocsin_heartbeat_last_ping_timestamp_seconds{heartbeat}`; this instance's
 * `tocsin_self_heartbeat_last_ping_timestamp_seconds`.
 */
export function registerHeartbeatMetrics(registry: Registry, list: () => Promise<{ heartbeats: HeartbeatView[]; self_heartbeat: SelfHeartbeatStatus | null }>): void {
  let latest: Promise<Awaited<ReturnType<typeof list>> | undefined> | undefined;
  // One read per scrape, shared by the three gauges (each collects on its own).
  const read = () => (latest ??= list().catch(() => undefined).finally(() => setTimeout(() => (latest = undefined), 100)));
  new Gauge({
    name: 'tocsin_heartbeat_up',
    help: 'Per heartbeat: 1 while pinged within its period (or still in its first one), 0 once missed',
    labelNames: ['heartbeat'],
    registers: [registry],
    async collect() {
      const r = await read();
      this.reset();
      for (const h of r?.heartbeats ?? []) this.set({ heartbeat: h.name }, h.status === 'up' || h.status === 'waiting' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tocsin_heartbeat_last_ping_timestamp_seconds',
    help: "Per heartbeat: when its last ping arrived (absent before the first)",
    labelNames: ['heartbeat'],
    registers: [registry],
    async collect() {
      const r = await read();
      this.reset();
      for (const h of r?.heartbeats ?? []) if (h.last_ping_at) this.set({ heartbeat: h.name }, Date.parse(h.last_ping_at) / 1000);
    },
  });
  new Gauge({
    name: 'tocsin_self_heartbeat_last_ping_timestamp_seconds',
    help: 'When this instance last pinged its incident.io heartbeat (self_heartbeat; absent until it has)',
    registers: [registry],
    async collect() {
      const r = await read();
      this.reset();
      if (r?.self_heartbeat?.last_ping_at) this.set(r.self_heartbeat.last_ping_at / 1000);
    },
  });
}
