// Server types, locations and images checked against what the API offers before anything is
// made, so a typo fails with a suggestion instead of a half-made server.
import type { HcloudClient } from './api/client';
import { closest } from '../generator/did-you-mean';
import { HcloudError } from './api/errors';
import { defaults, type ServerOptions } from './server-options';
import type { Image, Location, ServerType } from './api/types';
import { Fail } from '../contract/fail';

function unknown(what: string, wanted: string, names: string[]): Fail {
  const suggestion = closest(wanted, names);
  return new Fail(
    `unknown ${what} "${wanted}"` + (suggestion ? `; did you mean "${suggestion}"?` : `; known: ${names.join(', ')}`),
    2,
  );
}

export async function resolveServerType(client: HcloudClient, name: string): Promise<ServerType> {
  const types = await client.serverTypes.list();
  const found = types.find((t) => t.name === name);
  if (!found)
    throw unknown(
      'server type',
      name,
      types.filter((t) => !t.deprecated).map((t) => t.name),
    );
  if (found.deprecated)
    throw new Fail(`server type "${name}" is deprecated; pick another (hcloud server-type list)`, 2);
  return found;
}

export async function resolveLocation(client: HcloudClient, name: string, type: ServerType): Promise<Location> {
  const locations = await client.locations.list();
  const found = locations.find((l) => l.name === name);
  if (!found)
    throw unknown(
      'location',
      name,
      locations.map((l) => l.name),
    );
  if (!type.locations.some((l) => l.name === name)) {
    throw new Fail(
      `server type "${type.name}" is not offered in ${name}; it is in: ${type.locations.map((l) => l.name).join(', ')}`,
      2,
    );
  }
  return found;
}

/** A system image by name for the type's architecture, or a snapshot by ID. */
export async function resolveImage(client: HcloudClient, ref: string, type: ServerType): Promise<Image> {
  const image = /^\d+$/.test(ref)
    ? await client.images.get(Number(ref)).catch((error) => {
        if (error instanceof HcloudError && error.status === 404) throw new Fail(`no image with ID ${ref}`, 2);
        throw error;
      })
    : (await client.images.list({ name: ref, architecture: type.architecture }))[0];
  if (!image) {
    const names = [
      ...new Set(
        (await client.images.list({ type: 'system', architecture: type.architecture })).map((i) => i.name ?? ''),
      ),
    ];
    throw unknown(`${type.architecture} image`, ref, names.filter(Boolean));
  }
  if (image.architecture !== type.architecture) {
    throw new Fail(`image ${ref} is for ${image.architecture}, server type ${type.name} is ${type.architecture}`, 2);
  }
  return image;
}

/** The type, location and image a server is made with, the defaults filled in, all checked. */
export async function resolveServerSpec(
  client: HcloudClient,
  wanted: Pick<ServerOptions, 'type' | 'location' | 'image'>,
): Promise<{ type: ServerType; location: Location; image: Image }> {
  const type = await resolveServerType(client, wanted.type ?? defaults.type);
  const location = await resolveLocation(client, wanted.location ?? defaults.location, type);
  return { type, location, image: await resolveImage(client, wanted.image ?? defaults.image, type) };
}
