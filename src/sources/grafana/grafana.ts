import { NOTIFICATION_BODY_LIMIT, notificationOptions, parseNotification, type NotificationOptions } from '../alertmanager/notification.ts';
import type { SourceType } from '../types.ts';

export type GrafanaOptions = NotificationOptions;

/**
 * Grafana's webhook contact point (unified alerting, Grafana 8 to 11, version "1"): one event per alert, by its
 * fingerprint, with Grafana's links and values. The same parser as `alertmanager`, so an Alertmanager body (Grafana
 * Cloud's or Mimir's Alertmanager) posted here is read as well.
 */
export const grafanaSource: SourceType<GrafanaOptions> = {
  type: 'grafana',
  options: notificationOptions,
  defaultBodyLimit: NOTIFICATION_BODY_LIMIT,
  parse: (body, ctx) => parseNotification(body, ctx),
};
