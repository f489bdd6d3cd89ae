import type { FieldProblem, ParseOutcome } from '../domain/errors.ts';

/**
 * AWS SNS messages as SNS posts them to an HTTP/HTTPS subscription (pure: no I/O). Notifications carry alerts and go
 * to the source's parser; the two control messages are handled by tocsin itself (src/sns/confirm.ts).
 * Formats: https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
 */

export type SnsControlType = 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
const CONTROL_TYPES: readonly string[] = ['SubscriptionConfirmation', 'UnsubscribeConfirmation'];

export interface SnsControlMessage {
  Type: SnsControlType;
  MessageId: string;
  Token: string;
  TopicArn: string;
  Message: string;
  SubscribeURL: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
}

/** The fields of a Notification that its signature covers (Subject only when SNS sent one). */
export interface SnsNotificationFields {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
}

const CONTROL_FIELDS = ['MessageId', 'Token', 'TopicArn', 'Message', 'SubscribeURL', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether a request is an SNS control message: SNS says so in `x-amz-sns-message-type`, and a body posted without
 * that header (replayed by hand, or through a proxy that drops it) says so by its `Type` next to a `TopicArn`.
 * Anything else, SNS Notifications included, is an alert payload for the source's parser.
 */
export function isSnsControl(body: unknown, messageTypeHeader: string | undefined): boolean {
  if (messageTypeHeader !== undefined && CONTROL_TYPES.includes(messageTypeHeader)) return true;
  return isObject(body) && typeof body.Type === 'string' && CONTROL_TYPES.includes(body.Type) && 'TopicArn' in body;
}

/** The control message's fields, each a non-empty string as SNS always sends them, or what is missing. */
export function readSnsControl(body: unknown): ParseOutcome<SnsControlMessage> {
  if (!isObject(body)) return { ok: false, problems: [{ field: '(body)', message: 'an SNS message is a JSON object' }] };
  const problems: FieldProblem[] = [];
  if (typeof body.Type !== 'string' || !CONTROL_TYPES.includes(body.Type)) {
    problems.push({ field: 'Type', message: 'must be SubscriptionConfirmation or UnsubscribeConfirmation (x-amz-sns-message-type says so)' });
  }
  for (const f of CONTROL_FIELDS) {
    if (typeof body[f] !== 'string' || body[f] === '') problems.push({ field: f, message: 'required: a non-empty string, as SNS sends it' });
  }
  if (problems.length) return { ok: false, problems };
  const pick = Object.fromEntries(['Type', ...CONTROL_FIELDS].map((f) => [f, body[f]]));
  return { ok: true, value: pick as unknown as SnsControlMessage };
}

/**
 * The string SNS signs: `name\nvalue\n` for each signed field in this fixed order (byte order of the names).
 * Notifications: Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type.
 * SubscriptionConfirmation and UnsubscribeConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token,
 * TopicArn, Type.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message-verify-message-signature.html
 */
export function canonicalString(m: SnsControlMessage | SnsNotificationFields): string {
  const pairs: [string, string | undefined][] =
    m.Type === 'Notification'
      ? [['Message', m.Message], ['MessageId', m.MessageId], ['Subject', m.Subject], ['Timestamp', m.Timestamp], ['TopicArn', m.TopicArn], ['Type', m.Type]]
      : [['Message', m.Message], ['MessageId', m.MessageId], ['SubscribeURL', m.SubscribeURL], ['Timestamp', m.Timestamp], ['Token', m.Token], ['TopicArn', m.TopicArn], ['Type', m.Type]];
  return pairs
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => `${k}\n${v}\n`)
    .join('');
}

/**
 * SNS's own endpoints: `sns.<region>.amazonaws.com`, and `.amazonaws.com.cn` in the China partition (as AWS's own
 * message validators accept). The region part is anchored, so `sns.evil.com`, `sns.us-east-1.amazonaws.com.evil.net`
 * and `evil-amazonaws.com` are refused.
 */
const SNS_HOST = /^sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com(?:\.cn)?$/;

/** A URL {@link trustedSnsUrl} accepted: the only kind src/sns/fetch.ts will request. */
export type SnsUrl = URL & { readonly __checkedSnsUrl: true };
export type TrustedUrl = { ok: true; url: SnsUrl } | { ok: false; message: string };

/**
 * Whether tocsin may fetch this URL from a message: https, an SNS host, its default port, no credentials; a signing
 * certificate ends in `.pem`, a subscribe URL is a ConfirmSubscription call. The host is checked before any
 * connection is made: a message can never make tocsin call anywhere but AWS SNS.
 */
export function trustedSnsUrl(raw: string, kind: 'certificate' | 'subscribe'): TrustedUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'not a URL' };
  }
  const where = `https://sns.<region>.amazonaws.com/`;
  if (url.protocol !== 'https:') return { ok: false, message: `must be an https URL on ${where} (got ${url.protocol})` };
  if (!SNS_HOST.test(url.hostname)) return { ok: false, message: `must be on ${where}; host ${url.hostname} is not AWS SNS` };
  if (url.port !== '' || url.username !== '' || url.password !== '') return { ok: false, message: `must be on ${where} with no port or credentials` };
  if (kind === 'certificate' && !url.pathname.endsWith('.pem')) return { ok: false, message: 'a signing certificate URL ends in .pem' };
  if (kind === 'subscribe' && url.searchParams.get('Action') !== 'ConfirmSubscription') return { ok: false, message: 'must be a ConfirmSubscription call (Action=ConfirmSubscription)' };
  return { ok: true, url: url as SnsUrl };
}

/** A value from SNS's XML answers (`<SubscriptionArn>…</SubscriptionArn>`, `<Code>…</Code>`), for the log. */
export function xmlValue(xml: string, element: string): string | undefined {
  const m = new RegExp(`<${element}>([^<]{1,512})</${element}>`).exec(xml);
  return m?.[1]?.trim() || undefined;
}
