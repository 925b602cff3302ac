import { AsporaError } from '@aspora/sdk';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names are interpolated into DDL and connection options, so accept plain identifiers only. */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) {
    throw new AsporaError('BAD_REQUEST', `invalid schema name "${name}"`, {
      hint: 'use lower-case letters, digits and underscores (e.g. aspora or aspora_test_1)',
    });
  }
  return `"${name}"`;
}
