// The fake Hetzner Cloud API's servers (hcloud-api.ts): create with Hetzner's checks on its input, get,
// list and delete, and the actions on a server (power, change of type, image), refused with 423 while
// another of its actions runs.
import { randomBytes } from 'node:crypto';
import type { Image, Server } from '../../hcloud/api/types';
import { datacenterOf, locations, serverTypes } from './hcloud-catalogue';
import {
  byNameOrId,
  checkLabels,
  fail,
  invalid,
  listReply,
  notFound,
  ok,
  uniqueness,
  type Handler,
  type On,
  type Reply,
} from './hcloud-replies';
import { newId, now, startAction, userDataLimit, type FakeServer, type FakeState } from './hcloud-state';

function serverJson(s: FakeServer) {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created,
    labels: s.labels,
    server_type: s.serverType,
    location: s.location,
    datacenter: datacenterOf(s.location),
    image: s.image,
    public_net: {
      ipv4: { id: s.id + 500_000, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4}.clients.your-server.de` },
      ipv6: { id: s.id + 600_000, ip: s.ipv6, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: s.firewalls.map((id) => ({ id, status: 'applied' })),
    },
    private_net: [],
    iso: null,
    rescue_enabled: false,
    locked: false,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: 21990232555520,
    protection: { delete: false, rebuild: false },
    volumes: [],
    load_balancers: [],
    primary_disk_size: s.serverType.disk,
    placement_group: null,
  };
}

export function serverRoutes(state: FakeState, on: On) {
  on('GET', '/servers', ({ query }) =>
    listReply('servers', [...state.servers.values()].map(serverJson), query, ['name', 'status']),
  );
  on('GET', '/servers/{id}', ({ params }) => {
    const s = state.servers.get(params[0]!);
    return s ? ok({ server: serverJson(s) }) : notFound('server', params[0]!);
  });
  on('POST', '/servers', ({ body }) => createServerReply(body));
  on('DELETE', '/servers/{id}', ({ params }) => {
    const s = state.servers.get(params[0]!);
    if (!s) return notFound('server', params[0]!);
    s.status = 'deleting';
    const action = startAction(state, 'delete_server', [{ id: s.id, type: 'server' }], {
      success: () => state.servers.delete(s.id),
    });
    return ok({ action });
  });
  on('GET', '/servers/{id}/actions/{id}', ({ params }) => {
    const action = state.actions.get(params[1]!);
    return action && action.resources.some((r) => r.id === params[0]) ? ok({ action }) : notFound('action', params[1]!);
  });

  /** Hetzner answers 423 locked to an action on a server while another of its actions runs. */
  const locked = (id: number) =>
    [...state.actions.values()].some(
      (a) => a.status === 'running' && a.resources.some((r) => r.type === 'server' && r.id === id),
    )
      ? fail(423, 'locked', 'server is locked: another action is running')
      : undefined;

  function powerAction(command: string, during: Server['status'], after: Server['status']): Handler {
    return ({ params }) => {
      const s = state.servers.get(params[0]!);
      if (!s) return notFound('server', params[0]!);
      const busy = locked(s.id);
      if (busy) return busy;
      const before = s.status;
      s.status = during;
      const action = startAction(state, command, [{ id: s.id, type: 'server' }], {
        success: () => (s.status = after),
        error: () => (s.status = before),
      });
      return ok({ action }, 201);
    };
  }
  on('POST', '/servers/{id}/actions/poweron', powerAction('start_server', 'starting', 'running'));
  on('POST', '/servers/{id}/actions/poweroff', powerAction('stop_server', 'stopping', 'off'));
  // Hetzner's shutdown action only sends ACPI; the fake's guest obeys unless a test says otherwise.
  on('POST', '/servers/{id}/actions/shutdown', (request) =>
    state.ignoringAcpi
      ? powerAction('shutdown_server', 'running', 'running')(request)
      : powerAction('shutdown_server', 'stopping', 'off')(request),
  );

  on('POST', '/servers/{id}/actions/change_type', ({ params, body }) => {
    const s = state.servers.get(params[0]!);
    if (!s) return notFound('server', params[0]!);
    if (typeof body?.server_type !== 'string') return invalid('server_type', 'Missing data for required field.');
    if (typeof body?.upgrade_disk !== 'boolean') return invalid('upgrade_disk', 'Missing data for required field.');
    const type = byNameOrId(serverTypes, body.server_type);
    if (!type) return invalid('server_type', `server type ${body.server_type} not found`);
    const busy = locked(s.id);
    if (busy) return busy;
    if (s.status !== 'off') return fail(409, 'server_not_stopped', 'the action requires a stopped server');
    if (type.architecture !== s.serverType.architecture || type.disk < s.serverType.disk) {
      return fail(422, 'invalid_server_type', `server type ${type.name} does not fit for this server`);
    }
    s.status = 'migrating';
    const action = startAction(state, 'change_server_type', [{ id: s.id, type: 'server' }], {
      success: () => {
        s.serverType = type;
        s.status = 'off';
      },
      error: () => (s.status = 'off'),
    });
    return ok({ action }, 201);
  });

  on('POST', '/servers/{id}/actions/create_image', ({ params, body }) => {
    const s = state.servers.get(params[0]!);
    if (!s) return notFound('server', params[0]!);
    const type = body?.type ?? 'snapshot';
    if (type !== 'snapshot' && type !== 'backup') return invalid('type', 'must be snapshot or backup');
    const labelProblem = checkLabels(body?.labels);
    if (labelProblem) return labelProblem;
    const busy = locked(s.id);
    if (busy) return busy;
    const image: Image & Record<string, unknown> = {
      id: newId(state),
      type,
      status: 'creating',
      name: null,
      description: body?.description ?? `image of ${s.name}`,
      architecture: s.serverType.architecture,
      os_flavor: s.image.os_flavor,
      os_version: s.image.os_version,
      created: now(),
      created_from: { id: s.id, name: s.name },
      image_size: null,
      disk_size: s.serverType.disk,
      deprecated: null,
      labels: body?.labels ?? {},
      bound_to: type === 'backup' ? s.id : null,
      deleted: null,
      protection: { delete: false },
      rapid_deploy: false,
    };
    state.images.set(image.id, image);
    const action = startAction(
      state,
      'create_image',
      [
        { id: s.id, type: 'server' },
        { id: image.id, type: 'image' },
      ],
      {
        success: () => {
          image.status = 'available';
          image.image_size = 1.2;
        },
        // A failed snapshot leaves nothing behind on Hetzner either.
        error: () => state.images.delete(image.id),
      },
    );
    return ok({ image, action }, 201);
  });

  function createServerReply(body: any): Reply {
    if (typeof body?.name !== 'string' || body.name === '') return invalid('name', 'Missing data for required field.');
    // Like Hetzner, take references as names or IDs, and IDs as numbers too (the hcloud CLI sends them so).
    for (const field of ['server_type', 'image', 'location']) {
      if (typeof body[field] === 'number') body[field] = String(body[field]);
      if (field !== 'location' && (typeof body[field] !== 'string' || body[field] === '')) {
        return invalid(field, 'Missing data for required field.');
      }
    }
    if (!/^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(body.name))
      return invalid('name', 'invalid hostname');
    const type = byNameOrId(serverTypes, body.server_type);
    if (!type) return invalid('server_type', `server type ${body.server_type} not found`);
    const location = body.location === undefined ? locations[0]! : byNameOrId(locations, body.location);
    if (!location) return invalid('location', `location ${body.location} not found`);
    if (!type.locations.some((l) => l.id === location.id)) {
      return fail(412, 'resource_unavailable', `server type ${type.name} is not available in ${location.name}`);
    }
    const image = /^\d+$/.test(body.image)
      ? state.images.get(Number(body.image))
      : [...state.images.values()].find((i) => i.name === body.image && i.architecture === type.architecture);
    if (!image || image.status !== 'available') return invalid('image', `image ${body.image} not found`);
    if (image.architecture !== type.architecture) return invalid('image', 'image and server type architectures differ');
    if (body.user_data !== undefined && typeof body.user_data !== 'string')
      return invalid('user_data', 'Not a valid string.');
    if (typeof body.user_data === 'string' && Buffer.byteLength(body.user_data) > userDataLimit) {
      return invalid('user_data', `Longer than maximum length ${userDataLimit}.`);
    }
    const keyIds: number[] = [];
    for (const ref of body.ssh_keys ?? []) {
      const key = [...state.sshKeys.values()].find((k) => k.name === ref || String(k.id) === String(ref));
      if (!key) return invalid('ssh_keys', `SSH key ${ref} not found`);
      keyIds.push(key.id);
    }
    const firewallIds: number[] = [];
    for (const ref of body.firewalls ?? []) {
      if (!state.firewalls.has(ref?.firewall)) return invalid('firewalls', `firewall ${ref?.firewall} not found`);
      firewallIds.push(ref.firewall);
    }
    const labelProblem = checkLabels(body.labels);
    if (labelProblem) return labelProblem;
    if ([...state.servers.values()].some((s) => s.name === body.name))
      return uniqueness('name', 'server name is already used');

    const id = newId(state);
    const n = state.addressCounter++;
    const server: FakeServer = {
      id,
      name: body.name,
      status: 'initializing',
      created: now(),
      labels: body.labels ?? {},
      serverType: type,
      location,
      image,
      ipv4: `192.0.2.${10 + (n % 240)}`,
      ipv6: `2001:db8:${(n + 1).toString(16)}::/64`,
      userData: body.user_data,
      sshKeys: keyIds,
      firewalls: firewallIds,
    };
    state.servers.set(id, server);
    const start = body.start_after_create !== false;
    const action = startAction(state, 'create_server', [{ id, type: 'server' }], {
      success: () => {
        if (server.status === 'initializing') server.status = start ? 'starting' : 'off';
      },
      error: () => state.servers.delete(id),
    });
    const nextActions = start
      ? [
          startAction(
            state,
            'start_server',
            [{ id, type: 'server' }],
            { success: () => (server.status = 'running') },
            1,
          ),
        ]
      : [];
    if (state.options.onServerCreated)
      state.hooks.push(Promise.resolve(state.options.onServerCreated(server, body.user_data)));
    return ok(
      {
        server: serverJson(server),
        action,
        next_actions: nextActions,
        root_password: keyIds.length ? null : randomBytes(12).toString('base64url'),
      },
      201,
    );
  }
}
