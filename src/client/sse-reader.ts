// One SSE parser for the CLI and the SDK (CRLF, CR and LF line ends, split anywhere): the SDK's, since the SDK
// must stay self-contained and cannot import from src/.
export { readEvents as readSse, type SseEvent as SseMessage } from "../../packages/sdk/src/sse-reader.ts";
