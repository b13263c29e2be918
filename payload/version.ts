declare const FIRSTBOOT_VERSION: string | undefined;

/** Set by the build; 'dev' when the sources run unbundled (tests). */
export const version = typeof FIRSTBOOT_VERSION === 'string' ? FIRSTBOOT_VERSION : 'dev';
