import type { FieldProblem } from '../domain/errors.ts';
import type { SnsHttp } from './fetch.ts';
import { readSnsControl, trustedSnsUrl, type SnsControlType } from './message.ts';
import { verifySnsSignature } from './verify.ts';

/**
 * What tocsin does with an SNS control message that reached an ingest route (after the source's token was
 * checked): verify it was signed by SNS, then confirm a subscription by GET-ting its SubscribeURL, or acknowledge
 * an unsubscribe without doing anything. The outcome carries the HTTP status SNS should get: 4xx for a message that
 * is not an authentic SNS message (no retry will fix it), 503 when AWS could not be reached (SNS retries).
 */
export type SnsControlOutcome =
  | { status: 200; result: 'confirmed' | 'acknowledged'; type: SnsControlType; topicArn: string; messageId: string; subscriptionArn?: string }
  | { status: 400; code: 'invalid_body'; message: string; problems: FieldProblem[] }
  | { status: 400; code: 'sns_untrusted_url' | 'sns_signature_invalid' | 'sns_certificate_unusable'; message: string }
  | { status: 502; code: 'sns_confirmation_refused'; message: string }
  | { status: 503; code: 'sns_unavailable'; message: string };

export async function handleSnsControl(body: unknown, http: SnsHttp, now: () => Date): Promise<SnsControlOutcome> {
  const read = readSnsControl(body);
  if (!read.ok) return { status: 400, code: 'invalid_body', message: `not an SNS subscription message: ${read.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems: read.problems };
  const m = read.value;

  const cert = trustedSnsUrl(m.SigningCertURL, 'certificate');
  if (!cert.ok) return { status: 400, code: 'sns_untrusted_url', message: `SigningCertURL ${cert.message}` };
  // An unsubscribe is only acknowledged: its SubscribeURL (which would re-subscribe) is never called, so not checked.
  const subscribe = m.Type === 'SubscriptionConfirmation' ? trustedSnsUrl(m.SubscribeURL, 'subscribe') : undefined;
  if (subscribe && !subscribe.ok) return { status: 400, code: 'sns_untrusted_url', message: `SubscribeURL ${subscribe.message}` };

  const pem = await http.certificate(cert.url);
  if (!pem.ok) {
    return pem.kind === 'unavailable'
      ? { status: 503, code: 'sns_unavailable', message: `could not fetch the signing certificate to verify the message (${pem.message}); SNS retries` }
      : { status: 400, code: 'sns_certificate_unusable', message: `the signing certificate cannot be used: ${pem.message}` };
  }
  const verified = verifySnsSignature(m, pem.value, now());
  if (!verified.ok) {
    const code = verified.reason === 'bad_signature' || verified.reason === 'unsupported_version' ? 'sns_signature_invalid' : 'sns_certificate_unusable';
    return { status: 400, code, message: `the message was not verified as sent by AWS SNS: ${verified.message}` };
  }

  const done = { status: 200 as const, type: m.Type, topicArn: m.TopicArn, messageId: m.MessageId };
  if (!subscribe) return { ...done, result: 'acknowledged' };
  const confirmed = await http.confirm(subscribe.url);
  if (!confirmed.ok) {
    return confirmed.kind === 'unavailable'
      ? { status: 503, code: 'sns_unavailable', message: `could not confirm the subscription (${confirmed.message}); SNS retries` }
      : { status: 502, code: 'sns_confirmation_refused', message: `AWS refused to confirm the subscription: ${confirmed.message}` };
  }
  return { ...done, result: 'confirmed', subscriptionArn: confirmed.value.subscriptionArn };
}
