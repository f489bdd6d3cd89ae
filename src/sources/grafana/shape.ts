/** Recognising Grafana's webhook contact point body (unified alerting, Grafana 8 to 11) and its test notification. */

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Per-alert fields only Grafana sends: Alertmanager's own webhook has none of them. */
const GRAFANA_ALERT_KEYS = ['silenceURL', 'dashboardURL', 'panelURL', 'values', 'valueString', 'imageURL'];

/** For a body without `version`: Grafana's top-level `orgId`, or any alert carrying a Grafana-only field. */
export function looksLikeGrafana(body: Record<string, unknown>): boolean {
  if ('orgId' in body) return true;
  return Array.isArray(body.alerts) && body.alerts.some((a) => isObject(a) && GRAFANA_ALERT_KEYS.some((k) => k in a));
}

/**
 * Grafana's "Test" button sends one made-up alert under a group key of its own, `<integration>-<fingerprint>-<unix
 * time>`; every real notification's group key is a route path of label sets (`{}/{...}:{...}`). Without a group key
 * (hand-made payloads), Grafana's default test alert is known by its labels and summary.
 */
const TEST_GROUP_KEY = /-[0-9a-f]{16}-\d+$/;

export function isTestNotification(groupKey: string | undefined, alerts: readonly unknown[]): boolean {
  if (groupKey) return !groupKey.includes('{') && TEST_GROUP_KEY.test(groupKey);
  return alerts.length === 1 && isDefaultTestAlert(alerts[0]);
}

function isDefaultTestAlert(a: unknown): boolean {
  if (!isObject(a) || !isObject(a.labels) || !isObject(a.annotations)) return false;
  const names = Object.keys(a.labels).sort().join(',');
  return names === 'alertname,instance' && a.labels.alertname === 'TestAlert' && a.labels.instance === 'Grafana' && a.annotations.summary === 'Notification test';
}

/** What the answer to a test notification says (it is accepted, so Grafana's Test button shows success). */
export const TEST_NOTIFICATION_WARNING =
  'a Grafana test notification: recorded as fired and resolved at once, not sent on (Grafana never resolves a test, ' +
  'so it would stay firing in incident.io for ever). Test the incident.io side with `tocsin test-connection <destination>`';
