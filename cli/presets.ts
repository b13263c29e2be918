// The configs `firstboot init --preset NAME` starts from, each commented for the one who edits it:
// `plain`, a hardened server and nothing more; `developer`, the developer's server firstboot grew from
// (the daily report, Tailscale, GeoIP blocking and the toolchain).

const plain = (key: string) => `admin:
  name: admin             # the user you log in as; root is shut out
  ssh_keys:
    - ${key}

# hostname: dev1          # default: the server's name at Hetzner
# timezone: Europe/Berlin # default: Etc/UTC

ssh:
  port: 22                # another port moves sshd there, opened in the firewall first

firewall:
  allow: []               # extra ports open to everyone, e.g. [443/tcp, 8000:8100/tcp]

# mosh, fail2ban, audit, sysctl and upgrades are on; e.g. to reboot for kernel updates never:
# upgrades:
#   reboot: false

packages: []              # extra Debian packages
`;

const developer = (
  key: string,
) => `# A developer's server: everything the plain preset hardens, plus a daily security report by mail,
# Tailscale, SSH and mosh only from the countries you name, and the toolchain (Nix, gh, Claude Code).
# Secrets (secret:NAME) never go into the user-data: give them to create --wait, wait or apply with
# --secret NAME=@FILE; until then the steps that need them wait and say so.
#
# With all of this on, the user-data is larger than Hetzner's 32 KB: generate it with --pieces-from
# (firstboot pieces --out DIR, upload DIR to an https address of yours), build a golden image once
# (firstboot image), or harden a running server over SSH (firstboot apply), which has no such limit.

admin:
  name: dev
  ssh_keys:
    - ${key}
  password: secret:console  # for Hetzner's web console, the way back in when SSH is not

ssh:
  port: 2222              # off the port every scanner knocks on

firewall:
  allow: []               # e.g. [443/tcp] for a web server

report:
  enabled: true
  to: you@example.org     # where the report goes: change it
  time: "07:00"
  smtp:
    host: smtp.example.org  # your mail provider's SMTP server: change it
    user: you@example.org
    password: secret:smtp

tailscale:
  enabled: true
  auth_key: secret:tailscale
  # once a login through the tailnet has worked, SSH and mosh close to the public (needs the console
  # password above):
  # ssh_via_tailnet_only: true

geoip:
  enabled: true
  countries: [DE]         # the countries SSH and mosh answer from; where you log in from always does
  # always_allow: [203.0.113.7]

devtools:
  enabled: true           # git, gh, build tools, Nix, and Claude Code for the admin
  # context7: true        # needs Node.js 20.18.1 or later: Debian 13
  # gsd: true             # GSD for Claude Code; Node.js 18.19 or later: every image
  # github_token: secret:github

packages: [tmux, htop]
`;

export const PRESETS: Record<string, { summary: string; text: (key: string) => string }> = {
  plain: { summary: 'a hardened server and nothing more (the default)', text: plain },
  developer: { summary: 'the daily report, Tailscale, GeoIP blocking and the developer toolchain', text: developer },
};
