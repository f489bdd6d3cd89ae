import type { EventStatus, JsonObject, Severity } from '../../domain/alert.ts';
import { stableStringify } from '../../domain/identity.ts';
import { notifiedAlertEvent, type NotificationGroup } from '../alertmanager/event.ts';
import { severityFromWord } from '../severity-words.ts';
import { hashKey, isObject, text, type Candidate } from './candidate.ts';

/** Grafana's unified alerting webhook is Alertmanager's format plus Grafana fields (`orgId`, `panelURL`, version "1"). */
export function isGrafana(body: Record<string, unknown>): boolean {
  if ('orgId' in body || String(body.version) === '1') return true;
  return Array.isArray(body.alerts) && body.alerts.some((a) => isObject(a) && ('panelURL' in a || 'dashboardURL' in a || 'silenceURL' in a));
}

const stringMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  return out;
};

/**
 * The alerts of an Alertmanager or Grafana group notification, read leniently (Versus senders are often hand-rolled):
 * a missing fingerprint becomes a hash of the labels, which is what Alertmanager's fingerprint is too, so the alert
 * keeps one identity across firing and resolved.
 */
export function alertGroupCandidates(body: Record<string, unknown>, source: string, severityMap?: Readonly<Record<string, Severity>>): Candidate[] {
  const grafana = isGrafana(body);
  const group: NotificationGroup = {
    receiver: text(body.receiver),
    groupKey: text(body.groupKey),
    externalURL: text(body.externalURL),
    groupLabels: isObject(body.groupLabels) ? stringMap(body.groupLabels) : undefined,
  };
  const groupStatus: EventStatus = body.status === 'resolved' ? 'resolved' : 'firing';
  return (body.alerts as unknown[]).map((raw, i): Candidate => {
    const a = isObject(raw) ? raw : {};
    const labels = stringMap(a.labels);
    const status: EventStatus = a.status === 'resolved' || a.status === 'firing' ? a.status : groupStatus;
    const extra: JsonObject = {};
    if (grafana) {
      for (const [from, to] of [['panelURL', 'panel_url'], ['dashboardURL', 'dashboard_url'], ['silenceURL', 'silence_url']] as const) {
        const url = text(a[from]);
        if (url) extra[to] = url;
      }
      if (body.orgId !== undefined) extra.org_id = body.orgId as JsonObject[string];
    }
    const event = notifiedAlertEvent(
      source,
      {
        status,
        labels,
        annotations: stringMap(a.annotations),
        fingerprint: text(a.fingerprint) ?? hashKey('labels', stableStringify(labels)),
        startsAt: text(a.startsAt),
        generatorURL: text(a.generatorURL) ?? (grafana ? (text(a.panelURL) ?? text(a.dashboardURL)) : undefined),
      },
      group,
      'severity',
      extra,
    );
    // The source's own severity words (severity_map) come first, as for every source type.
    const word = labels.severity;
    const severity = severityFromWord(word, severityMap);
    if (word !== undefined && severity !== undefined) {
      event.severity = severity;
      delete event.metadata.raw_severity;
    }
    const { source: _s, ...rest } = event;
    return { field: `alerts[${i}]`, context: raw, event: rest };
  });
}
