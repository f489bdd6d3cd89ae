import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StormObserver } from '../delivery/storm.ts';
import type { DeliveryObserver } from '../delivery/worker.ts';
import type { IngestResultKind } from '../domain/lifecycle.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The /metrics registry. Queue depth is read from the database at scrape time, so every instance reports the truth. */
export class Metrics implements DeliveryObserver, StormObserver {
  readonly registry = new Registry();
  private readonly ingested = new Counter({ name: 'tocsin_ingested_alerts_total', help: 'Alerts received, by source and result', labelNames: ['source', 'result'], registers: [this.registry] });
  private readonly rejected = new Counter({ name: 'tocsin_ingest_rejected_total', help: 'Ingest requests refused, by source and HTTP status', labelNames: ['source', 'status'], registers: [this.registry] });
  private readonly deliveries = new Counter({ name: 'tocsin_delivery_attempts_total', help: 'Delivery attempts, by destination and outcome (delivered, retry, failed)', labelNames: ['destination', 'outcome'], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'tocsin_delivery_latency_seconds',
    help: 'Time of one delivery attempt to a destination',
    labelNames: ['destination'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly waits = new Counter({ name: 'tocsin_rate_limit_waits_total', help: 'Times a destination waited for its client-side rate limit', labelNames: ['destination'], registers: [this.registry] });
  private readonly waitSeconds = new Counter({ name: 'tocsin_rate_limit_wait_seconds_total', help: 'Time spent waiting for the client-side rate limit', labelNames: ['destination'], registers: [this.registry] });
  private readonly unrouted = new Counter({ name: 'tocsin_unrouted_alerts_total', help: 'New alert episodes that no route matched (kept, delivered nowhere)', labelNames: ['source'], registers: [this.registry] });
  private readonly unknownDestination = new Counter({
    name: 'tocsin_unknown_destination_total',
    help: 'Requests naming a destination that is not configured (routed by the routes instead)',
    labelNames: ['source'],
    registers: [this.registry],
  });
  // Prometheus' and Alertmanager's own names, so the usual "config reload failed" alert rules work unchanged.
  private readonly reloadOk = new Gauge({ name: 'tocsin_config_last_reload_successful', help: 'Whether the last configuration reload succeeded (1) or was refused (0)', registers: [this.registry] });
  private readonly reloadAt = new Gauge({ name: 'tocsin_config_last_reload_success_timestamp_seconds', help: 'When the configuration was last loaded successfully (start or reload)', registers: [this.registry] });
  private readonly stormActive = new Gauge({ name: 'tocsin_storm_active', help: 'Whether a destination is in storm mode (1): its summary alert is firing', labelNames: ['destination'], registers: [this.registry] });
  private readonly storms = new Counter({ name: 'tocsin_storms_total', help: 'Storms that began, by destination (each sent one summary alert)', labelNames: ['destination'], registers: [this.registry] });
  private readonly sending = new Gauge({
    name: 'tocsin_destination_sender',
    help: "Whether this instance is the destination's sender now (1): it holds the destination's lease among the instances on the database",
    labelNames: ['destination'],
    registers: [this.registry],
  });
  private readonly takeovers = new Counter({ name: 'tocsin_destination_takeovers_total', help: "Times this instance took a destination's lease over from another holder that stopped renewing it or died", labelNames: ['destination'], registers: [this.registry] });
  private readonly down = new Gauge({
    name: 'tocsin_destination_down',
    help: 'Whether the destination is down as this instance sends to it (1): refused, reset, timed out or 5xx; probed with one delivery at a time until it answers',
    labelNames: ['destination'],
    registers: [this.registry],
  });
  readonly queueDepth: Gauge;

  constructor(collectQueue: () => Promise<{ destination: string; status: string; n: number }[]>) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'tocsin_build_info', help: 'Always 1; the labels say which tocsin and Node.js are running', labelNames: ['version', 'node_version'], registers: [this.registry] })
      .set({ version, node_version: process.version }, 1);
    this.configLoaded(true, Date.now());
    const depth = new Gauge({
      name: 'tocsin_delivery_queue',
      help: 'Deliveries by destination and status (pending, in_flight, dead, orphaned, muted)',
      labelNames: ['destination', 'status'],
      registers: [this.registry],
      async collect() {
        depth.reset();
        for (const r of await collectQueue()) depth.set({ destination: r.destination, status: r.status }, r.n);
      },
    });
    this.queueDepth = depth;
  }

  ingest(source: string, result: IngestResultKind): void {
    this.ingested.inc({ source, result });
  }

  unroutedAlert(source: string): void {
    this.unrouted.inc({ source });
  }

  unknownDestinationNamed(source: string): void {
    this.unknownDestination.inc({ source });
  }

  /** A start or reload: success moves the timestamp; a refused reload leaves it at the last good one. */
  configLoaded(ok: boolean, atMs: number): void {
    this.reloadOk.set(ok ? 1 : 0);
    if (ok) this.reloadAt.set(atMs / 1000);
  }

  reject(source: string, status: number): void {
    this.rejected.inc({ source, status: String(status) });
  }

  attempt(destination: string, outcome: string, latencyMs: number): void {
    this.deliveries.inc({ destination, outcome });
    this.latency.observe({ destination }, latencyMs / 1000);
  }

  stormState(destination: string, active: boolean, started: boolean): void {
    this.stormActive.set({ destination }, active ? 1 : 0);
    if (started) this.storms.inc({ destination });
  }

  senderState(destination: string, held: boolean, tookOver: boolean): void {
    this.sending.set({ destination }, held ? 1 : 0);
    if (tookOver) this.takeovers.inc({ destination });
  }

  destinationDown(destination: string, down: boolean): void {
    this.down.set({ destination }, down ? 1 : 0);
  }

  rateLimitWait(destination: string, ms: number): void {
    this.waits.inc({ destination });
    this.waitSeconds.inc({ destination }, ms / 1000);
  }
}
