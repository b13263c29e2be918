// Hand-written shapes of the Hetzner Cloud API, limited to what firstboot reads and sends.
// Field names and optionality follow the API description vendored in test/fakes/hcloud-openapi.json (schemas named in
// the comments); fields firstboot never reads are left out of responses on purpose.

export type Labels = Record<string, string>;
export type Architecture = 'x86' | 'arm';

/** schema `pagination` */
export interface Pagination {
  page: number;
  per_page: number;
  previous_page: number | null;
  next_page: number | null;
  last_page: number | null;
  total_entries: number | null;
}

/** schema `meta` */
export interface ListMeta {
  pagination: Pagination;
}

/** schema `error_response` */
export interface ErrorResponse {
  error: { code: string; message: string; details?: Record<string, unknown> | null };
}

/** schema `action` */
export interface Action {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: { id: number; type: string }[];
  error: { code: string; message: string } | null;
}

/** schema `location` */
export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

/** schema `server_type` */
export interface ServerType {
  id: number;
  name: string;
  description: string;
  architecture: Architecture;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  storage_type: 'local' | 'network';
  deprecated: boolean | null;
  locations: { id: number; name: string; deprecation: { announced: string; unavailable_after: string } | null }[];
}

/** schema `image` */
export interface Image {
  id: number;
  type: 'system' | 'app' | 'snapshot' | 'backup';
  status: 'available' | 'creating' | 'unavailable';
  name: string | null;
  description: string;
  architecture: Architecture;
  os_flavor: string;
  os_version: string | null;
  created: string;
  created_from: { id: number; name: string } | null;
  image_size: number | null;
  disk_size: number;
  deprecated: string | null;
  labels: Labels;
}

export type ServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

/** schema `server` */
export interface Server {
  id: number;
  name: string;
  status: ServerStatus;
  created: string;
  labels: Labels;
  server_type: ServerType;
  location: Location;
  image: Image | null;
  public_net: {
    ipv4: { ip: string; blocked: boolean; dns_ptr: string } | null;
    ipv6: { ip: string; blocked: boolean; dns_ptr: { ip: string; dns_ptr: string }[] | null } | null;
    firewalls?: { id: number; status: 'applied' | 'pending' }[];
    floating_ips: number[];
  };
}

/** schema `ssh_key` */
export interface SshKey {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Labels;
  created: string;
}

/** schema `rule` (request) and its response form */
export interface FirewallRule {
  direction: 'in' | 'out';
  protocol: 'tcp' | 'udp' | 'icmp' | 'esp' | 'gre';
  port?: string | null;
  source_ips?: string[];
  destination_ips?: string[];
  description?: string | null;
}

/** schema `firewall` */
export interface Firewall {
  id: number;
  name: string;
  labels: Labels;
  rules: FirewallRule[];
  applied_to: { type: 'server' | 'label_selector'; server?: { id: number } }[];
  created: string;
}

/** schema `create_server_request` */
export interface CreateServerRequest {
  name: string;
  server_type: string;
  image: string;
  location?: string;
  ssh_keys?: string[];
  labels?: Labels;
  firewalls?: { firewall: number }[];
  user_data?: string;
  start_after_create?: boolean;
  public_net?: { enable_ipv4?: boolean; enable_ipv6?: boolean };
}

/** schema `create_server_response` */
export interface CreateServerResponse {
  server: Server;
  action: Action;
  next_actions: Action[];
  root_password: string | null;
}

/** schema `create_ssh_key_request` */
export interface CreateSshKeyRequest {
  name: string;
  public_key: string;
  labels?: Labels;
}

/** schema `create_firewall_request` */
export interface CreateFirewallRequest {
  name: string;
  labels?: Labels;
  rules?: FirewallRule[];
  apply_to?: { type: 'server'; server: { id: number } }[];
}

/** schema `create_firewall_response` */
export interface CreateFirewallResponse {
  firewall: Firewall;
  actions: Action[];
}

/** schema `change_type_of_server_request` */
export interface ChangeTypeRequest {
  server_type: string;
  upgrade_disk: boolean;
}

/** schema `create_image_from_server_request` */
export interface CreateImageRequest {
  type?: 'snapshot' | 'backup';
  description?: string;
  labels?: Labels;
}

/** schema `create_image_from_server_response` */
export interface CreateImageResponse {
  image: Image;
  action: Action;
}
