import { cpus, loadavg, release, totalmem, type } from 'node:os';

/** The facts that make two benchmark runs comparable (or explain why they are not). */
export function machineFacts(database: string): Record<string, string> {
  const cores = cpus();
  return {
    cpus: `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    load: loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ') + ' (1/5/15 min; the machine is shared, so figures are noisy)',
    node: `${process.version} on ${type()} ${release()}`,
    database,
  };
}
