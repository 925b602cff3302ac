export { SkillRegistry, type SkillRegistryOptions } from './skill-registry.ts';
export { OpenAIEmbedder, embeddingText, type Embedder, type OpenAIEmbedderOptions } from './search/embedder.ts';
export { WordVectorEmbedder } from './search/word-vectors.ts';
export { SentenceEncoderEmbedder } from './search/sentence-encoder.ts';
export { parseRef, formatRef, type SkillRef } from './ref.ts';
export { parseSemver, type SemVer } from './semver.ts';
export type { Logger } from './log.ts';
export type * from './types.ts';
