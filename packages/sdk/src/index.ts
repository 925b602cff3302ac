export * from './errors/index.ts';
export * from './config/schema.ts';
export { parseDurationMs, parseSizeMb } from './config/units.ts';
export { normalizeResourceGlob, KNOWN_MODEL_ALIASES } from './config/checks.ts';
export { resourceGlobSource, ResourceGlobError, MAX_RESOURCE_GLOB_LENGTH } from './config/resource-glob.ts';
export {
  NOT_ACTED_ON,
  NOT_ACTED_ON_MESSAGE,
  DESCRIPTIVE,
  findNotActedOn,
  notActedOnWarnings,
  type NotActedOn,
} from './config/not-acted-on.ts';
export { checkAgainstOffers, type PlatformOffers } from './config/platform-offers.ts';
export { validateYaml, formatPath } from './yaml/validate.ts';
export {
  parseSkillMd,
  SkillMdFrontmatterSchema,
  type SkillMd,
  type SkillMdFrontmatter,
} from './skillmd/frontmatter.ts';
export * from './bundle/validate.ts';
export * from './bundle/search-text.ts';
export * from './handler/types.ts';
export { configJsonSchema, CONFIG_SCHEMA_ID } from './config/json-schema.ts';
export { closest } from './yaml/suggest.ts';
export {
  parseRowRule,
  resolveRowRule,
  rowMatches,
  stateTableName,
  ownershipPart,
  cellText,
  RowRuleError,
  ROW_RULE_LIMITS,
  USER_FIELDS,
  type RowRule,
  type RuleTerm,
  type ResolvedRule,
  type ResolvedTerm,
  type RuleUser,
} from './config/row-rule.ts';
