// PAM: fixed settings in the step, nothing to choose.
import type { Capability } from './capability';

export const pam: Capability<'pam'> = {
  id: 'pam',
  plan: () => ({ id: 'pam' }),
  // no account here has a password, but one set later must be a strong one (CIS 5.3.3.2; Lynis AUTH-9262);
  // a private TMPDIR for each user's sessions (Lynis DEB-0280)
  packages: () => ['libpam-pwquality', 'libpam-tmpdir'],
};
