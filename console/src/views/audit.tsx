import { useState } from "preact/hooks";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { permit, type Session } from "../session.ts";
import { ErrorBox, Loading } from "../ui.tsx";
import { EventTable } from "./events.tsx";

/** The audit log (permission audit.read): who did what, and whether the hash chain verifies. */
export function AuditView(props: { session: Session }) {
  const allowed = permit(props.session, "audit.read", null);
  const [actor, setActor] = useState("");
  const { data, error } = useLiveData(
    async () => {
      if (!allowed.allowed) return null;
      const [events, verify] = await Promise.all([api.audit({ actor: actor || undefined, limit: 300 }), api.auditVerify()]);
      return { events, verify };
    },
    () => false,
    [actor],
  );
  if (!allowed.allowed)
    return (
      <div class="stack">
        <h1>Audit log</h1>
        <p class="error" role="alert">
          {allowed.why}. To get access: <code>{allowed.command}</code>
        </p>
      </div>
    );
  return (
    <div class="stack">
      <h1>Audit log</h1>
      <form class="inline" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <label>
          Actor <input value={actor} onChange={(e) => setActor(e.currentTarget.value)} />
        </label>
      </form>
      <ErrorBox error={error} />
      {data ? (
        <>
          <p class={data.verify.ok ? "ok" : "bad"} role="status">
            {data.verify.ok
              ? `The audit chain verifies (${data.verify.events} events, ${data.verify.checkpoints} checkpoints).`
              : "The audit chain does NOT verify: run rampart audit verify."}
          </p>
          <EventTable events={[...data.events].reverse()} />
        </>
      ) : (
        <Loading />
      )}
    </div>
  );
}
