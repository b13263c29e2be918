// A fake API and a client pointed at it, with waits shortened and recorded so retry tests are fast
// and can still assert how long the client meant to wait.
import { createClient, type ClientOptions } from '../../generator/hcloud/client';
import { startFakeHcloud, type FakeHcloudOptions } from '../fakes/hcloud-api';

export async function fakeAndClient(fakeOptions: FakeHcloudOptions = {}, clientOptions: Partial<ClientOptions> = {}) {
  const fake = await startFakeHcloud(fakeOptions);
  const waits: number[] = [];
  const client = createClient({
    token: fake.token,
    endpoint: fake.url,
    pollIntervalMs: 5,
    sleep: (ms) => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    },
    ...clientOptions,
  });
  return { fake, client, waits };
}

export const create = { name: 'web-1', server_type: 'cx23', image: 'ubuntu-24.04', location: 'fsn1' } as const;
