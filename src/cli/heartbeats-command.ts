import type { Command } from 'commander';
import { call } from './http-client.ts';
import { adminToken, withAdmin, type AdminOptions } from './options.ts';
import { output, shortTime } from './output.ts';
import { table, terminalWidth } from './table.ts';

interface HeartbeatItem {
  name: string;
  status: string;
  every: string;
  last_ping_at: string | null;
  due_at: string | null;
  pings: number;
  alert: { id: string; state: string } | null;
  watchdog: { source: string; alertname: string } | null;
  forward: { to: string; last_forwarded_at: string | null; last_error: string | null } | null;
}

interface SelfStatus {
  to: string;
  every_ms: number;
  last_ping_at: number | null;
  last_error: string | null;
  skipped: string | null;
}

const COLUMNS = [
  { key: 'name', keep: true },
  { key: 'status', keep: true },
  'every',
  { key: 'last_ping', header: 'LAST PING' },
  'due',
  { key: 'pings', drop: 2 },
  { key: 'alert', drop: 1 },
  { key: 'via', flex: true, drop: 3 },
];

function rows(items: HeartbeatItem[]) {
  return items.map((h) => ({
    name: h.name,
    status: h.status,
    every: h.every,
    last_ping: h.last_ping_at ? shortTime(h.last_ping_at) : 'never',
    due: h.due_at ? shortTime(h.due_at) : '-',
    pings: h.pings,
    alert: h.alert ? `${h.alert.id} (${h.alert.state})` : '-',
    via: [h.watchdog ? `${h.watchdog.alertname} from ${h.watchdog.source}` : '', h.forward ? `→ ${h.forward.to}${h.forward.last_error ? ` (failing: ${h.forward.last_error})` : ''}` : ''].filter(Boolean).join('; ') || '-',
  }));
}

/** `tocsin heartbeats`: each heartbeat's state, last ping and due time (GET /api/v1/heartbeats), and the self heartbeat. */
export function registerHeartbeatsCommand(program: Command): void {
  withAdmin(program.command('heartbeats'))
    .description("heartbeats (dead man's switches): state, last ping, when the next one is due")
    .action(async (o: AdminOptions) => {
      const r = await call<{ heartbeats: HeartbeatItem[]; self_heartbeat: SelfStatus | null }>(o, 'GET', '/api/v1/heartbeats', adminToken(o));
      output(o.json, r.body, () => {
        const lines = [r.body.heartbeats.length ? table(rows(r.body.heartbeats), COLUMNS, terminalWidth()) : 'no heartbeats configured'];
        const s = r.body.self_heartbeat;
        if (s) {
          const state = s.skipped ? `not pinging: ${s.skipped}` : s.last_error ? `failing: ${s.last_error}` : s.last_ping_at ? `last ping ${String(shortTime(new Date(s.last_ping_at).toISOString()))}` : 'no ping yet';
          lines.push('', `self heartbeat (this instance) → ${s.to}: ${state}`);
        }
        return lines.join('\n');
      });
    });
}
