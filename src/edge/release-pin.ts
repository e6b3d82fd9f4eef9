import { BlockList, isIPv4, isIPv6 } from "node:net";

/**
 * Who may pin a request to a release with `X-Rampart-Release: N` (testing a canary or a warm release in
 * production before users get it). Anyone else's header is ignored, so users cannot pick a release.
 */
export class PinSources {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(cidrs: readonly string[]) {
    let added = 0;
    for (const cidr of cidrs) {
      const [address = "", bits] = cidr.split("/");
      const type = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : undefined;
      // The table schema keeps these strings short; an unparsable one is skipped rather than failing the table.
      if (type === undefined) continue;
      const prefix = bits === undefined ? (type === "ipv4" ? 32 : 128) : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (type === "ipv4" ? 32 : 128)) continue;
      this.list.addSubnet(address, prefix, type);
      added++;
    }
    this.empty = added === 0;
  }

  allows(address: string | undefined): boolean {
    if (this.empty || address === undefined) return false;
    // IPv4 clients on a dual-stack socket arrive as ::ffff:a.b.c.d.
    if (address.startsWith("::ffff:") && isIPv4(address.slice(7))) return this.list.check(address.slice(7), "ipv4");
    return this.list.check(address, isIPv4(address) ? "ipv4" : "ipv6");
  }
}

/** The release number in an `X-Rampart-Release` value, or undefined when it is not a plain positive integer. */
export function parsePinnedRelease(value: string | undefined): number | undefined {
  if (value === undefined || !/^[1-9][0-9]{0,8}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
