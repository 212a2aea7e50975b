import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where JSON lines go; stdout when omitted. */
  destination?: DestinationStream;
}

const CENSOR = '[REDACTED]';

/**
 * Keys whose values are secrets wherever they appear: any key containing secret, password, passwd, passphrase
 * or credential (`secretAccessKey`, `dbPassword`, `AWS_SECRET_ACCESS_KEY`, `credentials`), API and private keys,
 * keys ending in token, and the authorization and cookie headers.
 */
const SECRET_FIELD =
  /secret|pass(word|wd|phrase)|credential|private[-_]?key|api[-_]?key|token$|^(proxy-)?authorization$|^(set-)?cookie$/i;

/**
 * pino's `redact` takes paths, not patterns, and each wildcard path costs about a microsecond per line, so
 * "any key containing 'secret', at any depth" cannot be said with it at a reasonable price. Instead every
 * logged object and every child logger's bindings are walked here (well under a microsecond for a typical line).
 * The walk copies only what it changes: the caller's objects are never mutated.
 */
function redactSecrets(value: unknown, ancestors: object[] = []): unknown {
  if (typeof value !== 'object' || value === null) return value;
  // pino's own serializers need Errors intact, and objects with toJSON (Date, Buffer, URL) carry no keys to hide.
  if (value instanceof Error || typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  // A cycle would otherwise reach the uncopied original, secrets included, through the back reference.
  if (ancestors.includes(value)) return '[Circular]';
  ancestors.push(value);
  let copy: Record<string, unknown> | undefined;
  const fields = value as Record<string, unknown>;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const item = fields[key];
    const redacted = SECRET_FIELD.test(key) ? CENSOR : redactSecrets(item, ancestors);
    if (redacted === item) continue;
    copy ??= (Array.isArray(value) ? [...value] : { ...fields }) as Record<string, unknown>;
    copy[key] = redacted;
  }
  ancestors.pop();
  return copy ?? value;
}

/** A JSON-lines logger that redacts secrets before anything is written. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
      // Serializers run after the formatters above, so what they build (a request's headers, from a raw
      // request object) is covered by path.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
        censor: CENSOR,
      },
    },
    options.destination ?? pino.destination(1),
  );
  // formatters.log sees only what each call passes; a child's bindings are serialised once, when the child is
  // made, so they are redacted on the way in. Children are made with Object.create(parent), so every
  // descendant inherits this method.
  const pinoChild = logger.child;
  logger.child = function <ChildLevels extends string = never>(
    this: Logger,
    bindings: Bindings,
    childOptions?: ChildLoggerOptions<ChildLevels>,
  ) {
    return pinoChild.call(this, redactSecrets(bindings) as Bindings, childOptions) as Logger<ChildLevels>;
  };
  return logger;
}
