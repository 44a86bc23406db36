/*
 * lanyard-player.js — the Lanyard client for HTML5 content on a screen. No dependencies;
 * load it with <script src="lanyard-player.js"></script> (it defines
 * `LanyardPlayer.createLanyard`) or require() it.
 *
 *   const lanyard = LanyardPlayer.createLanyard({
 *     gateway: "https://gateway.example:7443",
 *     sessionUrl: "http://127.0.0.1:7444/lanyard-session",   // or: getSession
 *   });
 *   const response = await lanyard.fetch("https://graph.microsoft.com/v1.0/me/events");
 *   const events = await response.json();
 *
 * The content never holds the permanent player secret: the player's firmware or a local
 * agent keeps it, trades it for a session at the gateway's `POST /v1/sessions` and hands
 * the content that session (`sessionUrl`: a URL on the player answering
 * `{ token, expires_in | expires_at }`; `getSession`: a function returning the same).
 * `playerSecret` (the content trades the secret itself) is for development only: it logs a
 * warning, and a gateway with `--sessions-only` (the default with TLS) refuses it.
 *
 * `lanyard.fetch(url, init)` sends the request through the gateway's `/v1/fetch` with a
 * session token (never the player secret), renewed before it expires.
 * The credentials the screen is linked to are attached inside the gateway; the content
 * never sees them. It resolves with the upstream's answer (a Response, any status, with
 * `X-Lanyard-Cache: hit|miss|revalidated`) and rejects with a `LanyardError` when the
 * gateway refuses: `unauthenticated` (401: the session ended because the screen was
 * unlinked, removed or its secret rotated), `not_covered` (403: no linked credential
 * covers the URL), `rate_limited` (429), `reflected_credential` (502: the upstream's
 * answer held a credential value the gateway sent, so it was not passed on),
 * `session_required` (401: the gateway takes sessions only), and so on — `error.status`,
 * `error.code`, `error.message`. After a 401 the next call starts a new session.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module && module.exports) {
    module.exports = api;
  }
  root.LanyardPlayer = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  /** A refusal by the gateway (not an upstream answer). */
  class LanyardError extends Error {
    constructor(status, code, message) {
      super(message || code || "the Lanyard gateway refused the request");
      this.name = "LanyardError";
      this.status = status;
      this.code = code || "gateway_error";
    }
  }

  /**
   * Options:
   * - gateway: the gateway's base URL (required).
   * - sessionUrl: a URL on the player (its firmware or a local agent, which keeps the
   *   player secret) answering { token, expires_in | expires_at }. The production path.
   * - getSession: instead, an async function returning { token, expires_in | expires_at }.
   * - playerSecret: instead, the player secret itself, traded at POST /v1/sessions —
   *   development only (the secret is then in the content; a warning is logged).
   * - renewAt: renew when this fraction of a session's life has passed (default 0.8).
   * - fetch: the fetch function to use (default: globalThis.fetch).
   * - onSession: called with { expiresAt, reason } each time a session is obtained
   *   (reason: "start", "renew" before expiry, "expired" after a 401 on an expired one).
   */
  function createLanyard(options) {
    const opts = options || {};
    if (!opts.gateway) throw new TypeError("createLanyard: give the gateway URL");
    const sources = ["playerSecret", "sessionUrl", "getSession"].filter((k) => opts[k]);
    if (sources.length !== 1) {
      throw new TypeError("createLanyard: give exactly one of playerSecret, sessionUrl, getSession");
    }
    if (opts.playerSecret && typeof console !== "undefined" && console.warn) {
      console.warn(
        "LanyardPlayer: playerSecret puts the permanent player secret in the screen content; " +
          "use it for development only. In production give sessionUrl or getSession (the " +
          "player's firmware or a local agent keeps the secret and hands out sessions).",
      );
    }
    const gateway = String(opts.gateway).replace(/\/+$/, "");
    const doFetch = opts.fetch || globalThis.fetch.bind(globalThis);
    const renewAt = typeof opts.renewAt === "number" && opts.renewAt > 0 && opts.renewAt < 1 ? opts.renewAt : 0.8;
    const now = () => Date.now();

    let session = null; // { token, obtainedAt, expiresAt, renewAfter } (local ms)
    let pending = null;

    async function refusal(response) {
      let code = "gateway_error";
      let message = `the gateway answered ${response.status}`;
      try {
        const body = await response.json();
        if (body && typeof body.code === "string") code = body.code;
        if (body && typeof body.message === "string") message = body.message;
      } catch (_) {
        /* not JSON */
      }
      return new LanyardError(response.status, code, message);
    }

    async function obtain() {
      let raw;
      if (opts.playerSecret) {
        const response = await doFetch(`${gateway}/v1/sessions`, {
          method: "POST",
          headers: { Authorization: `Bearer ${opts.playerSecret}` },
          cache: "no-store",
        });
        if (!response.ok) throw await refusal(response);
        raw = await response.json();
      } else if (opts.sessionUrl) {
        const response = await doFetch(opts.sessionUrl, { cache: "no-store" });
        if (!response.ok) throw await refusal(response);
        raw = await response.json();
      } else {
        raw = await opts.getSession();
      }
      if (!raw || typeof raw.token !== "string") {
        throw new LanyardError(0, "invalid_session", "the session source gave no token");
      }
      const obtainedAt = now();
      // Prefer the relative lifetime: the screen's clock may be off.
      const life =
        typeof raw.expires_in === "number"
          ? raw.expires_in * 1000
          : typeof raw.expires_at === "number"
            ? raw.expires_at * 1000 - obtainedAt
            : 60_000;
      const span = Math.max(life, 0);
      return {
        token: raw.token,
        obtainedAt,
        expiresAt: obtainedAt + span,
        renewAfter: obtainedAt + span * renewAt,
      };
    }

    /** The current session token, renewed when its life is mostly over. */
    async function token(reason) {
      if (session && now() < session.renewAfter && !reason) return session.token;
      if (!pending) {
        const why = reason || (session ? "renew" : "start");
        pending = obtain()
          .then((s) => {
            session = s;
            if (typeof opts.onSession === "function") {
              try {
                opts.onSession({ expiresAt: s.expiresAt, reason: why });
              } catch (_) {
                /* the callback's problem */
              }
            }
            return s.token;
          })
          .finally(() => {
            pending = null;
          });
      }
      return pending;
    }

    function target(url) {
      const absolute = new URL(String(url), typeof location !== "undefined" ? location.href : undefined);
      return `${gateway}/v1/fetch?url=${encodeURIComponent(absolute.href)}`;
    }

    async function send(url, init, bearer) {
      const headers = new Headers((init && init.headers) || {});
      headers.set("Authorization", `Bearer ${bearer}`);
      return doFetch(target(url), {
        method: (init && init.method) || "GET",
        headers,
        body: init && init.body,
        signal: init && init.signal,
        cache: "no-store",
      });
    }

    /**
     * `response.lanyard`: how the gateway answered — `{ cache, stale, staleSeconds,
     * reason }`. `stale` is true when the gateway could not get fresh data (upstream down,
     * hanging, 5xx, 429; the provider unavailable; re-authorization pending) and served the
     * last good answer, fetched `staleSeconds` ago; `reason` is the gateway's code for why
     * (`upstream_unreachable`, `upstream_timeout`, `upstream_error`,
     * `upstream_rate_limited`, `provider_unavailable`, `needs_reauth`). Content can show
     * "updated 14:02" from `Date.now() - staleSeconds * 1000`.
     */
    function mark(response) {
      const h = response.headers;
      const seconds = h.get("x-lanyard-stale");
      const info = {
        cache: h.get("x-lanyard-cache"),
        stale: seconds !== null,
        staleSeconds: seconds !== null ? Number(seconds) : 0,
        reason: h.get("x-lanyard-stale-reason"),
      };
      try {
        Object.defineProperty(response, "lanyard", { value: info, enumerable: true });
      } catch (_) {
        /* a frozen Response stand-in: nothing to mark */
      }
      return response;
    }

    /** Fetches `url` through the gateway (the answer carries `response.lanyard`). */
    async function lanyardFetch(url, init) {
      const bearer = await token();
      const used = session;
      let response = await send(url, init, bearer);
      if (response.status === 401 && !response.headers.has("x-lanyard-attached")) {
        // The session ran out (a sleeping screen, a slow clock): renew once, retry once.
        // A 401 on a live session means it was ended (unlinked, removed, rotated).
        const expired = used && now() >= used.expiresAt - 1000;
        if (expired) {
          if (session === used) session = null;
          response = await send(url, init, await token(session ? undefined : "expired"));
        }
      }
      // The upstream's answers carry X-Lanyard-Attached; the gateway's refusals do not.
      if (response.status >= 400 && !response.headers.has("x-lanyard-attached")) {
        const error = await refusal(response);
        if (error.status === 401) session = null; // the next call starts a new session
        throw error;
      }
      return mark(response);
    }

    return {
      fetch: lanyardFetch,
      /** Fetches and parses JSON (rejects on a non-2xx upstream status too). */
      async json(url, init) {
        const response = await lanyardFetch(url, init);
        if (!response.ok) {
          throw new LanyardError(response.status, "upstream_status", `the upstream answered ${response.status}`);
        }
        return response.json();
      },
      /** When the current session expires (ms since the epoch, local clock), or null. */
      sessionExpiresAt() {
        return session ? session.expiresAt : null;
      },
      /** Forgets the session (the next call starts a new one). */
      reset() {
        session = null;
      },
    };
  }

  return { createLanyard, LanyardError };
});
