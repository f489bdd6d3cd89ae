/**
 * Sorting an SMTP attempt (nodemailer's result or error) into delivered / retry / failed. SMTP's own rule: a 4xx reply
 * is transient (try again later), a 5xx reply permanent. Connection trouble is retried; a login refused, a
 * certificate that does not verify and a server that will not do TLS when asked are configuration, hence final.
 */
import type { SendOutcome } from '../types.ts';

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

const RECONFIGURE = 'then reload tocsin and retry this delivery.';

/** The server's reply, cut, on one line: it may quote an address, never the password (it is never sent in a reply). */
const reply = (e: SmtpError) => (e.response ?? e.message ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);

export function classifySmtpError(e: SmtpError): SendOutcome {
  const code = e.responseCode;
  const said = reply(e);
  const error = `${code ? `SMTP ${code}` : (e.code ?? 'SMTP error')}${said ? `: ${said}` : ''}`;
  const base = code ? { statusCode: code, responseExcerpt: said } : {};
  if (e.code === 'EAUTH') {
    if (code !== undefined && code >= 400 && code < 500) return { kind: 'retry', error, ...base };
    return { kind: 'failed', error, hint: `The SMTP server refused the login: check username and password (password or password_file) for this server, ${RECONFIGURE}`, ...base };
  }
  if (/certificate|self[- ]signed|unable to verify|altnames|CERT_/i.test(`${e.message ?? ''} ${e.code ?? ''}`)) {
    return { kind: 'failed', error, hint: `The SMTP server's TLS certificate does not verify: check host is the name on its certificate; for a private certificate authority set ca (or ca_file), ${RECONFIGURE}` };
  }
  if (e.command === 'STARTTLS' || (/STARTTLS/i.test(e.message ?? '') && (e.code === 'ETLS' || e.code === 'ESOCKET' || e.code === 'EPROTOCOL'))) {
    return { kind: 'failed', error: `STARTTLS refused — ${error}`, hint: `The SMTP server does not offer STARTTLS: use tls: implicit (port 465) if it speaks TLS from the start, or tls: none only for a relay on a trusted network, ${RECONFIGURE}` };
  }
  if (code !== undefined && code >= 500) {
    const hint =
      e.code === 'EENVELOPE'
        ? `The SMTP server refused the sender or a recipient (${said || code}): check from and to, and that this server may send as from, ${RECONFIGURE}`
        : `The SMTP server refused the message for good (${code}): its reply says why; fix that, ${RECONFIGURE}`;
    return { kind: 'failed', error, hint, ...base };
  }
  // 4xx replies (greylisting, a full queue, too many connections), timeouts, refused or dropped connections, DNS.
  return { kind: 'retry', error, ...base };
}
