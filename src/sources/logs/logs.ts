import type { SourceConfig } from '../../config/load.ts';
import { invalid } from '../../domain/errors.ts';
import { logsOptions, type LogsOptions } from '../../logs/rules/config.ts';
import type { ParsedBatch, SourceType } from '../types.ts';

export const LOGS_TYPE = 'logs';

/**
 * `type: logs`: the body is log events, matched against the source's rules and never stored; only the alerts the rules
 * raise are (src/logs/rules/). Its requests leave the one-event-per-alert path at the ingest route (api/logs-ingest.ts):
 * `parse` is never reached for them, and says so should anything call it.
 */
export const logsSource: SourceType<LogsOptions> = {
  type: LOGS_TYPE,
  options: logsOptions,
  // The rules decide what an alert carries: its metadata holds `rule`, `query`, `matched`, `window_seconds`, `group.*`.
  labelKeys: ['rule', 'query', 'matched', 'window_seconds', 'group.*'],
  parse: () => invalid<ParsedBatch>('(body)', 'a logs source reads log events through its own path; this is a bug in tocsin'),
};

export function isLogsSource(source: SourceConfig | undefined): source is SourceConfig & { options: LogsOptions } {
  return source?.type === LOGS_TYPE;
}
