/**
 * The benchmarks' HTTP/1.1 client, for measuring a server on the same machine: it must cost
 * little and leave no garbage, or its own collection pauses land inside the latencies it
 * measures. fetch (undici) built streams, headers and a string per answer; node:http a buffer
 * per chunk and per answer, and the external memory they held set off a full collection every
 * ~20 owner queries here (4–12 ms each). This client reads every answer of a connection into
 * buffers it reuses (net's `onread`), and hands the answer to the caller's `read` before the
 * connection takes its next request. Our server always sends Content-Length; nothing else is
 * understood.
 */
import { connect, type Socket } from 'node:net';

/** What `post` resolves to: the status and what `read` made of the body. */
export interface Answer<T> {
  readonly status: number;
  readonly result: T;
}

export type Post = <T>(
  path: string,
  contentType: string,
  body: string | Uint8Array,
  read: (body: Uint8Array, status: number) => T,
) => Promise<Answer<T>>;

const READ_BYTES = 64 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A client for one server; connections are opened as concurrent requests need them and kept.
 * @example const post = httpClient('http://127.0.0.1:3000'); const { status, result } = await post('/v1/health', 'application/json', '', (body) => body.length);
 */
export function httpClient(base: string): Post {
  const { hostname, port } = new URL(base);
  const idle: Connection[] = [];
  return async (path, contentType, body, read) => {
    let connection = idle.pop();
    while (connection?.closed) connection = idle.pop();
    connection ??= await Connection.open(hostname, Number(port));
    const head = `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: ${contentType}\r\ncontent-length: ${typeof body === 'string' ? Buffer.byteLength(body) : body.length}\r\n\r\n`;
    const answer = await connection.exchange(head, body, read);
    idle.push(connection);
    return answer;
  };
}

/** One keep-alive connection, one request at a time. */
class Connection {
  readonly #socket: Socket;
  /** The answer being read: headers until their end is found, then the body. */
  #answer = new Uint8Array(READ_BYTES);
  #length = 0;
  #bodyAt = -1;
  #status = 0;
  #contentLength = 0;
  #pending: { finish: () => void; fail: (error: Error) => void } | undefined;

  static open(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const connection: Connection = new Connection(
        connect({
          host,
          port,
          noDelay: true,
          onread: {
            buffer: Buffer.allocUnsafe(READ_BYTES),
            callback: (bytes, buffer) => (connection.#received(buffer, bytes), true),
          },
        }),
      );
      connection.#socket.once('connect', () => resolve(connection)).once('error', reject);
    });
  }

  private constructor(socket: Socket) {
    this.#socket = socket;
    const lost = (error?: Error) => this.#pending?.fail(error ?? new Error('the server closed the connection'));
    socket.on('error', lost).on('close', () => lost());
  }

  exchange<T>(
    head: string,
    body: string | Uint8Array,
    read: (body: Uint8Array, status: number) => T,
  ): Promise<Answer<T>> {
    this.#length = 0;
    this.#bodyAt = -1;
    return new Promise((resolve, reject) => {
      this.#pending = {
        finish: () => {
          this.#pending = undefined;
          resolve({
            status: this.#status,
            result: read(this.#answer.subarray(this.#bodyAt, this.#bodyAt + this.#contentLength), this.#status),
          });
        },
        fail: (error) => {
          this.#pending = undefined;
          reject(error);
        },
      };
      this.#socket.cork();
      this.#socket.write(head);
      this.#socket.write(body);
      this.#socket.uncork();
    });
  }

  /** Whether the server has closed it (an idle keep-alive connection times out). */
  get closed(): boolean {
    return this.#socket.readyState !== 'open';
  }

  #received(buffer: Uint8Array, bytes: number): void {
    if (this.#length + bytes > this.#answer.length) {
      const grown = new Uint8Array(Math.max(this.#answer.length * 2, this.#length + bytes));
      grown.set(this.#answer.subarray(0, this.#length));
      this.#answer = grown;
    }
    this.#answer.set(buffer.subarray(0, bytes), this.#length);
    this.#length += bytes;
    if (this.#bodyAt < 0) {
      const end = Buffer.from(this.#answer.buffer, 0, this.#length).indexOf(HEADER_END);
      if (end < 0) return;
      const head = Buffer.from(this.#answer.buffer, 0, end).toString('latin1');
      const contentLength = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!contentLength) return this.#pending?.fail(new Error(`an answer without content-length: ${head}`));
      this.#status = Number(head.slice(9, 12));
      this.#contentLength = Number(contentLength[1]);
      this.#bodyAt = end + HEADER_END.length;
    }
    if (this.#length >= this.#bodyAt + this.#contentLength) this.#pending?.finish();
  }
}
