/**
 * The examples' people, as `aspora up` adds them so that seed 003's day can be tried at once
 * (`aspora send "my tickets" --as sarah@aspora.com`): `<examples>/people.json`, a JSON array of
 * { email, name, team, role }. Only people the platform does not know yet are added (a restart or
 * an operator's change of a role is never undone); a missing team is created. Bounded and never
 * read through a link, like every folder the platform reads.
 */
import { z } from 'zod';
import { EmailSchema, RoleSchema, TeamNameSchema } from '@aspora/api';
import { readBounded } from '../state/seed.ts';
import type { Directory } from './directory.ts';

const PeopleFile = z
  .array(
    z.strictObject({
      email: EmailSchema,
      name: z.string().min(1).max(200).optional(),
      team: TeamNameSchema,
      role: RoleSchema,
    }),
  )
  .max(1_000);

export interface PeopleSeedResult {
  added: string[];
  /** Already known: left as they are. */
  kept: number;
}

export async function seedPeople(directory: Directory, file: string): Promise<PeopleSeedResult> {
  let text: string;
  try {
    text = await readBounded(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { added: [], kept: 0 };
    throw e;
  }
  const parsed = PeopleFile.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  const out: PeopleSeedResult = { added: [], kept: 0 };
  for (const p of parsed.data) {
    if (await directory.userByEmail(p.email)) {
      out.kept++;
      continue;
    }
    if (!(await directory.teamExists(p.team))) await directory.createTeam(p.team);
    await directory.addUser({ email: p.email, name: p.name, team: p.team, role: p.role });
    out.added.push(p.email);
  }
  return out;
}
