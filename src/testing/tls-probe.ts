import { connect, type TLSSocket } from "node:tls";

/** The common name of the certificate a fresh TLS connection is served. */
export function servedName(port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.destroy();
      ok(String(cn));
    });
    socket.on("error", fail);
  });
}

/** One request on an already open TLS connection (kept alive), read up to its Content-Length. */
export function requestOn(socket: TLSSocket, path: string): Promise<string> {
  return new Promise((ok, fail) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("latin1");
      const headEnd = text.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(text);
      if (headEnd === -1 || length === null || text.length < headEnd + 4 + Number(length[1])) return;
      socket.off("data", onData);
      socket.off("error", fail);
      ok(`${text.slice(9, 12)} ${text.slice(headEnd + 4)}`);
    };
    socket.on("data", onData);
    socket.once("error", fail);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}
