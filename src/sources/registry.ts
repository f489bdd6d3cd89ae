import { alertsSource } from './alerts/alerts.ts';
import type { SourceType } from './types.ts';

/** Every source type tocsin knows, by its config `type`. */
export const sourceTypes: Record<string, SourceType<any>> = {
  [alertsSource.type]: alertsSource,
};
