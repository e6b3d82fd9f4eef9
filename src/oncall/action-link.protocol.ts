import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { ProtocolNeed, ProtocolPlugin } from "../api/api-server.ts";
import type { Clock } from "../shared/clock.ts";
import { RampartError } from "../shared/errors.ts";
import type { ActionLinkSigner, LinkClaim } from "./action-link.ts";
import type { ActionLinkUses } from "./action-link.store.ts";

const paramsSchema = z.object({ token: z.string().max(400) });

/** The API request a link stands for, and the permission it needs (checked before the link is spent). */
export function requestFor(claim: LinkClaim): { need: ProtocolNeed; url: string; body: object; what: string } {
  const enc = encodeURIComponent;
  const [env = "", name = ""] = claim.target.split("/", 2);
  switch (claim.action) {
    case "ack":
      return {
        need: { permission: "rollout.steer" },
        url: `/api/v1/alerts/${enc(claim.target)}/ack`,
        body: {},
        what: `acknowledge alert ${claim.target}`,
      };
    case "rollback":
      return {
        need: { permission: "rollback", env, app: name },
        url: `/api/v1/envs/${enc(env)}/apps/${enc(name)}/rollbacks`,
        body: {},
        what: `roll back ${name} in ${env}`,
      };
    case "flag_off":
      return {
        need: { permission: "flags.write", env },
        url: `/api/v1/flags/${enc(name)}/envs/${enc(env)}/kill`,
        body: { reason: "turned off from a notification link" },
        what: `turn flag ${name} off in ${env}`,
      };
  }
}

/**
 * `/api/v1/actions/:token`. GET verifies the link and answers a confirmation page (no login needed to see it: it
 * shows only what the link says, and the session cookie is SameSite=Strict, so a click from a mail is not yet
 * logged in). POST acts: the caller must be logged in (cookie or bearer) and hold the action's permission; the link
 * is then spent and the action's own API route is called with the caller's credentials, so its permission, audit
 * and events apply exactly as from the CLI.
 */
export function actionLinkProtocol(deps: { signer: ActionLinkSigner; uses: ActionLinkUses; clock: Clock }): ProtocolPlugin {
  return (app, access) => {
    const claimOf = (request: FastifyRequest) => {
      const params = paramsSchema.safeParse(request.params);
      if (!params.success) throw new RampartError("action_link_invalid", "this action link is malformed", { hint: "use the link as sent" });
      return deps.signer.verify(params.data.token, deps.clock.now());
    };

    app.get("/api/v1/actions/:token", async (request, reply: FastifyReply) => {
      const claim = claimOf(request);
      const { what } = requestFor(claim);
      reply.header("content-type", "text/html; charset=utf-8").header("cache-control", "no-store").header("referrer-policy", "no-referrer");
      return confirmPage(what, claim.expiresAt);
    });

    app.post("/api/v1/actions/:token", async (request, reply) => {
      const claim = claimOf(request);
      const target = requestFor(claim);
      // 401 without a login, 403 without the permission: a link alone grants nothing, and a refused click does not spend it.
      const actor = await access.require(request, target.need);
      await deps.uses.claim(claim, actor);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (request.headers.authorization) headers.authorization = request.headers.authorization;
      if (request.headers.cookie) headers.cookie = request.headers.cookie;
      const response = await app.inject({ method: "POST", url: target.url, headers, payload: JSON.stringify(target.body) });
      const result: unknown = response.body ? JSON.parse(response.body) : null;
      // The action's own error (e.g. nothing to roll back to) goes back as it is: the link is spent either way.
      if (response.statusCode >= 400) return reply.code(response.statusCode).send(result);
      return { action: claim.action, target: claim.target, actor, result };
    });
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function confirmPage(what: string, expiresAt: number): string {
  const label = escapeHtml(what);
  return `<!doctype html><html><head><meta charset="utf-8"><title>Rampart: ${label}</title></head><body>
<h1>${label}?</h1><p>This link acts once, as you, with your permissions, until ${new Date(expiresAt).toISOString()}.</p>
<button id="go">${label}</button><pre id="out"></pre>
<script>document.getElementById("go").onclick=async()=>{const r=await fetch(location.pathname,{method:"POST",credentials:"same-origin"});
document.getElementById("out").textContent=r.status===401?"Log in to the console first, then reload this page.":await r.text();};</script>
</body></html>`;
}
