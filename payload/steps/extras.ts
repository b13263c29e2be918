// The user's own packages, installed like firstboot's, but last and alone: a misspelt name must not
// stop the hardening before it.
import { packageStep } from './packages';

export const extras = packageStep('extras', 'extra packages', ['packages']);
