// The names firstboot's firewall rules go by: ufw comments on the server, rule descriptions at Hetzner's
// edge. Each side finds its own rules again by them, so they are defined here once.

/** The interface Tailscale's traffic arrives on. */
export const TAILNET_INTERFACE = 'tailscale0';

/** What every firstboot rule's comment starts with: rules without it are an admin's, never touched. */
export const OURS = 'firstboot';

// each rule's ufw comment and edge description (apart, so the payload carries only the one it uses)
export const SSH_RULE = 'firstboot ssh';
export const MOSH_RULE = 'firstboot mosh';
export const ALLOW_RULE = 'firstboot allow';

/** The comment of a rule's twin on the tailnet interface: "firstboot tailnet ssh". */
export const tailnetComment = (comment: string) => comment.replace(/^firstboot/, 'firstboot tailnet');
export const isTailnetComment = (comment: string) => comment.startsWith('firstboot tailnet');

/** What a rule is for ("ssh", "mosh"), by its comment. */
export const ruleFor = (comment: string) => comment.replace(/^firstboot /, '');

/** A port range as nftables and Hetzner write it (60000-61000); ufw and the plan write 60000:61000. */
export const dashRange = (port: string) => port.replace(':', '-');
