// The fake Hetzner Cloud API's other resources (hcloud-api.ts): actions, SSH keys, images, firewalls
// (with Hetzner's checks on their rules), server types and locations.
import type { Firewall, FirewallRule, SshKey } from '../../hcloud/api/types';
import { locations, serverTypes } from './hcloud-catalogue';
import {
  checkLabels,
  fail,
  invalid,
  listReply,
  md5Fingerprint,
  notFound,
  ok,
  uniqueness,
  type On,
} from './hcloud-replies';
import { newId, now, startAction, type FakeState } from './hcloud-state';

export function resourceRoutes(state: FakeState, on: On) {
  /** Hetzner's checks on firewall rules, as far as firstboot's requests can meet them */
  const badRules = (rules: FirewallRule[]) => {
    for (const rule of rules) {
      if (!['in', 'out'].includes(rule.direction)) return invalid('rules', 'direction must be in or out');
      if (!['tcp', 'udp', 'icmp', 'esp', 'gre'].includes(rule.protocol)) return invalid('rules', 'unknown protocol');
      if ((rule.protocol === 'tcp' || rule.protocol === 'udp') && !rule.port)
        return invalid('rules', 'port is required for tcp and udp');
      if (rule.direction === 'in' && !rule.source_ips?.length)
        return invalid('rules', 'source_ips is required for direction in');
    }
    return undefined;
  };
  const storedRule = (rule: FirewallRule): FirewallRule => ({
    description: null,
    port: null,
    source_ips: [],
    destination_ips: [],
    ...rule,
  });

  // the actions asked for by id, and no pagination: the one list the description gives no meta
  on('GET', '/actions', ({ query }) =>
    ok({
      actions: query
        .getAll('id')
        .map((id) => state.actions.get(Number(id)))
        .filter(Boolean),
    }),
  );
  on('GET', '/actions/{id}', ({ params }) => {
    const action = state.actions.get(params[0]!);
    return action ? ok({ action }) : notFound('action', params[0]!);
  });

  on('GET', '/ssh_keys', ({ query }) =>
    listReply('ssh_keys', [...state.sshKeys.values()], query, ['name', 'fingerprint']),
  );
  on('GET', '/ssh_keys/{id}', ({ params }) => {
    const key = state.sshKeys.get(params[0]!);
    return key ? ok({ ssh_key: key }) : notFound('ssh_key', params[0]!);
  });
  on('DELETE', '/ssh_keys/{id}', ({ params }) =>
    state.sshKeys.delete(params[0]!) ? { status: 204 } : notFound('ssh_key', params[0]!),
  );
  on('POST', '/ssh_keys', ({ body }) => {
    if (typeof body?.name !== 'string' || !body.name) return invalid('name', 'Missing data for required field.');
    if (typeof body?.public_key !== 'string') return invalid('public_key', 'Missing data for required field.');
    const fingerprint = md5Fingerprint(body.public_key);
    if (!fingerprint) return invalid('public_key', 'invalid public key');
    const labelProblem = checkLabels(body.labels);
    if (labelProblem) return labelProblem;
    const taken = [...state.sshKeys.values()];
    if (taken.some((k) => k.name === body.name)) return uniqueness('name', 'SSH key with the same name already exists');
    if (taken.some((k) => k.fingerprint === fingerprint)) {
      return uniqueness('public_key', 'SSH key with the same fingerprint already exists');
    }
    const key: SshKey = {
      id: newId(state),
      name: body.name,
      fingerprint,
      public_key: body.public_key.trim(),
      labels: body.labels ?? {},
      created: now(),
    };
    state.sshKeys.set(key.id, key);
    return ok({ ssh_key: key }, 201);
  });

  on('GET', '/images', ({ query }) => {
    let list = [...state.images.values()];
    for (const field of ['type', 'architecture', 'status'] as const) {
      const wanted = query.getAll(field);
      if (wanted.length) list = list.filter((i) => wanted.includes(String(i[field])));
    }
    return listReply('images', list, query, ['name']);
  });
  on('GET', '/images/{id}', ({ params }) => {
    const image = state.images.get(params[0]!);
    return image ? ok({ image }) : notFound('image', params[0]!);
  });
  on('DELETE', '/images/{id}', ({ params }) =>
    state.images.delete(params[0]!) ? { status: 204 } : notFound('image', params[0]!),
  );

  on('GET', '/firewalls', ({ query }) => listReply('firewalls', [...state.firewalls.values()], query, ['name']));
  on('POST', '/firewalls', ({ body }) => {
    if (typeof body?.name !== 'string' || !body.name) return invalid('name', 'Missing data for required field.');
    if ([...state.firewalls.values()].some((f) => f.name === body.name))
      return uniqueness('name', 'firewall name is already used');
    const rules: FirewallRule[] = body.rules ?? [];
    const wrong = badRules(rules);
    if (wrong) return wrong;
    const applyTo: { type: 'server'; server: { id: number } }[] = body.apply_to ?? [];
    for (const target of applyTo) {
      if (!state.servers.has(target.server?.id)) return invalid('apply_to', `server ${target.server?.id} not found`);
    }
    const firewall: Firewall = {
      id: newId(state),
      name: body.name,
      labels: body.labels ?? {},
      created: now(),
      applied_to: applyTo,
      rules: rules.map(storedRule),
    };
    state.firewalls.set(firewall.id, firewall);
    const applied = applyTo.map((t) =>
      startAction(
        state,
        'apply_firewall',
        [
          { id: firewall.id, type: 'firewall' },
          { id: t.server.id, type: 'server' },
        ],
        {
          success: () => state.servers.get(t.server.id)?.firewalls.push(firewall.id),
        },
      ),
    );
    return ok({ firewall, actions: applied }, 201);
  });
  on('POST', '/firewalls/{id}/actions/set_rules', ({ params, body }) => {
    const firewall = state.firewalls.get(params[0]!);
    if (!firewall) return notFound('firewall', params[0]!);
    const rules: FirewallRule[] = body?.rules ?? [];
    const wrong = badRules(rules);
    if (wrong) return wrong;
    const set = startAction(state, 'set_firewall_rules', [{ id: firewall.id, type: 'firewall' }], {
      success: () => (firewall.rules = rules.map(storedRule)),
    });
    const applied = [...state.servers.values()]
      .filter((s) => s.firewalls.includes(firewall.id))
      .map((s) =>
        startAction(state, 'apply_firewall', [
          { id: firewall.id, type: 'firewall' },
          { id: s.id, type: 'server' },
        ]),
      );
    return ok({ actions: [set, ...applied] }, 201);
  });
  on('DELETE', '/firewalls/{id}', ({ params }) => {
    const firewall = state.firewalls.get(params[0]!);
    if (!firewall) return notFound('firewall', params[0]!);
    if ([...state.servers.values()].some((s) => s.firewalls.includes(firewall.id))) {
      return fail(422, 'resource_in_use', 'firewall is still applied to a resource');
    }
    state.firewalls.delete(firewall.id);
    return { status: 204 };
  });

  on('GET', '/server_types', ({ query }) => listReply('server_types', serverTypes, query, ['name']));
  on('GET', '/server_types/{id}', ({ params }) => {
    const type = serverTypes.find((t) => t.id === params[0]);
    return type ? ok({ server_type: type }) : notFound('server_type', params[0]!);
  });
  on('GET', '/locations', ({ query }) => listReply('locations', locations, query, ['name']));
  on('GET', '/locations/{id}', ({ params }) => {
    const location = locations.find((l) => l.id === params[0]);
    return location ? ok({ location }) : notFound('location', params[0]!);
  });
}
