// Just enough of QEMU's machine protocol to send one command and read its answer.
import { connect } from 'node:net';

/** Runs one QMP command on the socket at `path`; resolves with its `return` value. */
export function qmp(path: string, execute: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    let sent = 0;
    const send = (command: string) => socket.write(`${JSON.stringify({ execute: command })}\n`);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(buffer.slice(0, newline)) as {
          QMP?: unknown;
          return?: unknown;
          error?: { desc: string };
        };
        buffer = buffer.slice(newline + 1);
        if (message.error) return (socket.destroy(), reject(new Error(`qmp ${execute}: ${message.error.desc}`)));
        // the greeting, then the answer to qmp_capabilities, then ours
        if (message.QMP) send('qmp_capabilities'), sent++;
        else if ('return' in message && sent === 1) send(execute), sent++;
        else if ('return' in message) return (socket.end(), resolve(message.return));
      }
    });
  });
}
