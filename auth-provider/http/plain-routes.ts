/**
 * The token endpoint and the JWKS served on node:http's own request and
 * response objects, ahead of express. Express 5 swaps the prototype of every
 * request and response (app.handle) and walks its routers; on this project's
 * machines a JWKS answer cost 0.02 ms of CPU on bare node:http, 0.07 ms with
 * that swap alone and 0.14 ms through an express app. The two endpoints'
 * handlers need nothing of express on the requests they accept here: they get
 * `res.locals` and `req.originalUrl` as own properties (what express would
 * have set), the request log runs as before when it is on, and any other
 * request (another method, a JSON body, a path that is not exactly theirs)
 * goes to express untouched. An unexpected failure turns the request into
 * express's (the same prototype swap) and goes to the app's error handler.
 * With tracing on, everything goes through express (its request spans).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from "express";

/** One endpoint served here, at an exact path. */
export interface PlainRoute {
  /** Whether this request is answered here (read nothing from it); if not, express answers it. */
  accepts(req: IncomingMessage): boolean;
  /** The endpoint's handler (an express one that uses only what is described above); next(err) for a failure. */
  readonly handle: RequestHandler;
}

/** What the listener needs besides the app. */
export interface PlainRoutesOptions {
  /** Routes by exact path (no query string). */
  readonly routes: ReadonlyMap<string, PlainRoute>;
  /** The request log, when it is on (it runs first, as in the app). */
  readonly requestLog?: RequestHandler | undefined;
  /** The app's error handler. */
  readonly onError: ErrorRequestHandler;
}

/** A node:http request listener: the plain routes, else the app. */
export function createPlainRoutesListener(app: Express, options: PlainRoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { routes, requestLog, onError } = options;
  return (req, res) => {
    const route = routes.get(req.url ?? "");
    if (route === undefined || !route.accepts(req)) return void app(req, res);
    // What express's router would have given the handlers (own properties: the prototypes stay node:http's).
    const request = Object.assign(req, { originalUrl: req.url }) as unknown as Request;
    const response = Object.assign(res, { locals: Object.create(null) as Record<string, unknown> }) as unknown as Response;
    const fail = (err: unknown) => {
      becomeExpress(app, request, response);
      onError(err, request, response, () => {});
    };
    const next = (err?: unknown) => (err === undefined ? fail(new Error(`nothing answered ${req.method} ${req.url}`)) : fail(err));
    const run = () => void route.handle(request, response, next);
    if (requestLog === undefined) run();
    else void requestLog(request, response, (err?: unknown) => (err === undefined ? run() : fail(err)));
  };
}

// What express's app.handle does to every request, so its error handler can answer.
function becomeExpress(app: Express, req: Request, res: Response): void {
  Object.assign(req, { res });
  Object.assign(res, { req });
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
}
