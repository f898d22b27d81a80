import type { HttpRequest } from "./request-parser";
import type { Response } from "./response";

export type RouteHandler = (req: HttpRequest, res: Response, params: Record<string, string>) => void;

interface Route {
  method: string;
  parts: string[];
  handler: RouteHandler;
}

/**
 * A table of routes, "/load/:id" style — the paper's CGI table: each URL maps
 * to a function that renders its page. A path that exists with another method
 * answers 405 with Allow; no match answers 404. HEAD is served by GET routes.
 */
export class Router {
  private routes: Route[] = [];

  get(path: string, handler: RouteHandler): this {
    return this.add("GET", path, handler);
  }

  post(path: string, handler: RouteHandler): this {
    return this.add("POST", path, handler);
  }

  add(method: string, path: string, handler: RouteHandler): this {
    this.routes.push({ method, parts: path.split("/"), handler });
    return this;
  }

  /** Route list for the report and the settings page. */
  list(): string[] {
    return this.routes.map((r) => `${r.method} ${r.parts.join("/")}`);
  }

  handle(req: HttpRequest, res: Response): void {
    const parts = req.path.split("/");
    const allowed: string[] = [];
    const method = req.method === "HEAD" ? "GET" : req.method;
    for (const r of this.routes) {
      const params = match(r.parts, parts);
      if (!params) continue;
      if (r.method === method) return r.handler(req, res, params);
      allowed.push(r.method === "GET" ? "GET, HEAD" : r.method);
    }
    if (allowed.length) {
      res.status(405).header("Allow", allowed.join(", ")).send("method not allowed\n", "text/plain; charset=utf-8");
    } else {
      res.status(404).send("not found\n", "text/plain; charset=utf-8");
    }
  }
}

function match(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.charCodeAt(0) === 0x3a) {
      if (parts[i] === "") return undefined;
      params[p.slice(1)] = parts[i];
    } else if (p !== parts[i]) return undefined;
  }
  return params;
}
