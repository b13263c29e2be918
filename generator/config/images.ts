// What is known of Hetzner's images before a server boots one: a config rule checks the options against
// the image when the CLI knows it, and generate says what the plan needs of the image when it does not.

/** The Node.js each Hetzner image's distribution has, for what needs a newer one. */
export const IMAGE_NODE: Record<string, string> = {
  'debian-12': '18.20',
  'ubuntu-24.04': '18.19',
  'debian-13': '20.19',
};
