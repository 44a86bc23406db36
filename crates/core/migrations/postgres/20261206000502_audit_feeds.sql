-- Feed links are audited ('feed_added', 'feed_rotated', 'feed_removed'; subject 'feed').
ALTER TABLE audit_event DROP CONSTRAINT audit_event_action_check;
ALTER TABLE audit_event ADD CONSTRAINT audit_event_action_check CHECK (action IN (
    'grant', 'refresh', 'connect', 'reauth', 'disconnect', 'token_attached',
    'prompt_answered', 'link', 'unlink', 'player_added', 'player_removed',
    'player_secret_rotated', 'feed_added', 'feed_rotated', 'feed_removed'));
