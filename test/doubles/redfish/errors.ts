/**
 * Redfish error bodies as DSP0266 §9.6 shapes them: a general `error.code`/`error.message` and the specific
 * messages in `@Message.ExtendedInfo`, taken from the DMTF Base message registry (Base.1.8.x) with their
 * arguments filled in and their Resolution text.
 */

const REGISTRY = 'Base.1.8';

interface BaseMessage {
  message: string;
  resolution: string;
  severity: 'OK' | 'Warning' | 'Critical';
}

/** The Base registry messages this double uses; `%1`… are replaced by the arguments. */
const BASE_MESSAGES = {
  GeneralError: { message: 'A general error has occurred. See Resolution for information on how to resolve the error.', resolution: 'None.', severity: 'Critical' },
  MalformedJSON: {
    message: 'The request body submitted was malformed JSON and could not be parsed by the receiving service.',
    resolution: 'Ensure that the request body is valid JSON and resubmit the request.',
    severity: 'Critical',
  },
  PropertyUnknown: {
    message: 'The property %1 is not in the list of valid properties for the resource.',
    resolution: 'Remove the unknown property from the request body and resubmit the request if the operation failed.',
    severity: 'Warning',
  },
  PropertyValueNotInList: {
    message: 'The value %1 for the property %2 is not in the list of acceptable values.',
    resolution: 'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.',
    severity: 'Warning',
  },
  ActionParameterMissing: {
    message: 'The action %1 requires the parameter %2 to be present in the request body.',
    resolution: 'Supply the action with the required parameter in the request body when the request is resubmitted.',
    severity: 'Critical',
  },
  ActionParameterValueNotInList: {
    message: 'The value %1 for the parameter %2 in the action %3 is not in the list of acceptable values.',
    resolution: 'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.',
    severity: 'Warning',
  },
  ResourceMissingAtURI: {
    message: 'The resource at the URI %1 was not found.',
    resolution: 'Place a valid resource at the URI or correct the URI and resubmit the request.',
    severity: 'Critical',
  },
  OperationNotAllowed: { message: 'The HTTP method is not allowed on this resource.', resolution: 'None.', severity: 'Critical' },
  NoValidSession: {
    message: 'There is no valid session established with the implementation.',
    resolution: 'Establish a session before attempting any operations.',
    severity: 'Critical',
  },
  PreconditionFailed: {
    message: 'The ETag supplied did not match the ETag required to change this resource.',
    resolution: 'Try the operation again using the appropriate ETag.',
    severity: 'Critical',
  },
  ServiceTemporarilyUnavailable: {
    message: 'The service is temporarily unavailable.  Retry in %1 seconds.',
    resolution: 'Wait for the indicated retry duration and retry the operation.',
    severity: 'Critical',
  },
} satisfies Record<string, BaseMessage>;

export type BaseMessageId = keyof typeof BASE_MESSAGES;

/** An error the double answers with: its HTTP status, the DMTF body, and extra headers (Retry-After, WWW-Authenticate). */
export class RedfishError extends Error {
  constructor(
    readonly status: number,
    readonly messageId: BaseMessageId,
    readonly args: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(`${REGISTRY}.${messageId}`);
  }

  body(): Record<string, unknown> {
    const entry: BaseMessage = BASE_MESSAGES[this.messageId];
    const message = entry.message.replace(/%(\d+)/g, (_, n: string) => this.args[Number(n) - 1] ?? '');
    return {
      error: {
        code: `${REGISTRY}.GeneralError`,
        message: 'A general error has occurred. See ExtendedInfo for more information.',
        '@Message.ExtendedInfo': [
          {
            '@odata.type': '#Message.v1_1_1.Message',
            MessageId: `${REGISTRY}.${this.messageId}`,
            Message: message,
            MessageArgs: this.args,
            MessageSeverity: entry.severity,
            Resolution: entry.resolution,
          },
        ],
      },
    };
  }
}
