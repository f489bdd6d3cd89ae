/**
 * The two ways incident.io authenticates. The alert events endpoint takes the alert source's own
 * secret token (Bearer, Basic with the token as password, or `?token=`); every other endpoint takes
 * an organisation API key as a Bearer token. Messages say what went wrong, never the secret.
 */
import {
  insufficientPermissions,
  invalidAuthorization,
  missingAuthorization,
  notFound,
  type Rejection,
} from './errors.ts';
import type { AlertSource, ApiKey, EmulatorState } from './state.ts';

export type Credential =
  | { kind: 'none' }
  | { kind: 'malformed' }
  | { kind: 'secret'; via: 'bearer' | 'basic' | 'query'; secret: string };

export function readCredential(authorization: string | undefined, queryToken: string | undefined): Credential {
  const header = authorization?.trim();
  if (header) {
    const space = header.indexOf(' ');
    const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : header.slice(space + 1).trim();
    if (scheme === 'bearer') return value ? { kind: 'secret', via: 'bearer', secret: value } : { kind: 'none' };
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const password = colon === -1 ? decoded : decoded.slice(colon + 1);
      return password ? { kind: 'secret', via: 'basic', secret: password } : { kind: 'none' };
    }
    return { kind: 'malformed' };
  }
  if (queryToken) return { kind: 'secret', via: 'query', secret: queryToken };
  return { kind: 'none' };
}

export type Authenticated<T> = { ok: true; value: T } | { ok: false; rejection: Rejection };

export function authenticateAlertSource(state: EmulatorState, sourceId: string, credential: Credential): Authenticated<AlertSource> {
  if (credential.kind === 'none') return { ok: false, rejection: missingAuthorization() };
  const source = state.alertSource(sourceId);
  if (!source) return { ok: false, rejection: notFound(`No alert source with ID '${sourceId.slice(0, 100)}' exists`) };
  if (credential.kind === 'malformed') {
    return {
      ok: false,
      rejection: invalidAuthorization("Unsupported Authorization scheme: send the alert source's secret token as Bearer, as Basic (token as the password), or as ?token="),
    };
  }
  if (credential.secret === source.token) return { ok: true, value: source };
  let hint = '';
  if (state.apiKey(credential.secret)) {
    hint = ': this is an organisation API key, but alert events need the alert source’s own secret token';
  } else if (state.alertSourceByToken(credential.secret)) {
    hint = ': this is the secret token of a different alert source (each token is scoped to one source)';
  }
  return { ok: false, rejection: invalidAuthorization(`The token does not match this alert source${hint}`) };
}

export function authenticateApiKey(state: EmulatorState, credential: Credential, scope: string): Authenticated<ApiKey> {
  if (credential.kind === 'none') return { ok: false, rejection: missingAuthorization() };
  if (credential.kind === 'malformed' || credential.via !== 'bearer') {
    return { ok: false, rejection: invalidAuthorization('Send the API key as Authorization: Bearer <API key>') };
  }
  const key = state.apiKey(credential.secret);
  if (!key) {
    const hint = state.alertSourceByToken(credential.secret)
      ? ': this is an alert source secret token, which only works for sending alert events to that source'
      : '';
    return { ok: false, rejection: invalidAuthorization(`The API key is not valid${hint}`) };
  }
  if (!key.scopes.includes(scope)) return { ok: false, rejection: insufficientPermissions(scope) };
  return { ok: true, value: key };
}
