// The command line: argument parsing, printing and exit codes only (0 ok, 1 failure, 2 bad input or usage).
// Artifacts go to stdout or --out FILE; -o is a format (-o json); diagnostics go to stderr.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  CONFIG_HELP,
  CONFIG_OPTIONS,
  FORMAT_HELP,
  FORMAT_OPTION,
  OUT_HELP,
  OUT_OPTION,
  PIECES_HELP,
  PIECES_OPTION,
  piecesFromOf,
  REGISTRY_HELP,
  REGISTRY_OPTION,
  registryOf,
  wantsJson,
  emit,
  type Command,
} from './command';
import { generate as generateCommand } from './generate';
import { configAndPlan, generate } from '../generator/generate';
import { osReason } from '../generator/config/load';
import { hcloudCommands } from './hcloud';
import { writeFileSafely } from '../ssh/local-file';
import { inspect } from '../generator/inspect';
import { planText } from '../generator/plan-text';
import { closest } from '../generator/did-you-mean';
import { CONFIG_FILE, init } from './init';
import { completionCommand } from './completion';
import { apply } from './apply';
import { wait } from './wait';
import { join } from 'node:path';
import { piecesTarball } from '../generator/pieces-file';
import { assemble, byteLength, readPayload, sizeReport } from '../generator/render';
import { HOST_KEY_STAND_IN, roomText } from '../generator/size';
import pkg from '../package.json' with { type: 'json' };
import { Fail } from '../contract/fail';

const commands: Record<string, Command> = {
  init,
  generate: generateCommand,
  validate: {
    summary: 'check a config and report every problem',
    usage:
      `firstboot validate [-c FILE] [--ssh-key PATH]... [--registry URL] ` +
      `[--pieces-from npm|URL]\n${CONFIG_HELP}\n${REGISTRY_HELP}\n${PIECES_HELP}`,
    options: { ...CONFIG_OPTIONS, ...REGISTRY_OPTION, ...PIECES_OPTION },
    async run(values) {
      const options = {
        config: values.config,
        sshKeys: values['ssh-key'],
        registry: registryOf(values),
        piecesFrom: piecesFromOf(values),
      };
      const { userData } = await generate(options);
      const { plan } = await configAndPlan({ ...options, secrets: true });
      const withHostKey = byteLength(assemble(plan, { hostKey: HOST_KEY_STAND_IN }).userData);
      console.error(`${values.config ?? 'built-in defaults'}: ok`);
      console.error(roomText(byteLength(userData), withHostKey));
      return 0;
    },
  },
  plan: {
    summary: 'show the ordered steps and what each will configure (a dry run)',
    usage: `firstboot plan [-c FILE] [--ssh-key PATH]... [--registry URL] [-o json] [--out FILE]
${CONFIG_HELP}
${REGISTRY_HELP}
  -o, --output json    the plan as JSON, as the server receives it
${OUT_HELP}`,
    options: { ...CONFIG_OPTIONS, ...REGISTRY_OPTION, ...FORMAT_OPTION, ...OUT_OPTION },
    async run(values) {
      const json = wantsJson(values);
      const { plan } = await configAndPlan({
        config: values.config,
        sshKeys: values['ssh-key'],
        registry: registryOf(values),
      });
      await emit(json ? JSON.stringify(plan, null, 2) + '\n' : planText(plan), values.out, values.config);
      return 0;
    },
  },
  inspect: {
    summary: 'read a generated user-data file back: its plan, payload version and size by part',
    usage: `firstboot inspect USER_DATA [-o json]
${FORMAT_HELP}`,
    options: FORMAT_OPTION,
    async run(values, [file]) {
      const json = wantsJson(values);
      if (!file) throw new Fail('inspect needs the user-data file to read', 2, { usage: true });
      const text = await readFile(file, 'utf8').catch((err) => {
        throw new Fail(`cannot read ${file}: ${osReason(err)}`, 2);
      });
      const found = inspect(text);
      if (json) return (console.log(JSON.stringify(found, null, 2)), 0);
      console.log(`payload     firstboot ${found.payloadVersion}`);
      console.log(`config      ${found.plan.configHash}`);
      console.log(`mode        ${found.plan.mode}`);
      console.log(
        `npm         ${found.plan.npm.packages.map((p) => `${p.name}@${p.version}`).join(', ')} ` +
          `from ${found.plan.npm.registry}`,
      );
      console.log(`inside      ${found.payloadFiles.join(', ')}`);
      if (found.plan.pieces) {
        const from =
          found.plan.pieces.from === 'npm'
            ? `npm (firstboot@${found.plan.firstboot} on ${found.plan.npm.registry})`
            : found.plan.pieces.from;
        console.log(`fetched     ${found.fetched.join(', ') || 'none'}, and the code they share, from ${from}`);
        console.log(`digest      ${found.plan.pieces.digest}`);
      }
      console.log(sizeReport(found.parts, found.bytes));
      console.log('\n' + planText(found.plan).trimEnd());
      return 0;
    },
  },
  pieces: {
    summary: "write firstboot's pieces to a folder, for servers to fetch from your own URL",
    usage: `firstboot pieces --out DIR
      --out DIR        the folder to write into (made if missing); upload what it holds to an
                       https base URL, then generate, create or image with --pieces-from URL.
                       The file's name holds the version and the digest: versions share a folder.`,
    options: OUT_OPTION,
    async run(values, positionals) {
      if (positionals.length) throw new Fail(`unexpected argument "${positionals[0]}"`, 2, { usage: true });
      if (!values.out || values.out === '-')
        throw new Fail('pieces needs --out DIR, the folder to write into', 2, { usage: true });
      const { name, digest, data } = piecesTarball(readPayload(), pkg.version);
      await writeFileSafely(join(values.out, name), data, { mode: 0o644, createFolder: true });
      console.error(
        `wrote ${join(values.out, name)}: ${data.length.toLocaleString('en-US')} bytes, every piece of ` +
          `firstboot ${pkg.version}, digest ${digest}`,
      );
      return 0;
    },
  },
  apply,
  wait,
  ...hcloudCommands,
  completion: completionCommand(() => commands),
};

const USAGE = `firstboot ${pkg.version}: a hardened Hetzner Cloud server from a short YAML file

usage: firstboot COMMAND [options]     (firstboot COMMAND --help for its options)

${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

  --version    print the version`;

/** node's argument parser's complaints, said the way the rest of firstboot says things */
/** parseArgs, its complaints as a usage failure in the user's terms */
function parseArguments(args: string[], name: string, command: Command) {
  try {
    return parseArgs({
      args,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (err) {
    if (!(err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) throw err;
    throw new Fail(argumentProblem(err as NodeJS.ErrnoException, name, command), 2, { usage: true });
  }
}

function argumentProblem(err: NodeJS.ErrnoException, name: string, command: Command): string {
  const option = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  const options = command.options ?? {};
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    if (/^(-o|--output)$/.test(option) && 'out' in options)
      return `${option} is the output format (as in -o json), and ${name} has none; --out FILE writes to a file`;
    const names = Object.entries(options).flatMap(([long, o]) => [`--${long}`, ...(o.short ? [`-${o.short}`] : [])]);
    const near = closest(option, names);
    return `unknown option "${option}"${near ? `; did you mean "${near}"?` : ''}`;
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const long = /--[\w-]+/.exec(option)?.[0] ?? option;
    return /argument missing/.test(err.message) ? `${long} needs a value` : `${long} takes no value`;
  }
  return err.message;
}

const useColor = () => !!process.stderr.isTTY && !process.env.NO_COLOR;

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--version') || argv[0] === '-V') return (console.log(pkg.version), 0);
  // `firstboot help CMD` is `firstboot CMD --help`
  const [name, ...rest] = argv[0] === 'help' && argv[1] ? [argv[1], '--help'] : argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') return (console.log(USAGE), name ? 0 : 2);
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  try {
    if (!command) {
      const near = closest(name, Object.keys(commands));
      throw new Fail(`unknown command "${name}"${near ? `; did you mean "${near}"?` : ''}`, 2, { usage: true });
    }
    const { values, positionals } = parseArguments(rest, name, command);
    if (values.help) return (console.log(`usage: ${command.usage}`), 0);
    const given = values as Record<string, unknown>;
    if (command.options && 'config' in command.options && given.config === undefined && existsSync(CONFIG_FILE)) {
      given.config = CONFIG_FILE;
      console.error(`using ./${CONFIG_FILE}`);
    }
    return await command.run(values, positionals);
  } catch (err) {
    // firstboot's own failures say what to do; anything else (the network, a file system) its message
    const fail = err instanceof Fail ? err : new Fail((err as Error).message);
    console.error(fail.describe({ color: useColor() }));
    if (fail.usage) console.error(command ? `usage: ${command.usage}` : USAGE);
    return fail.exitCode;
  }
}

// a reader that went away (`firstboot plan | head`) has all it wanted: end quietly
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
