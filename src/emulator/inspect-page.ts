/** GET /_emulator/: one self-contained HTML page (no scripts, no external assets) for a sandbox user. */
import type { AlertRecord } from './alert-store.ts';

export interface InspectPageData {
  alerts: readonly AlertRecord[];
  incidents: readonly Record<string, unknown>[];
  alertSources: readonly { id: string; name: string; alert_events_url: string }[];
  requestCount: number;
  paused: boolean;
  /** A `status` outage in progress (a `refuse` one takes this page down too). */
  outage?: { status?: number; ends_at: string } | null;
}

export function escapeHtml(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const field = (record: Record<string, unknown>, key: string): unknown => record[key];
const nested = (record: Record<string, unknown>, key: string, inner: string): unknown => {
  const value = record[key];
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[inner] : undefined;
};

function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '<p class="empty">None yet.</p>';
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function renderInspectPage(data: InspectPageData): string {
  const alerts = [...data.alerts].reverse().map((a) => [a.status, a.title, a.deduplication_key, a.alert_source_id, a.events, a.created_at, a.resolved_at ?? '', a.metadata]);
  const incidents = [...data.incidents]
    .reverse()
    .map((i) => [field(i, 'reference'), field(i, 'name'), nested(i, 'incident_status', 'name'), nested(i, 'severity', 'name') ?? '', field(i, 'mode'), field(i, 'created_at'), field(i, 'idempotency_key')]);
  const sources = data.alertSources.map((s) => [s.name, s.id, s.alert_events_url]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>tocsin · incident.io emulator</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1c1c1c}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
td{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}.empty{color:#777}.paused{color:#b00}
</style></head><body>
<h1>incident.io emulator</h1>
<p>${data.requestCount} request(s) received.${data.paused ? ' <strong class="paused">Paused: requests are being held.</strong>' : ''}${data.outage ? ` <strong class="paused">Down: every API request is answered ${data.outage.status ?? 503} until ${data.outage.ends_at}.</strong>` : ''} JSON: <code>/_emulator/alerts</code>, <code>/_emulator/incidents</code>, <code>/_emulator/requests</code>. Refreshes every 5 s.</p>
<h2>Alerts (${data.alerts.length})</h2>
${table(['status', 'title', 'deduplication_key', 'alert source', 'events', 'created_at', 'resolved_at', 'metadata'], alerts)}
<h2>Incidents (${data.incidents.length})</h2>
${table(['reference', 'name', 'status', 'severity', 'mode', 'created_at', 'idempotency_key'], incidents)}
<h2>Alert sources</h2>
${table(['name', 'id', 'alert events URL'], sources)}
</body></html>
`;
}
