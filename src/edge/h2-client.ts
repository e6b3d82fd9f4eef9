import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";

export interface H2Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Node's HTTP/2 client for the edge's tests, corpus and drill: a session to `url` (`http://` speaks HTTP/2 with
 * prior knowledge, `https://` negotiates h2 by ALPN; self-signed certificates are accepted).
 */
export function h2Connect(url: string): Promise<ClientHttp2Session> {
  return new Promise((ok, fail) => {
    const session = connect(url, { rejectUnauthorized: false });
    session.once("connect", () => {
      session.off("error", fail);
      // A session the server ends (GOAWAY, reset) must not throw in the caller's process.
      session.on("error", () => {});
      ok(session);
    });
    session.once("error", fail);
  });
}

/** One request on `session`, read whole; rejects when the stream is reset or the session fails. */
export function h2Request(
  session: ClientHttp2Session,
  path: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer | string[] } = {},
): Promise<H2Reply> {
  return new Promise((ok, fail) => {
    const stream = session.request(
      { ":method": options.method ?? "GET", ":path": path, ...options.headers },
      {
        endStream: options.body === undefined,
      },
    );
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h;
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => ok({ status, headers, body: Buffer.concat(chunks).toString() }));
    stream.on("error", fail);
    stream.on("close", () => {
      if (status === 0) fail(new Error(`stream closed without an answer (code ${stream.rstCode})`));
    });
    const body = options.body;
    if (Array.isArray(body)) {
      // Several DATA frames, as a streaming upload without content-length sends them.
      for (const part of body) stream.write(part);
      stream.end();
    } else if (body !== undefined) stream.end(body);
  });
}

/** One request on a fresh session, closed after: the edge's answer to a new HTTP/2 client. */
export async function h2Once(url: string, path: string, options: Parameters<typeof h2Request>[2] = {}): Promise<H2Reply> {
  const session = await h2Connect(url);
  try {
    return await h2Request(session, path, options);
  } finally {
    session.close();
  }
}
