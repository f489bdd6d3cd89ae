import type { SourceType } from '../types.ts';
import { NOTIFICATION_BODY_LIMIT, notificationOptions, parseNotification, type NotificationOptions } from './notification.ts';

export type AlertmanagerOptions = NotificationOptions;

/**
 * Prometheus Alertmanager's webhook receiver (`webhook_configs`, format version 4): one event per alert. Grafana's
 * webhook contact point (version 1, the same shape) is read too, as by the `grafana` type.
 */
export const alertmanagerSource: SourceType<AlertmanagerOptions> = {
  type: 'alertmanager',
  options: notificationOptions,
  defaultBodyLimit: NOTIFICATION_BODY_LIMIT,
  parse: (body, ctx) => parseNotification(body, ctx),
};
