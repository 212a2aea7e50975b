import { randomBytes } from 'node:crypto';

/**
 * Provider ids of simulated machines: `sim-` and 16 random base36 characters (about 82 bits), so ids from
 * different processes or runs sharing one state file never collide. Random bytes are drawn in blocks: one
 * system call per id was most of the time of seeding 100,000 machines.
 */

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 16;
const BLOCK_BYTES = ID_LENGTH * 4096;

let block = Buffer.alloc(0);
let offset = 0;

export function newMachineId(): string {
  if (offset + ID_LENGTH > block.length) {
    block = randomBytes(BLOCK_BYTES);
    offset = 0;
  }
  let id = 'sim-';
  for (let i = 0; i < ID_LENGTH; i++) id += ALPHABET[block[offset++]! % ALPHABET.length];
  return id;
}
