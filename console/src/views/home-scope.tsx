import { permit, type Session } from "../session.ts";

/**
 * The environments the home left out because the user may not read them: named, with why and the command that
 * gets access, so that a staging-only developer knows production exists and how to see it.
 */
export function HiddenEnvironments(props: { session: Session; hidden: string[] }) {
  if (props.hidden.length === 0) return null;
  return (
    <div class="why" role="note" data-testid="hidden-environments">
      Not shown: {props.hidden.join(", ")}.
      <ul class="list">
        {props.hidden.map((env) => {
          const answer = permit(props.session, "read", env);
          return (
            <li key={env}>
              {answer.allowed ? (
                `${env}: reload to see it`
              ) : (
                <>
                  {answer.why}. To see it: <code>{answer.command}</code>
                </>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
