import type { ConfigProblem } from '../config/expand.ts';
import type { Config, SourceConfig } from '../config/load.ts';
import type { ClusterView } from '../cluster/view.ts';
import type { IngestOutcome } from '../core/ingest.ts';
import type { ManageOutcome } from '../core/manage.ts';
import type { AckService } from '../ack/actions.ts';
import type { AlertEvent } from '../domain/alert.ts';
import type { AlertRow, Db, DeliveryRow } from '../storage/schema.ts';
import type { Metrics } from './metrics.ts';
import type { HeartbeatApi } from '../heartbeats/service.ts';
import type { MuteService } from '../mute/service.ts';

/** What the HTTP layer needs from the running gateway; app.ts provides it. */
export interface Gateway {
  config(): Config;
  db: Db;
  metrics: Metrics;
  ingest(source: SourceConfig, events: AlertEvent[], destination?: string): Promise<IngestOutcome>;
  retryDelivery(id: number): Promise<ManageOutcome<DeliveryRow>>;
  actOnAlert(id: string, action: 'acknowledge' | 'resolve'): Promise<ManageOutcome<AlertRow>>;
  /** Acknowledge and unacknowledge (API, CLI, signed links): src/ack/. */
  ack: AckService;
  /** Silences and mute state (src/mute/); absent in gateways built for tests that need none. */
  mute?: MuteService;
  /** Heartbeat pings and their state (src/heartbeats/); absent in gateways built for tests of other parts. */
  heartbeats?: HeartbeatApi;
  ready(): Promise<{ ok: boolean; reason?: string }>;
  /** Who sends for which destination (the leases every instance on the database shares). */
  cluster(): Promise<ClusterView>;
  /** Reads the config again from where it came from and applies it (`POST /-/reload`, SIGHUP). */
  reload(trigger: string): Promise<ReloadOutcome>;
}

/** Config keys a reload cannot apply to a running process: a changed one is reported, and kept as it was. */
export type RestartKey = 'listen' | 'storage' | 'request_timeout' | 'cluster';

/** What a reload did. A refused reload changes nothing: the previous config stays in force. */
export type ReloadOutcome =
  | { ok: true; restartRequired: RestartKey[]; warnings: ConfigProblem[] }
  | { ok: false; reason: 'invalid'; problems: ConfigProblem[] }
  | { ok: false; reason: 'not_reloadable' | 'failed'; message: string };
