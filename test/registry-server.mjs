// Verdaccio for test/registry.ts, in a process of its own: argv[2] is its configuration (JSON). It
// listens on 127.0.0.1, on a port the system picks, prints that port as one line on stdout, and exits
// when its stdin closes: a test process that dies, even by SIGKILL, takes its registry with it.
import { runServer } from 'verdaccio';

const server = await runServer(JSON.parse(process.argv[2]));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
