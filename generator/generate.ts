// The library entry: config file -> config -> plan -> user-data. Returns results; never prints.
import type { Config } from './config/schema';
import { formatDiagnostics, type Diagnostic, type Source } from './config/diagnostics';
import { Fail } from '../contract/fail';
import type { Plan } from '../contract/plan';
import { loadConfig } from './config/load';
import { plan as makePlan } from './plan';
import { readPayload, render, SizeError, type RenderOptions, type Rendered } from './render';
import { costText, piecesAdvice, sizeBreakdown } from './size';
import { payloadDigest } from './pack';

export class ConfigError extends Fail {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly source: Source,
  ) {
    super(`${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'} in the config`, 2);
  }

  override describe({ color }: { color: boolean }): string {
    return formatDiagnostics(this.diagnostics, this.source, { color });
  }
}

export interface GenerateOptions extends Pick<RenderOptions, 'hostKey' | 'payload'> {
  /** path to firstboot.yaml; the built-in defaults when absent */
  config?: string;
  /** extra public key files (the CLI's --ssh-key) */
  sshKeys?: string[];
  mode?: Plan['mode'];
  /** the npm registry the server fetches the payload's pinned packages from; npm's public one when absent */
  registry?: string;
  /** the Hetzner image the server runs, when known: a config it cannot run is an error */
  image?: string;
  /**
   * where the server fetches the payload's pieces the user-data leaves out: "npm" or a base URL; none:
   * it carries them all
   */
  piecesFrom?: string;
}

export interface Generated extends Rendered {
  config: Config;
  plan: Plan;
  configHash: string;
}

export async function configAndPlan(
  options: Pick<GenerateOptions, 'config' | 'sshKeys' | 'mode' | 'registry' | 'image' | 'piecesFrom' | 'payload'> & {
    secrets?: boolean;
  },
): Promise<{ config: Config; plan: Plan }> {
  const { config, diagnostics, source } = await loadConfig({
    file: options.config,
    sshKeys: options.sshKeys,
    image: options.image,
  });
  if (diagnostics.length > 0 || !config) throw new ConfigError(diagnostics, source);
  const plan = makePlan(config, { mode: options.mode, secrets: options.secrets, registry: options.registry });
  if (!options.piecesFrom) return { config, plan };
  // the digest of this build's pieces: the server takes only exactly these
  return {
    config,
    plan: { ...plan, pieces: { from: options.piecesFrom, digest: payloadDigest(options.payload ?? readPayload()) } },
  };
}

export async function generate(options: GenerateOptions = {}): Promise<Generated> {
  // a private host key in the user-data is a secret: the plan then shuts non-root out of the metadata service
  const { config, plan } = await configAndPlan({ ...options, secrets: !!options.hostKey });
  try {
    return { ...render(plan, options), config, plan, configHash: plan.configHash };
  } catch (err) {
    if (err instanceof SizeError) {
      err.costs = costText(sizeBreakdown(plan, options));
      if (!plan.pieces) err.advice = piecesAdvice(plan.firstboot, plan.npm.registry);
    }
    throw err;
  }
}
