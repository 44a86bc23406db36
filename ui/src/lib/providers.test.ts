import { describe, expect, it } from "vitest";
import { PROVIDER_FIELD_IDS, providerFieldForBackendError } from "./providers";

describe("providerFieldForBackendError", () => {
  it("maps the core's field names to the form's fields", () => {
    expect(providerFieldForBackendError({ code: "invalid_input", field: "loopback_port" })).toBe("loopbackPort");
    expect(providerFieldForBackendError({ code: "invalid_input", field: "reauth_days" })).toBe("reauthDays");
    expect(providerFieldForBackendError({ code: "invalid_input", field: "client_id" })).toBe("clientId");
    expect(providerFieldForBackendError({ code: "invalid_input", field: "tenant" })).toBe("tenant");
    expect(providerFieldForBackendError({ code: "invalid_input", field: "discovery_url" })).toBe("discoveryUrl");
    expect(providerFieldForBackendError({ code: "invalid_input", field: "client_secret" })).toBe("clientSecret");
  });

  it("leaves other errors to the whole form", () => {
    expect(providerFieldForBackendError({ code: "invalid_input" })).toBeNull();
    expect(providerFieldForBackendError({ code: "invalid_input", field: "prefix" })).toBeNull();
    expect(providerFieldForBackendError({ code: "provider_unavailable", field: "discovery_url" })).toBeNull();
  });

  it("names an input for every field", () => {
    for (const id of Object.values(PROVIDER_FIELD_IDS)) expect(id).toMatch(/^provider-/);
  });
});
