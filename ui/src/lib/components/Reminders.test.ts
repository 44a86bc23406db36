import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { RemindersDto } from "../ipc";
import { ipcRoutes, makeReminders } from "../test-fixtures";
import Reminders from "./Reminders.svelte";

type Call = { cmd: string; args: Record<string, unknown> };

function setup(handlers: Parameters<typeof ipcRoutes>[0] = {}) {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    return ipcRoutes(handlers)(cmd, args);
  });
  render(Reminders);
  return (cmd: string) => calls.filter((call) => call.cmd === cmd).map((call) => call.args);
}

function input(label: string): HTMLInputElement {
  return screen.getByLabelText(label) as HTMLInputElement;
}

async function setDays(soon: string, imminent: string): Promise<void> {
  await fireEvent.input(input("Remind me"), { target: { value: soon } });
  await fireEvent.input(input("days before, and again"), { target: { value: imminent } });
}

describe("Reminders", () => {
  it("shows the empty state and the thresholds", async () => {
    setup();
    await screen.findByText("Nothing needs re-authorization.");
    expect(screen.getByTestId("reminders-next-check").textContent).toContain("none scheduled");
    expect(input("Remind me").value).toBe("3");
    expect(input("days before, and again").value).toBe("1");
    expect(screen.getByRole("button", { name: "Pause notifications for 1 day" })).toBeTruthy();
  });

  it("lists the current reminders", async () => {
    setup({
      reminders_get: () =>
        makeReminders({
          reminders: [
            { channelId: "ch-1", level: "expired", dueAt: 1_700_000_000, message: "alice@example.com expired" },
            { channelId: "ch-2", level: "due_soon", dueAt: 1_700_100_000, message: "bob@example.com due in 2 days" },
          ],
          nextCheckAt: 1_700_050_000,
        }),
    });
    await waitFor(() => expect(screen.getAllByTestId("reminder")).toHaveLength(2));
    const rows = screen.getAllByTestId("reminder");
    expect(rows[0]?.textContent).toBe("alice@example.com expired");
    expect(rows[1]?.textContent).toBe("bob@example.com due in 2 days");
    expect(screen.queryByText("Nothing needs re-authorization.")).toBeNull();
    expect(screen.getByTestId("reminders-next-check").textContent).not.toContain("none scheduled");
  });

  it("saves the thresholds and shows a notice", async () => {
    const calls = setup({ reminders_set_thresholds: () => null });
    await screen.findByText("Nothing needs re-authorization.");
    await setDays("7", "2");
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls("reminders_set_thresholds")).toHaveLength(1));
    expect(calls("reminders_set_thresholds")[0]).toEqual({ soonDays: 7, imminentDays: 2 });
    await screen.findByText("Reminder settings saved.");
  });

  it("refuses an invalid combination without calling the backend", async () => {
    const calls = setup({ reminders_set_thresholds: () => null });
    await screen.findByText("Nothing needs re-authorization.");
    for (const [soon, imminent] of [
      ["2", "2"],
      ["31", "1"],
      ["3", "0"],
    ] as const) {
      await setDays(soon, imminent);
      await fireEvent.click(screen.getByRole("button", { name: "Save" }));
      expect(screen.getByTestId("reminders-form-error")).toBeTruthy();
    }
    expect(calls("reminders_set_thresholds")).toHaveLength(0);
  });

  it("shows the backend's error", async () => {
    setup({
      reminders_set_thresholds: () => {
        throw { code: "invalid_input", message: "thresholds out of range" };
      },
    });
    await screen.findByText("Nothing needs re-authorization.");
    await setDays("5", "2");
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByTestId("reminders-form-error").textContent).toBe("thresholds out of range"));
    expect(screen.queryByText("Reminder settings saved.")).toBeNull();
  });

  it("pauses for 24 hours, then resumes", async () => {
    let state: RemindersDto = makeReminders();
    const calls = setup({
      reminders_get: () => state,
      reminders_pause: (args) => {
        const hours = args.hours as number;
        const until = hours === 0 ? null : 1_700_086_400;
        state = makeReminders({ pausedUntil: until });
        return until;
      },
    });
    await fireEvent.click(await screen.findByRole("button", { name: "Pause notifications for 1 day" }));
    await waitFor(() => expect(calls("reminders_pause")).toEqual([{ hours: 24 }]));
    const resume = await screen.findByRole("button", { name: "Resume notifications" });
    expect(screen.getByTestId("reminders-paused").textContent).toContain("Paused until");

    await fireEvent.click(resume);
    await waitFor(() => expect(calls("reminders_pause")).toEqual([{ hours: 24 }, { hours: 0 }]));
    await screen.findByRole("button", { name: "Pause notifications for 1 day" });
    expect(screen.queryByTestId("reminders-paused")).toBeNull();
  });
});

describe("Reminders autostart", () => {
  it("shows the login setting and sends the change", async () => {
    const calls: Array<{ cmd: string; args: unknown }> = [];
    const route = ipcRoutes();
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      return route(cmd, args);
    });
    render(Reminders);
    const box = (await screen.findByTestId("autostart")) as HTMLInputElement;
    await waitFor(() => expect(box.disabled).toBe(false));
    expect(box.checked).toBe(false);
    await fireEvent.click(box);
    await waitFor(() => expect(calls.some((c) => c.cmd === "autostart_set")).toBe(true));
    expect(calls.find((c) => c.cmd === "autostart_set")?.args).toEqual({ enabled: true });
    await waitFor(() => expect(box.checked).toBe(true));
  });
});
