// The labels that mark what firstboot made, so `list` finds its servers and an image can be
// matched to the config that built it.
import type { Labels } from './api/types';

export const versionLabel = 'firstboot-version';
export const configLabel = 'firstboot-config';

/** Hetzner label values: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends. */
function labelSafe(value: string): string {
  const cleaned = value
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned || 'unknown';
}

/** The config hash is 64 hex digits, over the 63 a label holds; 32 (128 bits) tell configs apart. */
export function configHashLabel(configHash: string): string {
  return labelSafe(configHash.slice(0, 32));
}

export function firstbootLabels(version: string, configHash: string, extra: Labels = {}): Labels {
  return { ...extra, [versionLabel]: labelSafe(version), [configLabel]: configHashLabel(configHash) };
}
