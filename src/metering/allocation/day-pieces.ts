const DAY_MS = 86_400_000;

/** `2026-01-15` for a moment, cached per day: a report asks for the same few dozen days a million times. */
export class DayNames {
  private readonly names = new Map<number, string>();

  of(ms: number): string {
    const day = Math.floor(ms / DAY_MS);
    let name = this.names.get(day);
    if (name === undefined) {
      name = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.names.set(day, name);
    }
    return name;
  }
}
