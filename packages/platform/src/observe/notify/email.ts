/**
 * Email over SMTP (nodemailer): a plain-text and an HTML body. The password is read from the vault
 * at each send, so a rotated secret takes effect without a restart.
 */
import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { AsporaError } from '@aspora/sdk';
import type { SecretVault } from '../../secrets/secrets.ts';
import type { NotifiersConfig } from '../../config/platform-file.ts';
import { facts, statusWord } from './post-json.ts';
import { DEFAULT_TIMEOUT_MS, type DestinationOf, type Notice, type Notifier } from './types.ts';

export type SmtpConfig = NonNullable<NotifiersConfig['email']>;

const html = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

export function emailSubject(n: Notice): string {
  return `[${statusWord(n)}] ${oneLine(n.title)}`;
}

export function emailText(n: Notice): string {
  const rows = facts(n).map(([k, v]) => `${k}: ${v}`);
  const links = (n.links ?? []).map((l) => `${l.label}: ${l.url}`);
  return [
    `${statusWord(n)}: ${n.title}`,
    '',
    n.text,
    '',
    ...rows,
    ...(links.length ? ['', ...links] : []),
    '',
    `Alert key ${n.key} · ${n.at}`,
    '',
  ].join('\n');
}

export function emailHtml(n: Notice): string {
  const colour =
    n.status === 'resolved'
      ? '#2e7d32'
      : n.severity === 'critical' || n.severity === 'error'
        ? '#c62828'
        : n.severity === 'warning'
          ? '#ef6c00'
          : '#1565c0';
  const rows = facts(n)
    .map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${html(k)}</th><td>${html(v)}</td></tr>`)
    .join('');
  const links = (n.links ?? []).map((l) => `<a href="${html(l.url)}">${html(l.label)}</a>`).join(' · ');
  return [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="color:${colour};margin:0 0 8px">${statusWord(n)}: ${html(n.title)}</h2>`,
    `<p style="white-space:pre-wrap">${html(n.text)}</p>`,
    `<table>${rows}</table>`,
    links ? `<p>${links}</p>` : '',
    `<p style="color:#777;font-size:12px">Alert key ${html(n.key)} · ${html(n.at)}</p>`,
    '</body></html>',
  ].join('\n');
}

export class EmailNotifier implements Notifier<'email'> {
  readonly channel = 'email' as const;

  constructor(
    private readonly smtp: SmtpConfig,
    private readonly vault: SecretVault,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  async send(n: Notice, to: DestinationOf<'email'>): Promise<void> {
    if (to.to.length === 0)
      throw new AsporaError('CONFIG_INVALID', 'an email notice needs at least one recipient', {
        hint: 'set the team email list or notifiers.email.to',
      });
    const transport = nodemailer.createTransport({
      host: this.smtp.host,
      port: this.smtp.port,
      secure: this.smtp.secure,
      auth: this.auth(),
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
    // A thread per alert: mail clients group a key's firing and resolved messages under one
    // (never sent) parent id.
    const thread = `<alert-${createHash('sha256').update(n.key).digest('hex').slice(0, 32)}@aspora>`;
    try {
      await transport.sendMail({
        from: this.smtp.from,
        to: to.to,
        subject: emailSubject(n),
        text: emailText(n),
        html: emailHtml(n),
        references: thread,
        headers: { 'X-Aspora-Alert-Key': n.key, 'X-Aspora-Alert-Status': n.status },
      });
    } catch (e) {
      throw smtpError(e, `${this.smtp.host}:${this.smtp.port}`);
    } finally {
      transport.close();
    }
  }

  private auth(): { user: string; pass: string } | undefined {
    if (!this.smtp.user) return undefined;
    const secret = this.smtp.password_secret;
    if (!secret)
      throw new AsporaError('CONFIG_INVALID', 'notifiers.email.user is set but password_secret is not', {
        hint: 'name the vault secret holding the SMTP password in notifiers.email.password_secret',
      });
    const pass = this.vault.get(secret);
    if (pass === undefined)
      throw new AsporaError('CONFIG_INVALID', `the SMTP password secret ${secret} is not in the vault`, {
        hint: `add secrets.${secret} to aspora.platform.yaml, or set ASPORA_SECRET_${secret}`,
      });
    return { user: this.smtp.user, pass };
  }
}

function smtpError(e: unknown, server: string): AsporaError {
  const err = e as Error & { code?: string; responseCode?: number; response?: string };
  const details = {
    channel: 'email',
    server,
    ...(err.code ? { smtp_code: err.code } : {}),
    ...(err.responseCode ? { response_code: err.responseCode } : {}),
  };
  const why = err.response ?? err.message;
  if (err.code === 'EAUTH')
    return new AsporaError('UPSTREAM_ERROR', `SMTP server ${server} refused the login: ${why}`, {
      hint: 'check notifiers.email.user and the password secret',
      details,
      cause: e,
    });
  if (err.code === 'ETIMEDOUT')
    return new AsporaError('TIMEOUT', `SMTP server ${server} did not answer in time: ${why}`, {
      hint: 'check notifiers.email host and port, and that the server is reachable',
      details,
      cause: e,
    });
  if (err.code === 'EENVELOPE')
    return new AsporaError('UPSTREAM_ERROR', `SMTP server ${server} refused the sender or a recipient: ${why}`, {
      hint: 'check notifiers.email.from and the recipient addresses',
      details,
      cause: e,
    });
  return new AsporaError('UPSTREAM_ERROR', `SMTP server ${server}: ${why}`, {
    hint: 'check notifiers.email host, port and secure (true for port 465)',
    details,
    cause: e,
  });
}
