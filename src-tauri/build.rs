//! Generates the Tauri context and the permissions of Lanyard's own commands: every
//! command the UI may call is listed here and granted in `capabilities/`.

/// Commands the UI may invoke.
const COMMANDS: &[&str] = &[
    "status",
    "providers_list",
    "provider_add",
    "provider_remove",
    "channels_list",
    "channel_connect",
    "channel_reauth",
    "oauth_cancel",
    "channel_disconnect",
    "players_list",
    "player_add",
    "player_remove",
    "player_rotate_secret",
    "gateway_get",
    "gateway_set",
    "links_list",
    "link_add",
    "link_remove",
    "token_links_list",
    "token_link_add",
    "token_link_remove",
    "channel_set_handout",
    "audit_list",
    "tokens_list",
    "token_add",
    "token_edit",
    "token_remove",
    "token_match",
    "decisions_list",
    "decision_revoke",
    "prompt_answer",
    "preview_send",
    "preview_history",
    "preview_history_clear",
    "reminders_get",
    "reminders_set_thresholds",
    "reminders_pause",
    "autostart_get",
    "autostart_set",
    "identity_show",
    "identity_rename",
    "qr_code",
    "contacts_list",
    "contact_preview",
    "contact_add",
    "contact_rename",
    "contact_remove",
    "token_send",
    "offers_list",
    "offers_pending",
    "offer_import",
    "offer_import_file",
    "offer_accept",
    "offer_reject",
    "incoming_take",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
