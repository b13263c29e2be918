// The config layer's public API.
export { loadConfig, type LoadOptions, type LoadResult } from './load';
export { formatDiagnostics, type Diagnostic, type Source, type FormatOptions } from './diagnostics';
export { schema, type Config } from './schema';
export { configHash, canonicalJson } from './hash';
export { jsonSchema } from './json-schema';
export { parseSshPublicKey, type SshPublicKey } from './ssh-key';
export { parseAllow, parseRange, type AllowRule, type PortRange } from './ports';
