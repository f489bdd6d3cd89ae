/** POST /v2/alert_events/http/{alert_source_config_id}: incident.io's HTTP alert source endpoint. */
import type { AlertEventInput } from './alert-store.ts';
import { authenticateAlertSource, readCredential } from './auth.ts';
import { readJsonBody } from './body.ts';
import { withHeaders, type Route } from './context.ts';
import { fieldError, ok, validationError } from './errors.ts';
import { unknownFields, validate } from './schema.ts';

const PAYLOAD = 'AlertEventsCreateHTTPPayloadV2';

export const alertEventRoutes: Route[] = [
  {
    method: 'POST',
    url: '/v2/alert_events/http/:alert_source_config_id',
    handle(ctx, req) {
      const sourceId = req.params['alert_source_config_id'] ?? '';
      const credential = readCredential(req.headers.authorization, req.query.first('token'));
      const auth = authenticateAlertSource(ctx.state, sourceId, credential);
      if (!auth.ok) return auth.rejection;
      const source = auth.value;
      req.record.authenticated_as = `alert_source:${source.id}`;

      const limited = ctx.alertEventLimiter.check(source.id, source.name);
      if (limited) return limited;
      const headers = () => ctx.alertEventLimiter.headers(source.id);

      const body = readJsonBody(req.headers['content-type'], req.body);
      if (!body.ok) return withHeaders(body.rejection, headers());
      req.record.body = body.value;

      const errors = validate(PAYLOAD, body.value);
      const payload = body.value as Partial<AlertEventInput> | null;
      // Optional in the schema, but "for newly created HTTP sources, this field is required".
      if (isObject(payload) && (payload.deduplication_key === undefined || payload.deduplication_key === '')) {
        errors.push(
          fieldError(
            'is_required',
            'deduplication_key is required for HTTP alert sources: send a stable key derived from what the alert is, and the same key again to resolve it',
            'deduplication_key',
          ),
        );
      }
      if (errors.length > 0) return withHeaders(validationError(errors), headers());

      const event = body.value as AlertEventInput;
      req.record.ignored_fields = unknownFields(PAYLOAD, event);
      ctx.alertEventLimiter.take(source.id);
      const outcome = ctx.state.alerts.apply(source.id, event);
      req.record.effect = outcome.effect;
      if (outcome.effect !== 'no_active_alert') req.record.notes.push(`alert ${outcome.alert.id}`);
      return ok(
        { status: 'success', message: 'Event accepted for processing', deduplication_key: event.deduplication_key },
        202,
        headers(),
      );
    },
  },
];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
