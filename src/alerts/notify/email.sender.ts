import type { Receiver } from "./notify-config.ts";

/**
 * Email over SMTP with nodemailer. The password comes from the environment variable the manifest names, read at
 * send time, so it is never stored, never in the delivery log and never in an error message.
 */
export async function sendEmail(
  receiver: Extract<Receiver, { kind: "email" }>,
  message: { subject: string; text: string },
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const { smtp } = receiver;
  let auth: { user: string; pass: string } | undefined;
  if (smtp.username !== undefined) {
    const pass = smtp.passwordEnv ? env[smtp.passwordEnv] : undefined;
    if (smtp.passwordEnv && pass === undefined) {
      throw new Error(
        `the SMTP password variable ${smtp.passwordEnv} is not set in rampart up's environment; set it and restart rampart up`,
      );
    }
    auth = { user: smtp.username, pass: pass ?? "" };
  }
  // Loaded on the first email, not at start-up.
  const { default: nodemailer } = await import("nodemailer");
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure ?? smtp.port === 465,
    auth,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 10_000,
  });
  try {
    await transport.sendMail({ from: smtp.from, to: receiver.to, subject: message.subject, text: message.text });
  } finally {
    transport.close();
  }
}
