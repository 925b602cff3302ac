/**
 * An undici dispatcher whose connections are checked against an AddressPolicy at connect time:
 * an IP literal before the socket is opened, a name through a DNS lookup that checks every address
 * it resolved to — the addresses the socket then uses, so a name that answers public to the
 * allow-list check and private a moment later (DNS rebinding) cannot pass. Every redirect hop opens
 * its connection here too.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { AsporaError } from '@aspora/sdk';
import { Agent, buildConnector } from 'undici';
import type { AddressPolicy } from './address-policy.ts';

/** A connection refused by the address policy; WebFetch turns it into a denial naming the skill. */
export class AddressRefused extends AsporaError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly port: number,
    readonly reason: string,
  ) {
    super('PERMISSION_DENIED', `${address}:${port}${host === address ? '' : ` (${host})`} is ${reason}`, {
      hint: 'a platform admin may allow it under web_fetch.allow_private in aspora.platform.yaml',
    });
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function checkedLookup(policy: AddressPolicy, port: number) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    dnsLookup(
      hostname,
      { family: options.family ?? 0, ...(options.hints !== undefined ? { hints: options.hints } : {}), all: true },
      (err, addresses) => {
        if (err) return callback(err, []);
        for (const a of addresses) {
          const reason = policy.refusal(a.address, port);
          if (reason) return callback(new AddressRefused(hostname, a.address, port, reason), []);
        }
        if (options.all) return callback(null, addresses);
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
        callback(null, first.address, first.family);
      },
    );
  };
}

export function guardedDispatcher(policy: AddressPolicy, opts: { connectTimeoutMs?: number } = {}): Agent {
  // The lookup needs the port (allow_private may name host:port), so one connector per port.
  const connectors = new Map<number, buildConnector.connector>();
  const connectorFor = (port: number) => {
    let c = connectors.get(port);
    if (!c) {
      c = buildConnector({ lookup: checkedLookup(policy, port), timeout: opts.connectTimeoutMs ?? 10_000 });
      connectors.set(port, c);
    }
    return c;
  };
  return new Agent({
    connect: (o, callback) => {
      const port = Number(o.port) || (o.protocol === 'https:' ? 443 : 80);
      const host = o.hostname.replace(/^\[|\]$/g, '');
      // net.connect skips the lookup for an IP literal: check it here.
      if (isIP(host)) {
        const reason = policy.refusal(host, port);
        if (reason) return callback(new AddressRefused(host, host, port, reason), null);
      }
      connectorFor(port)(o, callback);
    },
  });
}
