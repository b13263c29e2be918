// A stand-in for the built payload (dist/payload/), so tests that only look at the rest need no build.
import { readFileSync } from 'node:fs';
import type { Payload } from '../generator/render';
import { steps } from '../payload/steps/index';

export const standInPayload: Payload = {
  files: { 'main.mjs': 'console.log("payload stand-in")\n' },
  // the readable source runs the same as the built one
  unpack: readFileSync('cloud-init/unpack.js', 'utf8').replace(/^\/\/.*\n/gm, ''),
  pieces: {
    main: ['main.mjs'],
    image: [],
    pieces: [],
    'host-key': [],
    'daily-report': [],
    ...Object.fromEntries(Object.keys(steps).map((id) => [id, []])),
  },
};
