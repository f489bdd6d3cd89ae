import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Structured JSON logs. Secrets never reach a log line: tocsin never logs config or headers, and these redact paths
 * are the second line of defence should a future log call pass one by mistake.
 */
export const REDACT_PATHS = [
  'authorization',
  'token',
  'api_key',
  'admin_token',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.api_key',
  '*.admin_token',
  'headers.authorization',
  'req.headers.authorization',
  'config.*.token',
  'config.*.api_key',
  // Database passwords, signing secrets, chat webhook URLs (a pg connection config carries `connectionString`). Not
  // `url`: tocsin logs its own listen URL and incident.io's, which are not secret.
  'password',
  'secret',
  'webhook_url',
  'connectionString',
  '*.password',
  '*.secret',
  '*.webhook_url',
  '*.connectionString',
];

export function createLogger(level: string, stream?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tocsin' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream ?? pino.destination({ dest: 1, sync: false }),
  );
}
