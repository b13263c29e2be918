// PAM: fixed settings in the step, nothing to choose.
import type { Capability } from './capability';

export const pam: Capability<'pam'> = {
  id: 'pam',
  plan: () => ({ id: 'pam' }),
  // no account here has a password, but one set later must be a strong one (CIS 5.3.3.2; Lynis AUTH-9262)
  packages: () => ['libpam-pwquality'],
};
