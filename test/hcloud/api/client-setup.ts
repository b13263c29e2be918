// What the Hetzner client's tests share: a suite with a fresh fake API and client per test, an HcloudError
// awaited, and the wait a 429 with given headers costs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HcloudError } from '../../../hcloud/api/errors';
import { createClient } from '../../../hcloud/api/client';
import { specLedger } from '../../fakes/openapi-check';
import { fakeAndClient } from '../setup';

export type Context = Awaited<ReturnType<typeof fakeAndClient>>;

/** A client suite: a fresh fake API and client per test; its requests checked against the API description by `spec`. */
export function clientSuite(name: string) {
  const spec = specLedger();
  const test = suite<Context>(name);
  test.before.each(async (context) => {
    Object.assign(context, await fakeAndClient());
  });
  test.after.each(async ({ fake }) => {
    await fake.close();
    // Requests answered by an injected failure never reached a route; the rest must fit the API.
    spec.record(fake.requests, (r) => r.status === 401);
  });
  return { test, spec };
}

export async function rejection(promise: Promise<unknown>): Promise<HcloudError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, HcloudError);
    return error as HcloudError;
  }
  throw new Error('expected a rejection');
}

/** How long the client waits after one 429 with these headers, then a good answer. */
export async function waitAfter429(headers: Record<string, string>): Promise<number[]> {
  const waits: number[] = [];
  let calls = 0;
  const client = createClient({
    token: 't',
    endpoint: 'http://unused.invalid/v1',
    sleep: async (ms) => void waits.push(ms),
    fetch: async () =>
      ++calls === 1
        ? new Response('{"error":{"code":"rate_limit_exceeded","message":"slow down"}}', { status: 429, headers })
        : Response.json({
            locations: [],
            meta: {
              pagination: {
                page: 1,
                per_page: 50,
                next_page: null,
                previous_page: null,
                last_page: 1,
                total_entries: 0,
              },
            },
          }),
  });
  await client.locations.list();
  return waits;
}
