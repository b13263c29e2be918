// The Hetzner Cloud client the commands use, with the owner's token.
import { createClient, type HcloudClient } from '../hcloud/api/client';
import { resolveToken, type TokenSources } from './token';

/** A client with the token from HCLOUD_TOKEN, the hcloud CLI's context, or a prompt; `onRetry` hears each retry. */
export async function connect(sources: TokenSources = {}, onRetry?: (message: string) => void): Promise<HcloudClient> {
  const { token, source } = await resolveToken(sources);
  return createClient({ token, tokenSource: source, onRetry });
}
