// PAM: fixed settings in the step, nothing to choose.
import type { Capability } from './capability';

export const pam: Capability<'pam'> = {
  id: 'pam',
  plan: () => ({ id: 'pam' }),
};
