import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode94, encode94 } from '../../generator/base94';

// the edges of a block: nothing, part of one, exactly one, one byte into the next; all ones is the
// largest value eleven digits must hold (94^11 is only 7% above 2^72). Prepare's own decoder reads real
// user-data in render.test.ts.
const samples = [0, 1, 8, 9, 10, 18, 1000].flatMap((n) => [Buffer.alloc(n, 0xff), Buffer.alloc(n, 0)]);

test('every length and byte value comes back, and only printable ASCII but space goes out', () => {
  const random = Buffer.from(Array.from({ length: 4099 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff));
  for (const bytes of [...samples, random]) {
    const encoded = encode94(bytes);
    const [length, text] = encoded.split('\n');
    assert.is(Number(length), bytes.length);
    assert.is(text.length, Math.ceil(bytes.length / 9) * 11);
    assert.ok(/^[!-~]*$/.test(text), `${bytes.length} bytes`);
    assert.equal(decode94(encoded), bytes, `${bytes.length} bytes`);
  }
});

test.run();
