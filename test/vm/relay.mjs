// qemu runs this once per guest connection (guestfwd=...-cmd:), with the connection on stdin and
// stdout, and it pipes both ways to a loopback server. qemu's chardev form of guestfwd would hold a
// single connection for the VM's lifetime, which breaks HTTP clients that open several.
import { connect } from 'node:net';

const socket = connect(Number(process.argv[2]), '127.0.0.1');
process.stdin.pipe(socket).pipe(process.stdout);
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
