import type { AlertEvent, JsonObject, JsonValue, Severity } from '../../domain/alert.ts';
import { alertTitle, notifiedAlertEvent, titleFromLabels, type NotificationGroup, type NotifiedAlert } from '../alertmanager/event.ts';
import { httpUrl } from '../http-url.ts';

/** What Grafana adds to an Alertmanager-shaped alert (unified alerting's webhook contact point). */
export interface GrafanaFields {
  orgId?: number | string;
  silenceURL?: string;
  dashboardURL?: string;
  panelURL?: string;
  imageURL?: string;
  values?: JsonObject;
  valueString?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/**
 * Grafana's own per-alert fields, read leniently: they are passed along, never relied on, so an odd value is dropped
 * rather than the alert refused. Grafana leaves unset URLs as "" and `values` as null.
 */
export function grafanaFields(raw: unknown, bodyOrgId: unknown): GrafanaFields {
  const a = isObject(raw) ? raw : {};
  const out: GrafanaFields = {};
  const orgId = a.orgId ?? bodyOrgId;
  if (typeof orgId === 'number' || typeof orgId === 'string') out.orgId = orgId;
  for (const key of ['silenceURL', 'dashboardURL', 'panelURL', 'imageURL'] as const) {
    const url = httpUrl(text(a[key]));
    if (url !== undefined) out[key] = url;
  }
  if (isObject(a.values)) {
    const values: JsonObject = {};
    for (const [k, v] of Object.entries(a.values)) if (typeof v === 'number' || typeof v === 'string') values[k] = v;
    if (Object.keys(values).length) out.values = values;
  }
  const valueString = text(a.valueString);
  if (valueString !== undefined) out.valueString = valueString;
  return out;
}

/**
 * Metadata that changes from one notification of the same alert to the next: the query values of the latest
 * evaluation, a dashboard link whose time range ends "now", a fresh screenshot. Sent, but a repeat that differs only
 * in them is not an update (each would be one more event in incident.io every repeat interval).
 */
const VOLATILE = ['values', 'value_string', 'dashboard_url', 'panel_url', 'image_url'];

/** Grafana's alerts for a rule whose query returned nothing or failed carry the rule's title as `rulename`. */
const DATASOURCE_ALERTS: Record<string, string> = { DatasourceNoData: 'no data', DatasourceError: 'data source error' };

function grafanaTitle(alert: NotifiedAlert, severityLabel: string): string {
  // The folder names where the rule lives, not which instance fires: it would only lengthen every title.
  const skip = [severityLabel, 'grafana_folder'];
  const name = alert.labels.alertname ?? '';
  // Own keys only: an alertname such as "toString" is a rule's name, not a function to put in the title.
  const what = Object.hasOwn(DATASOURCE_ALERTS, name) ? DATASOURCE_ALERTS[name] : undefined;
  const rule = alert.labels.rulename;
  if (what && rule && !alert.annotations.summary?.trim()) {
    return titleFromLabels(alert.labels, [...skip, 'rulename', 'datasource_uid', 'ref_id'], `${rule}: ${what}`);
  }
  return alertTitle(alert, skip);
}

export interface GrafanaEventOptions {
  severityLabel: string;
  severityMap?: Readonly<Record<string, Severity>> | undefined;
  /** Part of a test notification (grafana/shape.ts): fired and resolved at once, so it never stays open. */
  test: boolean;
}

/**
 * One Grafana alert as tocsin events: the Alertmanager reading (labels by name, fingerprint, summary, generatorURL as
 * the link) plus Grafana's links and values in the metadata. A test alert becomes a firing and a resolve of the same
 * key in one request: recorded, and, being resolved before its first delivery, never sent.
 */
export function grafanaAlertEvents(source: string, alert: NotifiedAlert, fields: GrafanaFields, group: NotificationGroup, opts: GrafanaEventOptions): AlertEvent[] {
  const extra: JsonObject = {};
  const put = (key: string, value: JsonValue | undefined) => {
    if (value !== undefined) extra[key] = value;
  };
  put('org_id', fields.orgId);
  put('silence_url', fields.silenceURL);
  put('dashboard_url', fields.dashboardURL);
  put('panel_url', fields.panelURL);
  put('image_url', fields.imageURL);
  put('values', fields.values);
  put('value_string', fields.valueString);
  if (opts.test) extra.test_notification = true;

  const event = notifiedAlertEvent(source, alert, group, opts.severityLabel, extra, opts.severityMap);
  event.title = grafanaTitle(alert, opts.severityLabel);
  const volatile = VOLATILE.filter((k) => k in extra);
  if (volatile.length) event.volatile = volatile;
  return opts.test ? [{ ...event, status: 'firing' }, { ...event, status: 'resolved' }] : [event];
}
