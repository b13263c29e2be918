// Unpacks the plan and the payload for cloud-init/prepare, run as `node -e` (render puts it in,
// minified by scripts/build.ts; no single quotes or backquotes: it sits in a shell string, and a "\n"
// string would come out of the minifier as a backquoted template):
//   node -e UNPACK PACKED_FILE PAYLOAD_DIR PLAN_FILE
// PACKED_FILE is brotli in base94 (generator/base94.ts: nine bytes in eleven characters), after a line
// with the compressed length; inside, a header line, the plan, then the payload's files
// (generator/pack.ts). The plan goes in place only where there is none: a server made from a
// firstboot image gets its own from its user-data. The folder starts afresh unless it holds the same
// build (.build): then the pieces fetched for it stay (a reboot mid-run, a server from an image).
const fs = require("fs");
const [packedFile, dir, planFile] = process.argv.slice(1);

const [length, text94] = fs.readFileSync(packedFile, "utf8").split(/\n/);
const bytes = Buffer.alloc((text94.length / 11) * 9);
for (let i = 0, j = 0; i < text94.length; i += 11, j += 9) {
  let value = 0n;
  for (let k = 0; k < 11; k++) value = value * 94n + BigInt(text94.charCodeAt(i + k) - 33);
  for (let k = 8; k >= 0; k--, value >>= 8n) bytes[j + k] = Number(value & 255n);
}
const text = require("zlib").brotliDecompressSync(bytes.subarray(0, +length)).toString();

let at = text.search(/\n/) + 1;
const header = JSON.parse(text.slice(0, at - 1));
const take = (n) => text.slice(at, (at += n));
const put = (file, content) => {
  fs.mkdirSync(require("path").dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file + ".new", content, { mode: 0o600 });
  fs.renameSync(file + ".new", file);
};

const plan = take(header.plan);
if (!fs.existsSync(planFile)) put(planFile, plan);
const build = dir + "/.build";
if (!fs.existsSync(build) || fs.readFileSync(build, "utf8") !== header.build) fs.rmSync(dir, { recursive: true, force: true });
for (const [name, n] of Object.entries(header.files)) put(dir + "/" + name, take(n));
put(build, header.build);
