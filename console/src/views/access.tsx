import type { AccessRequestView } from "../../../src/access/access-request.types.ts";
import { api } from "../api.ts";
import { useLiveData } from "../live.ts";
import { permit, type Session } from "../session.ts";
import { ActionButton, ago, ErrorBox, Loading, Table } from "../ui.tsx";

/** Just-in-time access requests: approve or deny (permission access.approve in the request's environment). */
export function AccessView(props: { session: Session }) {
  const { session } = props;
  const { data, error, reload } = useLiveData(
    () => api.accessRequests({ all: true, limit: 200 }),
    (e) => e.type.startsWith("access."),
  );
  if (!data) return error ? <ErrorBox error={error} /> : <Loading />;
  const review = (r: AccessRequestView, decision: "approve" | "deny") => {
    const mine = r.requester === session.who.actor;
    const allowed = permit(session, "access.approve", r.env);
    return (
      <ActionButton
        label={decision === "approve" ? "Approve" : "Deny"}
        danger={decision === "deny"}
        permit={
          mine && allowed.allowed ? { allowed: false, why: "nobody approves their own request", command: "ask another approver" } : allowed
        }
        confirm={{
          title: `${decision === "approve" ? "Approve" : "Deny"} request #${r.id}?`,
          body: (
            <p>
              {r.requester} asks for role <strong>{r.role}</strong> in <strong>{r.env}</strong> for {Math.round(r.durationMs / 60_000)}{" "}
              minutes: “{r.reason}”.
            </p>
          ),
          yes: decision === "approve" ? `Grant ${r.role} in ${r.env}` : "Deny it",
        }}
        run={() => api.reviewAccessRequest(r.env, r.id, decision, "from the console")}
        onDone={reload}
      />
    );
  };
  return (
    <div class="stack">
      <h1>Access requests</h1>
      <ErrorBox error={error} />
      <Table
        caption="Access requests"
        rows={data}
        rowKey={(r) => String(r.id)}
        empty="No access request."
        columns={[
          { key: "id", label: "#", sort: (r) => r.id, render: (r) => `#${r.id}` },
          { key: "who", label: "Requester", sort: (r) => r.requester, render: (r) => r.requester },
          { key: "role", label: "Role", sort: (r) => r.role, render: (r) => `${r.role} in ${r.env}` },
          { key: "for", label: "For", render: (r) => `${Math.round(r.durationMs / 60_000)} min` },
          { key: "why", label: "Reason", render: (r) => r.reason },
          { key: "state", label: "State", sort: (r) => r.state, render: (r) => <span class={`status ${r.state}`}>{r.state}</span> },
          {
            key: "rev",
            label: "Approvals",
            render: (r) => `${r.reviews.filter((v) => v.decision === "approve").length}/${r.approvalsNeeded}`,
          },
          { key: "at", label: "Asked", sort: (r) => r.createdAt, render: (r) => ago(r.createdAt) },
          {
            key: "act",
            label: "Action",
            render: (r) =>
              r.state === "pending" ? (
                <span class="buttons">
                  {review(r, "approve")}
                  {review(r, "deny")}
                </span>
              ) : null,
          },
        ]}
      />
    </div>
  );
}
