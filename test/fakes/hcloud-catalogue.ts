// What the fake Hetzner Cloud offers before any test creates anything: a few real server types,
// locations and system images, shaped like the API's `server_type`, `location` and `image`.
import type { Image, Location, ServerType } from '../../hcloud/api/types';

const created = '2024-04-25T00:00:00Z';

export const locations: Location[] = [
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
  },
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
  },
  {
    id: 3,
    name: 'hel1',
    description: 'Helsinki DC Park 1',
    country: 'FI',
    city: 'Helsinki',
    latitude: 60.169855,
    longitude: 24.938379,
    network_zone: 'eu-central',
  },
  {
    id: 4,
    name: 'ash',
    description: 'Ashburn, VA',
    country: 'US',
    city: 'Ashburn, VA',
    latitude: 39.045821,
    longitude: -77.487073,
    network_zone: 'us-east',
  },
  {
    id: 5,
    name: 'hil',
    description: 'Hillsboro, OR',
    country: 'US',
    city: 'Hillsboro, OR',
    latitude: 45.54222,
    longitude: -122.951924,
    network_zone: 'us-west',
  },
  {
    id: 6,
    name: 'sin',
    description: 'Singapore',
    country: 'SG',
    city: 'Singapore',
    latitude: 1.283333,
    longitude: 103.833333,
    network_zone: 'ap-southeast',
  },
];

const europe = ['fsn1', 'nbg1', 'hel1'];
const everywhere = locations.map((l) => l.name);

function serverType(
  id: number,
  name: string,
  architecture: ServerType['architecture'],
  cpu_type: ServerType['cpu_type'],
  cores: number,
  memory: number,
  disk: number,
  where: string[],
): ServerType & { prices: unknown[]; category: string } {
  return {
    id,
    name,
    description: name.toUpperCase(),
    architecture,
    cpu_type,
    cores,
    memory,
    disk,
    storage_type: 'local',
    deprecated: false,
    category: cpu_type === 'dedicated' ? 'dedicated' : 'shared',
    locations: locations
      .filter((l) => where.includes(l.name))
      .map((l) => ({ id: l.id, name: l.name, deprecation: null })),
    prices: where.map((location) => ({
      location,
      included_traffic: 21990232555520,
      price_hourly: { gross: '0.0080', net: '0.0067' },
      price_monthly: { gross: '4.9900', net: '4.1900' },
      price_per_tb_traffic: { gross: '1.1900', net: '1.0000' },
    })),
  };
}

export const serverTypes = [
  serverType(101, 'cx23', 'x86', 'shared', 2, 4, 40, europe),
  serverType(102, 'cx33', 'x86', 'shared', 4, 8, 80, europe),
  serverType(103, 'cx43', 'x86', 'shared', 8, 16, 160, europe),
  serverType(104, 'cpx22', 'x86', 'shared', 2, 4, 80, everywhere),
  serverType(105, 'ccx13', 'x86', 'dedicated', 2, 8, 80, everywhere),
  serverType(201, 'cax11', 'arm', 'shared', 2, 4, 40, europe),
  serverType(202, 'cax21', 'arm', 'shared', 4, 8, 80, europe),
];

function systemImage(
  id: number,
  name: string,
  architecture: Image['architecture'],
): Image & { bound_to: null; deleted: null; protection: { delete: boolean }; rapid_deploy: boolean } {
  const [os_flavor, os_version] = name.split('-') as [string, string];
  return {
    id,
    type: 'system',
    status: 'available',
    name,
    description: `${os_flavor} ${os_version}`,
    architecture,
    os_flavor,
    os_version,
    created,
    created_from: null,
    image_size: null,
    disk_size: 5,
    deprecated: null,
    labels: {},
    bound_to: null,
    deleted: null,
    protection: { delete: false },
    rapid_deploy: true,
  };
}

export const systemImages = [
  systemImage(161547269, 'ubuntu-24.04', 'x86'),
  systemImage(161547270, 'ubuntu-24.04', 'arm'),
  systemImage(114690387, 'debian-12', 'x86'),
  systemImage(114690389, 'debian-12', 'arm'),
  systemImage(310557660, 'debian-13', 'x86'),
  systemImage(310557661, 'debian-13', 'arm'),
];

export function datacenterOf(location: Location) {
  return {
    id: location.id,
    name: `${location.name}-dc14`,
    description: `${location.city} DC 14`,
    location,
    server_types: {
      supported: serverTypes.map((t) => t.id),
      available: serverTypes.filter((t) => t.locations.some((l) => l.id === location.id)).map((t) => t.id),
      available_for_migration: serverTypes.map((t) => t.id),
    },
  };
}
