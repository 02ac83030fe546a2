import { Pool } from "undici";

export class GraphQLRequestError extends Error {
  override readonly name = "GraphQLRequestError";
}

/** A lean GraphQL-over-HTTP client with kept-alive connections, so the client costs little CPU. */
export class GraphQLClient {
  private readonly pool: Pool;

  constructor(
    baseUrl: string,
    private readonly token: string,
    connections = 32,
  ) {
    this.pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  async request<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.pool.request({
      path: "/graphql",
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${this.token}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.body.text();
    const body = JSON.parse(text) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (response.statusCode !== 200 || body.errors?.length) {
      const first = body.errors?.[0];
      throw new GraphQLRequestError(`HTTP ${response.statusCode}: ${first ? `${first.extensions?.code ?? ""} ${first.message}` : text.slice(0, 200)}`);
    }
    return body.data as T;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
