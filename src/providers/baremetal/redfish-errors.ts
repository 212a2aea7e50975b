/**
 * Redfish services answer errors with the DMTF error body (DSP0266 §9.6 "Error responses"):
 * `{"error": {"code", "message", "@Message.ExtendedInfo": [{"MessageId", "Message", "Resolution", …}]}}`.
 * The extended messages carry what actually went wrong and, often, what to do; they are what a person needs to see.
 */

interface ExtendedInfo {
  MessageId?: unknown;
  Message?: unknown;
  Resolution?: unknown;
}

/** One line from an error body: the extended messages with their resolutions, else the top-level message. */
export function describeRedfishError(status: number, bodyText: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    const snippet = bodyText.replace(/\s+/g, ' ').trim().slice(0, 200);
    return `HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
  }
  const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== 'object') return `HTTP ${status}`;
  const infos = Array.isArray(error['@Message.ExtendedInfo']) ? (error['@Message.ExtendedInfo'] as ExtendedInfo[]) : [];
  const details = infos
    .map((info) => {
      const id = typeof info.MessageId === 'string' ? `${info.MessageId}: ` : '';
      const message = typeof info.Message === 'string' ? info.Message : '';
      const resolution = typeof info.Resolution === 'string' && info.Resolution.trim() !== '' ? ` Resolution: ${info.Resolution}` : '';
      return `${id}${message}${resolution}`.trim();
    })
    .filter((line) => line !== '');
  const code = typeof error.code === 'string' ? error.code : null;
  const message = typeof error.message === 'string' ? error.message : null;
  const head = `HTTP ${status}${code ? ` ${code}` : ''}`;
  if (details.length > 0) return `${head}: ${details.join(' | ')}`;
  return message ? `${head}: ${message}` : head;
}
