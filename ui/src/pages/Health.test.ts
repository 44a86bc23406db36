import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { HealthCheckDto, HealthDto } from "../lib/ipc";
import { mockRecording } from "../lib/test-fixtures";
import Health from "./Health.svelte";

const LOBBY = { id: "p1", name: "Lobby" };

const TIMELINE: HealthDto = {
  moments: [
    {
      channelId: "ch-1",
      label: "Microsoft 365 — alice@contoso.com",
      kind: "needs_reauth",
      at: null,
      onlyIf: null,
      source: null,
      screens: [LOBBY],
      action: "Re-authorize Microsoft 365 — alice@contoso.com",
    },
  ],
  subjects: [],
};

const CHECK: HealthCheckDto = {
  checkedAt: 1_800_000_000,
  channels: [
    {
      channelId: "ch-1",
      label: "Microsoft 365 — alice@contoso.com",
      ok: false,
      code: "needs_reauth",
      detail: "channel ch-1 needs re-authorization",
      screens: [LOBBY],
    },
  ],
  screens: [
    {
      playerId: "p1",
      name: "Lobby",
      verdict: "blank",
      reason: "the provider no longer accepts the channel's master token",
      action: "Re-authorize Microsoft 365 — alice@contoso.com",
      staleSince: null,
      probes: [],
    },
    {
      playerId: "p2",
      name: "Kitchen",
      verdict: "live",
      reason: null,
      action: null,
      staleSince: null,
      probes: [],
    },
  ],
};

describe("Health", () => {
  it("lists what will stop with the screens at stake", async () => {
    mockRecording({ health_get: () => TIMELINE });
    render(Health);
    const table = await screen.findByTestId("timeline");
    const row = within(table).getByText("Needs re-authorization").closest("tr") as HTMLElement;
    expect(within(row).getByText("Now")).toBeTruthy();
    expect(within(row).getByText("Lobby")).toBeTruthy();
    expect(within(row).getByText("Re-authorize Microsoft 365 — alice@contoso.com")).toBeTruthy();
  });

  it("lists a feed already stale with the screens it blanks and when", async () => {
    mockRecording({
      health_get: () => ({
        moments: [
          {
            channelId: "ch-1",
            label: "Microsoft 365 — alice@contoso.com",
            kind: "feed_stale",
            at: 1_800_086_400,
            onlyIf: null,
            source: null,
            screens: [LOBBY],
            action: "Get the data source back up (Lanyard retries on its own)",
          },
        ],
        subjects: [],
      }),
    });
    render(Health);
    const table = await screen.findByTestId("timeline");
    const row = within(table).getByText("Stale data runs out: screens go blank").closest("tr") as HTMLElement;
    expect(row.dataset.kind).toBe("feed_stale");
    expect(within(row).queryByText("Now")).toBeNull();
    expect(within(row).getByText("Lobby")).toBeTruthy();
    expect(within(row).getByText("Get the data source back up (Lanyard retries on its own)")).toBeTruthy();
  });

  it("checks now and says per screen what it will show and the fix", async () => {
    const { of } = mockRecording({ health_get: () => ({ moments: [], subjects: [] }), health_check: () => CHECK });
    render(Health);
    expect(await screen.findByTestId("timeline-empty")).toBeTruthy();
    await fireEvent.click(screen.getByTestId("check-now"));
    const lobby = await screen.findByTestId("verdict-p1");
    expect(lobby.dataset.verdict).toBe("blank");
    expect(lobby.textContent).toContain("Will go blank");
    expect(lobby.textContent).toContain("Fix: Re-authorize Microsoft 365 — alice@contoso.com");
    expect(screen.getByTestId("verdict-p2").textContent).toContain("Will show live data");
    expect(screen.getByTestId("refresh-failed-ch-1").textContent).toContain("screens at stake: Lobby");
    expect(of("health_check")).toHaveLength(1);
    // The timeline is read again after the check.
    await waitFor(() => expect(of("health_get")).toHaveLength(2));
  });
});
