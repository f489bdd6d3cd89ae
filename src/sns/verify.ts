import { X509Certificate, verify } from 'node:crypto';
import { canonicalString, type SnsControlMessage, type SnsNotificationFields } from './message.ts';

/**
 * Checks an SNS message's signature against the signing certificate's PEM: a pure function of the message, the
 * certificate and the time (no I/O; fetching the certificate is src/sns/fetch.ts's job).
 * SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA, both over {@link canonicalString}.
 */

export type VerifyOutcome = { ok: true } | { ok: false; reason: 'unsupported_version' | 'bad_certificate' | 'expired_certificate' | 'bad_signature'; message: string };

const ALGORITHMS: Record<string, string> = { '1': 'sha1', '2': 'sha256' };

type Signed = (SnsControlMessage | SnsNotificationFields) & { SignatureVersion: string; Signature: string };

export function verifySnsSignature(message: Signed, certificatePem: string, now: Date): VerifyOutcome {
  const algorithm = ALGORITHMS[message.SignatureVersion];
  if (!algorithm) return { ok: false, reason: 'unsupported_version', message: `SignatureVersion ${JSON.stringify(message.SignatureVersion)} is not one SNS uses (1 or 2)` };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificatePem);
  } catch {
    return { ok: false, reason: 'bad_certificate', message: 'the signing certificate is not a PEM X.509 certificate' };
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') return { ok: false, reason: 'bad_certificate', message: 'the signing certificate does not hold an RSA key, as SNS signatures need' };
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) {
    return { ok: false, reason: 'expired_certificate', message: `the signing certificate is valid from ${cert.validFrom} to ${cert.validTo}, not now` };
  }
  const signature = Buffer.from(message.Signature, 'base64');
  let valid = false;
  try {
    valid = verify(algorithm, Buffer.from(canonicalString(message), 'utf8'), cert.publicKey, signature);
  } catch {
    valid = false; // a malformed signature is no valid one
  }
  return valid ? { ok: true } : { ok: false, reason: 'bad_signature', message: 'the signature does not match the message: it was not signed by SNS, or was changed after' };
}
