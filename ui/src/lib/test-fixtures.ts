import type { StatusDto } from "./bindings/StatusDto";

export function makeStatus(overrides: Partial<StatusDto> = {}): StatusDto {
  return {
    version: "0.1.0",
    dataDir: "/home/ada/.local/share/lanyard",
    databasePath: "/home/ada/.local/share/lanyard/lanyard.sqlite3",
    schemaVersion: 3,
    secretStore: {
      backend: "keyring",
      usable: true,
      detail: "Secret Service (GNOME Keyring)",
      warning: null,
    },
    ...overrides,
  };
}
