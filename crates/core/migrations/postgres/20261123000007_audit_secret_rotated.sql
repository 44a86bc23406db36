-- A player's secret rotation is audited ('player_secret_rotated').
ALTER TABLE audit_event DROP CONSTRAINT audit_event_action_check;
ALTER TABLE audit_event ADD CONSTRAINT audit_event_action_check CHECK (action IN (
    'grant', 'refresh', 'connect', 'reauth', 'disconnect', 'token_attached',
    'prompt_answered', 'link', 'unlink', 'player_added', 'player_removed',
    'player_secret_rotated'));
