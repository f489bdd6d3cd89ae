import { alertmanagerSource } from './alertmanager/alertmanager.ts';
import { alertsSource } from './alerts/alerts.ts';
import { dbtSource } from './dbt/dbt.ts';
import { grafanaSource } from './grafana/grafana.ts';
import { logsSource } from './logs/logs.ts';
import type { AnySourceType } from './types.ts';
import { versusSource } from './versus/versus.ts';
import { webhookSource } from './webhook/webhook.ts';

/**
 * Every source type tocsin knows, by its config `type`. Parsers may be async: callers await `parse`.
 * A null-prototype object: `type: constructor` (or `toString`, `__proto__`) in a config is an unknown type, not
 * the Object function found on every plain object (the loader then threw a TypeError instead of naming the key).
 */
export const sourceTypes: Record<string, AnySourceType> = Object.assign(Object.create(null) as Record<string, AnySourceType>, {
  [alertsSource.type]: alertsSource,
  [alertmanagerSource.type]: alertmanagerSource,
  [dbtSource.type]: dbtSource,
  [grafanaSource.type]: grafanaSource,
  [logsSource.type]: logsSource,
  [versusSource.type]: versusSource,
  [webhookSource.type]: webhookSource,
});
