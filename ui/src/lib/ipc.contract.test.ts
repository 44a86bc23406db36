// The IPC contract, UI side: every wrapper in `ipc.ts` is called once (type-checked against
// its own signature), and the exact `(command, arguments)` pairs it hands to `invoke` are
// written to `src-tauri/tests/ipc_calls.json`. The shell's `tests/ipc_contract.rs` sends
// that list, in this order, through the real `invoke_handler` on Tauri's mock runtime.
// So a renamed or retyped argument on either side fails: here as a changed snapshot (update
// it with `npx vitest run -u` and the Rust test checks the new one), there as an argument
// the command cannot read.
//
// Strings starting with `$` name things the Rust test creates first (a channel, a token, a
// waiting question, …) and substitutes before sending; see `fixture()` there.
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import * as ipc from "./ipc";

type Wrappers = typeof ipc;
type Name = {
  [K in keyof Wrappers]: Wrappers[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Wrappers];

/** Exports of `ipc.ts` that are not command wrappers. */
const NOT_COMMANDS = new Set<string>([
  "isIpcError",
  "toIpcError",
  "onDeepLink",
  "onOauthResult",
  "onPromptRequest",
  "onTokenRequests",
  "onContactCard",
  "onProviderFile",
  "listenWhileMounted",
  "startupMark",
  "startShared",
  "endShared",
]);

interface Step {
  wrapper: string;
  run: () => Promise<unknown>;
}

function step<K extends Name>(wrapper: K, ...args: Parameters<Wrappers[K]>): Step {
  const fn = ipc[wrapper] as (...a: Parameters<Wrappers[K]>) => Promise<unknown>;
  return { wrapper, run: () => fn(...args) };
}

const provider: ipc.ProviderInputDto = {
  template: "microsoft",
  // A tenant id: a domain would be looked up at Microsoft when the provider is added.
  tenant: "3f0e7d5c-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
  discoveryUrl: null,
  name: "Contoso",
  authorizationEndpoint: null,
  tokenEndpoint: null,
  revocationEndpoint: null,
  userinfoEndpoint: null,
  scopes: ["offline_access", "User.Read"],
  clientId: "11111111-2222-3333-4444-555555555555",
  clientSecret: "CANARY-client-secret",
  redirectStyle: "deep_link",
  apiBaseUrls: ["https://graph.microsoft.com/v1.0/"],
  reauthDays: 14,
  loopbackPort: null,
  clientSecretExpiresAt: "2027-06-30",
};

/** The whole UI, one call per use, in an order the backend can follow. */
const scenario: Step[] = [
  step("status"),
  step("providersList"),
  step("providerAdd", provider),
  step("channelsList"),
  step("channelConnect", "$provider"),
  step("oauthCancel", "$pending"),
  step("providerRemove", "$removableProvider"),
  step("providerFileChoose"),
  // The offer id comes from the open above, which the fixture cannot name: an unknown one
  // is refused (`not_found`) and rejecting it is a no-op.
  step("providerFileAccept", "no-such-offer", false),
  step("providerFileReject", "no-such-offer"),
  step("channelReauth", "$channel"),
  step("playersList"),
  step("playerAdd", "Hall", null),
  step("playerAdd", "Lobby screen", "SN-001"),
  step("playerRotateSecret", "$player"),
  step("linksList"),
  step("linkAdd", "$player", "$channel"),
  step("linkRemove", "$player", "$channel"),
  step("channelSetHandout", "$channel", "proxy"),
  step("playerRemove", "$player"),
  step("gatewayGet"),
  step("gatewaySet", true, "127.0.0.1:0", ["http://localhost:5173"]),
  step("gatewaySet", false, "127.0.0.1:0", []),
  step("feedsList", null),
  step("feedsList", "$feedPlayer"),
  step("feedAdd", {
    playerId: "$feedPlayer",
    url: "https://data.example.com/v2/menu.json",
    name: "Menu",
    allowQuery: ["page"],
  }),
  step("feedRotate", "$feed"),
  step("feedRemove", "$feed"),
  step("feedGatewaySet", "https://signage-gw.example.com"),
  step("feedGatewayGet"),
  step("feedGatewaySet", null),
  step("tokensList"),
  step("tokenAdd", {
    prefix: "https://data.example.com/v1/",
    key: "api_key",
    placement: "form",
    requiresPermission: true,
    prompt: false,
    value: "CANARY-token-value",
  }),
  step("tokenEdit", "$token", {
    prefix: "https://data.example.com/v2/",
    key: null,
    placement: "header",
    requiresPermission: false,
    prompt: null,
    value: "CANARY-token-value-2",
  }),
  step("tokenMatch", "https://data.example.com/v2/feed", "GET"),
  step("tokenLinksList"),
  step("tokenLinkRemove", "license", "$token"),
  step("tokenLinkAdd", "license", "$token"),
  step("tokenRemove", "$token"),
  step("promptAnswer", "$permissionQuestion", { kind: "permission", answer: "accept_all" }),
  step("promptAnswer", "$valuesQuestion", { kind: "values", values: ["CANARY-prompted"] }),
  step("decisionsList"),
  step("decisionRevoke", "$decision"),
  step("previewSend", {
    url: "$dataUrl",
    method: "POST",
    headers: [["Accept", "application/json"]],
    body: '{"q":1}',
    channelId: "$channel",
    asPrincipal: null,
  }),
  step("previewHistory"),
  step("previewHistoryClear"),
  step("auditList", { channelId: "$channel", since: 0, limit: 50 }),
  step("auditList", { channelId: null, since: null, limit: null }),
  step("remindersGet"),
  step("healthGet"),
  step("healthCheck"),
  step("remindersSetThresholds", 10, 2),
  step("remindersPause", 24),
  step("remindersPause", 0),
  step("autostartGet"),
  step("autostartSet", true),
  step("autostartSet", false),
  step("identityShow"),
  step("identityRename", "Ada's desk"),
  step("qrCode", "lanyard://contact/abc.def"),
  step("contactsList"),
  step("contactPreview", "$strangerCard"),
  step("contactAdd", "$strangerCard", "Stranger"),
  step("contactRename", "$contact", "Grace H."),
  step("offersList", false),
  step("offersList", true),
  step("offersPending"),
  step("offerImport", "$offerLink"),
  step("offerImportFile"),
  step("offerAccept", "$offer"),
  step("offerReject", "$otherOffer"),
  step("tokenSend", "$sendableToken", "$contact", false),
  step("tokenSend", "$sendableToken", "$contact", true),
  step("contactRemove", "$contact"),
  step("incomingTake"),
  step("channelDisconnect", "$otherChannel"),
];

describe("the IPC contract", () => {
  it("calls every wrapper and records exactly what each one sends", async () => {
    const wrappers = Object.entries(ipc)
      .filter(([name, value]) => typeof value === "function" && !NOT_COMMANDS.has(name))
      .map(([name]) => name)
      .sort();
    const called = [...new Set(scenario.map((s) => s.wrapper))].sort();
    expect(called, "every wrapper in ipc.ts has a step in the scenario").toEqual(wrappers);

    const calls: { wrapper: string; cmd: string; args: unknown }[] = [];
    let current = "";
    mockIPC((cmd, args) => {
      // What the real `invoke` would post: the arguments as JSON.
      calls.push({ wrapper: current, cmd, args: JSON.parse(JSON.stringify(args ?? {})) });
      return null;
    });
    for (const s of scenario) {
      current = s.wrapper;
      const before = calls.length;
      await s.run();
      expect(calls.length - before, `${s.wrapper} invokes exactly one command`).toBe(1);
    }
    await expect(JSON.stringify(calls, null, 2) + "\n").toMatchFileSnapshot("../../../src-tauri/tests/ipc_calls.json");
  });
});
