#!/usr/bin/env node
/** The `tessera` executable: runs the command line against the real process. */
import { processIo } from './io.js';
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2), processIo());
// Everything is written by now. Should a library still hold the event loop open (a keep-alive socket, a
// server's timer), leave anyway rather than hang; the timer itself does not keep the process alive.
setTimeout(() => process.exit(), 2000).unref();
