/**
 * What one execution may make the host hold, in one place (docs/runtime-protocol.md, "Limits").
 * The numbers bound the platform's memory per hostile worker, whatever its handler sends: a
 * line is held at most about four times while it is read (chunks, joined, text, parsed), the
 * rest is what an execution keeps until it is recorded.
 */
const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMITS = {
  /**
   * One worker → host line. A Write call carries its content in one line: 10 MiB holds the Read
   * tool's largest file (8 MiB) with room for JSON escaping and the envelope.
   */
  lineBytes: 10 * MiB,
  /**
   * One host → worker line (what the SDKs accept): a Read of 8 MiB, JSON-escaped. A larger answer
   * is not sent; the call fails with PAYLOAD_TOO_LARGE instead.
   */
  answerLineBytes: 16 * MiB,
  /** Everything a worker sends during one execution: twice the Write tool's 64 MiB budget. */
  executionBytes: 128 * MiB,
  /** Host calls of one execution being carried out at once; more are refused (RATE_LIMITED), not queued. */
  callsInFlight: 64,
  /** The bytes of the calls in flight (a Write's content is held until written). */
  callBytesInFlight: 32 * MiB,
  /** Host answers the worker has not read yet: a worker that stops reading is killed. */
  unreadBytes: 64 * MiB,
  /** Nesting of a value: execution input, result, log fields, call arguments, host answers. */
  valueDepth: 64,
  /** Nesting of a whole message or request body: a value's depth plus its envelope. */
  messageDepth: 72,

  // What is recorded (and returned, and logged) of an execution; longer text is cut, visibly.
  /** One log entry's message. */
  logMessageBytes: 8 * KiB,
  /** One log entry's fields, as JSON. */
  logFieldsBytes: 8 * KiB,
  /** Log entries per execution. */
  logEntries: 500,
  /** All log entries of an execution (messages and fields). */
  logBytes: 1 * MiB,
  /** An execution error's message. */
  errorMessageBytes: 8 * KiB,
  /** An execution error's details (JSON, the stack apart). */
  errorDetailsBytes: 64 * KiB,
  /** The handler's stack trace (details.stack). */
  errorStackBytes: 16 * KiB,
  /** A handler's result (JSON): the API's default request body limit, the other way. Larger fails the execution. */
  resultBytes: 1 * MiB,
} as const;
