import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SourceConfig } from '../config/load.ts';
import { handleSnsControl } from '../sns/confirm.ts';
import type { SnsHttp } from '../sns/fetch.ts';
import { ApiError } from './errors.ts';
import type { Gateway } from './gateway.ts';

/**
 * An SNS SubscriptionConfirmation or UnsubscribeConfirmation posted to an ingest route, answered for SNS: 200 with
 * what happened, 4xx for a message SNS did not sign, 503 (with Retry-After) while AWS cannot be reached so that SNS
 * sends it again. Logged without the SubscribeURL, Token or Signature: the URL's token confirms the subscription.
 */
export async function answerSnsControl(request: FastifyRequest, reply: FastifyReply, gw: Gateway, source: SourceConfig, sns: SnsHttp): Promise<FastifyReply> {
  const r = await handleSnsControl(request.body, sns, () => new Date());
  if (r.status === 200) {
    const confirmed = r.result === 'confirmed';
    const message = confirmed
      ? `subscription to ${r.topicArn} confirmed: SNS now delivers its notifications to source ${source.name}`
      : `unsubscribe from ${r.topicArn} acknowledged: nothing changed in tocsin; subscribe again in AWS to receive this topic`;
    const fields = { source: source.name, sns_type: r.type, topic_arn: r.topicArn, message_id: r.messageId, ...(r.subscriptionArn ? { subscription_arn: r.subscriptionArn } : {}) };
    if (confirmed) request.log.info(fields, 'SNS subscription confirmed');
    else request.log.warn(fields, 'SNS subscription removed (UnsubscribeConfirmation); this source gets nothing more from the topic');
    return reply.code(200).send({
      sns: { type: r.type, result: r.result, topic_arn: r.topicArn, ...(r.subscriptionArn ? { subscription_arn: r.subscriptionArn } : {}), message },
    });
  }
  request.log.warn({ source: source.name, code: r.code, status: r.status }, `SNS message not confirmed: ${r.message}`);
  gw.metrics.reject(source.name, r.status);
  const details = r.code === 'invalid_body' ? { problems: r.problems } : undefined;
  throw new ApiError(r.status, r.code, r.message, details, r.status === 503 ? { 'retry-after': '30' } : undefined);
}
