// inspect on a file that is not whole: a copy or download cut off at any point, or a block altered.
// Each time one sentence that says what is wrong and where, never a parser's internal message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { decode94, encode94 } from '../../generator/base94';
import { generate } from '../../generator/generate';
import { inspect } from '../../generator/inspect';
import { assertInputFail } from '../rejects';

let userData = '';
let blockLine = '';
let block = 0;
test.before(async () => {
  userData = (await generate({ config: 'examples/firstboot.yaml' })).userData;
  blockLine = userData.split('\n').find((line) => /^ {4}\d+$/.test(line))!;
  block = at(blockLine) + blockLine.length + 1 + 4;
});
const at = (marker: string, plus = 0) => {
  const i = userData.indexOf(marker);
  assert.ok(i >= 0, marker);
  return i + plus;
};

function refusal(text: string): string {
  try {
    inspect(text);
  } catch (err) {
    assertInputFail(err, String(err));
    return (err as Error).message;
  }
  assert.unreachable('inspect took the file');
  return '';
}

test('a file cut off anywhere: the sentence says it is incomplete, and where it ends', () => {
  const cuts: [string, number, RegExp][] = [
    [
      'before write_files',
      at('write_files:'),
      /^the file is cut off at byte \d+, before its write_files entry for \/usr\/local\/lib\/firstboot\/payload\.br94: the file is incomplete/,
    ],
    [
      "after the block's length line",
      block,
      /^the payload block is cut off at byte \d+ \(it holds 0 of the \d+ characters its first line announces\): the file is incomplete/,
    ],
    [
      'inside the base94 block',
      block + 5000,
      /^the payload block is cut off at byte \d+ \(it holds 5000 of the \d+ characters its first line announces\): the file is incomplete/,
    ],
    [
      'one character short of the block',
      at('\n- path: /usr/local/lib/firstboot/prepare') - 1,
      /^the payload block is cut off at byte \d+ \(it holds (\d+) of the \d+ characters/,
    ],
    [
      'inside the prepare script',
      at('chmod 0700'),
      /^the file is cut off at byte \d+, before its write_files entry for \/etc\/systemd\/system\/firstboot\.service: the file is incomplete/,
    ],
    [
      'inside the unit',
      at('[Install]'),
      /^the file is cut off at byte \d+, before the runcmd that starts firstboot\.service: the file is incomplete/,
    ],
    [
      'inside the runcmd',
      at('--now'),
      /^the file is cut off at byte \d+, inside YAML that does not end \(.*\): the file is incomplete/,
    ],
  ];
  for (const [where, end, message] of cuts) {
    const cut = userData.slice(0, end);
    const said = refusal(cut);
    assert.match(said, message, `${where}: ${said}`);
    const byte = Number(/at byte (\d+)/.exec(said)![1]);
    assert.ok(
      byte <= Buffer.byteLength(cut) && byte >= Buffer.byteLength(cut.trimEnd()) - 1,
      `${where}: byte ${byte} of ${cut.length}`,
    );
  }
});

test('a whole file with an altered block: damaged, not cut', () => {
  const line = userData.slice(block, userData.indexOf('\n', block));
  const damaged = (from: string, to: string) => refusal(userData.replace(from, () => to));
  assert.match(
    damaged(line, `é${line.slice(1)}`),
    /^the payload block is damaged: character 1 of its base94 line is not base94/,
  );
  assert.match(
    damaged(line, `${line.slice(0, 100)}${line[100] === '0' ? '1' : '0'}${line.slice(101)}`),
    /^the payload block is damaged: it does not decompress/,
  );
  assert.match(
    damaged(blockLine, `${blockLine}9`),
    /^the payload block is damaged: it holds \d+ of the \d+ characters its first line announces/,
  );
  assert.match(damaged(line, line.slice(0, -5)), /^the payload block is damaged/);
  // a block that decodes, holding a pack one character longer than its header says
  const packed = brotliDecompressSync(decode94(`${blockLine.trim()}\n${line}`)).toString('utf8');
  const [length, text] = encode94(brotliCompressSync(`${packed}x`)).split('\n');
  assert.match(
    damaged(`${blockLine}\n    ${line}`, `    ${length}\n    ${text}`),
    /^the payload block is damaged: its header announces (\d+) characters after it, and \d+ follow/,
  );
  // the largest eleven base94 characters stand for more than nine bytes hold
  assert.match(
    damaged(line, `${'~'.repeat(11)}${line.slice(11)}`),
    /^the payload block is damaged: characters 1 to 11 of its base94 line do not encode 9 bytes/,
  );
});

test.run();
