// `npm run bench` runs this file with plain node; the benchmarks are TypeScript, so hand over to run.ts
// through tsx. (With "bench": "node --import tsx bench/run.ts" in package.json this file is not needed.)
import { register } from 'tsx/esm/api';

register();
await import('./run.ts');
