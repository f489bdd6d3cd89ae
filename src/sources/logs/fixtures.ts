/**
 * Request bodies as each log shipper sends them, written from their documentation (shared by the unit and e2e tests).
 * Each holds the same two events: an `error` of service `payments` in region `eu`, and an `info` of `search`.
 */

/** Fluent Bit `[OUTPUT] name http, format json`: one JSON array of records, each with `date` (json_date_key, double). */
export const fluentBitJson = JSON.stringify([
  { date: 1733100000.123456, log: 'payment failed: card declined', level: 'error', service: 'payments', region: 'eu' },
  { date: 1733100000.5, log: 'query served', level: 'info', service: 'search', region: 'us' },
]);

/** Fluent Bit `format json_lines`: one record per line (Content-Type application/x-ndjson since 3.0). */
export const fluentBitJsonLines =
  '{"date":1733100000.123456,"log":"payment failed: card declined","level":"error","service":"payments","region":"eu"}\n' +
  '{"date":1733100000.5,"log":"query served","level":"info","service":"search","region":"us"}\n';

/** Vector `type: http, encoding.codec: json, framing.method: newline_delimited`. */
export const vectorNdjson =
  '{"host":"web-1","message":"payment failed: card declined","level":"error","service":"payments","region":"eu","source_type":"file","timestamp":"2026-12-02T01:00:00.123Z"}\n' +
  '{"host":"web-2","message":"query served","level":"info","service":"search","region":"us","source_type":"file","timestamp":"2026-12-02T01:00:00.500Z"}';

/** Vector `encoding.codec: json` without framing: the batch as one JSON array. */
export const vectorArray = `[${vectorNdjson.split('\n').join(',')}]`;

/** Logflare's ingest API: `{"batch": [...]}`, the message in `event_message` (or `message`), fields under `metadata`. */
export const logflareBatch = JSON.stringify({
  batch: [
    { event_message: 'payment failed: card declined', metadata: { level: 'error', service: 'payments', region: 'eu' } },
    { message: 'query served', metadata: { level: 'info', service: 'search', region: 'us' } },
  ],
});

/** Every format above, by name, with the Content-Type its shipper sends. */
export const FORMATS: readonly { name: string; body: string; contentType: string }[] = [
  { name: 'Fluent Bit json', body: fluentBitJson, contentType: 'application/json' },
  { name: 'Fluent Bit json_lines', body: fluentBitJsonLines, contentType: 'application/x-ndjson' },
  { name: 'Vector newline_delimited', body: vectorNdjson, contentType: 'application/x-ndjson' },
  { name: 'Vector json array', body: vectorArray, contentType: 'application/json' },
  { name: 'Logflare batch', body: logflareBatch, contentType: 'application/json' },
];
