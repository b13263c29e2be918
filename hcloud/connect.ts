import { createClient, type HcloudClient } from './client';
import { resolveToken, type TokenSources } from './token';

/** A client with the token from HCLOUD_TOKEN, the hcloud CLI's context, or a prompt. */
export async function connect(sources: TokenSources = {}): Promise<HcloudClient> {
  const { token, source } = await resolveToken(sources);
  return createClient({ token, tokenSource: source });
}
