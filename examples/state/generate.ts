/**
 * The seed rows of the ECM team's state tables (examples/state/ecm-ops/<table>.json): the ops
 * spreadsheet's Assignments, Resolutions and Agents tabs as the stand-in's fixtures hold them, so
 * `aspora up` loads the same world into the platform's tables that the Redshift stand-in reports on.
 * Times are fixed at SEED_ANCHOR (a file cannot follow the clock); regenerate after editing
 * examples/services/fixtures/ecm.ts:
 *
 *   npx tsx examples/state/generate.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initialTabs } from '../services/apis/ecm-gateway.ts';
import { buildOrders } from '../services/apis/ecm/orders.ts';
import type { SheetRow } from '../services/apis/ecm/sheets.ts';
import type { Clock } from '../services/types.ts';

export const SEED_ANCHOR = Date.parse('2026-02-16T06:00:00.000Z');

/** Table name (a sheets_access key without `_tab`) → rows. */
export function ecmSeedTables(): Record<'assignments' | 'resolutions' | 'agents', SheetRow[]> {
  const clock: Clock = { now: () => SEED_ANCHOR, anchor: SEED_ANCHOR };
  const tabs = initialTabs(clock, buildOrders(clock));
  return { assignments: tabs.Assignments, resolutions: tabs.Resolutions, agents: tabs.Agents };
}

/** As the formatter (biome) keeps JSON: the files stay unchanged by `biome check --write`. */
export const seedFileText = (rows: SheetRow[]) => `${JSON.stringify(rows, null, 2)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [table, rows] of Object.entries(ecmSeedTables())) {
    const file = fileURLToPath(new URL(`./ecm-ops/${table}.json`, import.meta.url));
    writeFileSync(file, seedFileText(rows));
    process.stdout.write(`${table}: ${rows.length} rows → ${file}\n`);
  }
}
