// The config's extra packages. Prepare installs them in its one transaction with firstboot's; when that
// fails (a misspelt name), it installs nodejs alone, and this step tries them in a transaction of their
// own, which fails alone: no step needs it.
import { packageStep } from './packages';

export const extras = packageStep('extras', ['packages']);
