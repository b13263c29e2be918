// Server types, locations and images checked against what the API offers before anything is
// made, so a typo fails with a suggestion instead of a half-made server.
import type { HcloudClient } from './client';
import { closest } from '../generator/did-you-mean';
import { HcloudError, HcloudInputError } from './errors';
import { defaults, type ServerOptions } from './server-options';
import type { Image, Location, ServerType } from './types';

function unknown(what: string, wanted: string, names: string[]): HcloudInputError {
  const suggestion = closest(wanted, names);
  return new HcloudInputError(
    `unknown ${what} "${wanted}"` + (suggestion ? `; did you mean "${suggestion}"?` : `; known: ${names.join(', ')}`),
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
    throw new HcloudInputError(`server type "${name}" is deprecated; pick another (hcloud server-type list)`);
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
    throw new HcloudInputError(
      `server type "${type.name}" is not offered in ${name}; it is in: ${type.locations.map((l) => l.name).join(', ')}`,
    );
  }
  return found;
}

/** A system image by name for the type's architecture, or a snapshot by ID. */
export async function resolveImage(client: HcloudClient, ref: string, type: ServerType): Promise<Image> {
  const image = /^\d+$/.test(ref)
    ? await client.images.get(Number(ref)).catch((error) => {
        if (error instanceof HcloudError && error.status === 404) throw new HcloudInputError(`no image with ID ${ref}`);
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
    throw new HcloudInputError(
      `image ${ref} is for ${image.architecture}, server type ${type.name} is ${type.architecture}`,
    );
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
