package sqlite

// migrations are applied in order; user_version records how many ran. Never
// edit one that has shipped: add another.
var migrations = []string{
	// 1: the ledger.
	`
CREATE TABLE ledger_accounts (
	id         TEXT PRIMARY KEY,
	unit       TEXT NOT NULL,
	floor      INTEGER NOT NULL CHECK (floor IN (0, 1)),
	posted     INTEGER NOT NULL DEFAULT 0,
	reserved   INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
	created_at INTEGER NOT NULL,
	CHECK (floor = 0 OR (posted >= 0 AND posted - reserved >= 0)),
	UNIQUE (id, unit)
) STRICT;

CREATE TABLE transfers (
	id           TEXT PRIMARY KEY,
	from_account TEXT NOT NULL,
	to_account   TEXT NOT NULL,
	amount       INTEGER NOT NULL CHECK (amount > 0),
	unit         TEXT NOT NULL,
	code         TEXT NOT NULL,
	ref          TEXT NOT NULL,
	memo         TEXT NOT NULL,
	at           INTEGER NOT NULL,
	CHECK (from_account <> to_account),
	-- Both accounts exist and count the transfer's unit.
	FOREIGN KEY (from_account, unit) REFERENCES ledger_accounts (id, unit),
	FOREIGN KEY (to_account, unit) REFERENCES ledger_accounts (id, unit)
) STRICT, WITHOUT ROWID;
CREATE INDEX transfers_from ON transfers(from_account, at);
CREATE INDEX transfers_to ON transfers(to_account, at);

CREATE TABLE reservations (
	id               TEXT PRIMARY KEY,
	account          TEXT NOT NULL REFERENCES ledger_accounts(id),
	amount           INTEGER NOT NULL CHECK (amount > 0),
	state            TEXT NOT NULL CHECK (state IN ('open', 'settled', 'voided', 'expired')),
	expires_at       INTEGER NOT NULL,
	created_at       INTEGER NOT NULL,
	settled_transfer TEXT,
	settled_amount   INTEGER CHECK (settled_amount IS NULL OR (settled_amount >= 0 AND settled_amount <= amount))
) STRICT, WITHOUT ROWID;
CREATE INDEX reservations_open ON reservations(expires_at) WHERE state = 'open';

-- Balances move only here, so posted always equals the transfers' sum.
CREATE TRIGGER transfer_post AFTER INSERT ON transfers BEGIN
	UPDATE ledger_accounts SET posted = posted - NEW.amount WHERE id = NEW.from_account;
	UPDATE ledger_accounts SET posted = posted + NEW.amount WHERE id = NEW.to_account;
END;
CREATE TRIGGER transfer_no_update BEFORE UPDATE ON transfers BEGIN
	SELECT RAISE(ABORT, 'ledger: transfers are immutable');
END;
CREATE TRIGGER transfer_no_delete BEFORE DELETE ON transfers BEGIN
	SELECT RAISE(ABORT, 'ledger: transfers are immutable');
END;

CREATE TRIGGER reservation_hold AFTER INSERT ON reservations WHEN NEW.state = 'open' BEGIN
	UPDATE ledger_accounts SET reserved = reserved + NEW.amount WHERE id = NEW.account;
END;
CREATE TRIGGER reservation_closed BEFORE UPDATE ON reservations
WHEN OLD.state <> 'open' OR NEW.amount <> OLD.amount OR NEW.account <> OLD.account BEGIN
	SELECT RAISE(ABORT, 'ledger: reservation is closed or immutable');
END;
CREATE TRIGGER reservation_release AFTER UPDATE OF state ON reservations
WHEN OLD.state = 'open' AND NEW.state <> 'open' BEGIN
	UPDATE ledger_accounts SET reserved = reserved - OLD.amount WHERE id = OLD.account;
END;
CREATE TRIGGER reservation_no_delete BEFORE DELETE ON reservations BEGIN
	SELECT RAISE(ABORT, 'ledger: reservations are kept');
END;
`,
	// 2: billing state beside the ledger.
	`
CREATE TABLE customers (
	id           TEXT PRIMARY KEY,
	currency     TEXT NOT NULL,
	plan         TEXT NOT NULL,
	cycle_anchor INTEGER NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE seats (
	account    TEXT NOT NULL REFERENCES customers(id),
	user       TEXT NOT NULL,
	added_at   INTEGER NOT NULL,
	removed_at INTEGER,
	PRIMARY KEY (account, user)
) STRICT;

CREATE TABLE cards (
	account   TEXT PRIMARY KEY REFERENCES customers(id),
	id        TEXT NOT NULL,
	brand     TEXT NOT NULL,
	last4     TEXT NOT NULL,
	exp_month INTEGER NOT NULL,
	exp_year  INTEGER NOT NULL
) STRICT;

CREATE TABLE auto_topup (
	account     TEXT PRIMARY KEY REFERENCES customers(id),
	enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	threshold   INTEGER NOT NULL CHECK (threshold >= 0),
	amount      INTEGER NOT NULL CHECK (amount >= 0),
	daily_count INTEGER NOT NULL CHECK (daily_count >= 0),
	monthly_cap INTEGER NOT NULL CHECK (monthly_cap >= 0),
	failures    INTEGER NOT NULL DEFAULT 0,
	in_flight   TEXT,
	disabled    TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE topup_attempts (
	id         TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES customers(id),
	kind       TEXT NOT NULL CHECK (kind IN ('manual', 'auto')),
	key        TEXT NOT NULL UNIQUE,
	amount     INTEGER NOT NULL CHECK (amount > 0),
	currency   TEXT NOT NULL,
	card       TEXT NOT NULL,
	status     TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
	payment_id TEXT NOT NULL DEFAULT '',
	failure    TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX topup_attempts_account ON topup_attempts(account, created_at);
CREATE INDEX topup_attempts_pending ON topup_attempts(created_at) WHERE status = 'pending';
-- A payment is credited by at most one attempt.
CREATE UNIQUE INDEX topup_attempts_payment ON topup_attempts(payment_id) WHERE payment_id <> '';

CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY,
	account    TEXT NOT NULL,
	kind       TEXT NOT NULL,
	message    TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX notifications_account ON notifications(account, id);
`,
	// 3: the team: users and their phones' SIP credentials.
	`
CREATE TABLE users (
	email      TEXT PRIMARY KEY CHECK (email = lower(email) AND email LIKE '%_@_%'),
	account    TEXT NOT NULL REFERENCES customers(id),
	role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	extension  TEXT NOT NULL,
	password   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (account, extension)
) STRICT;
-- Exactly one owner per account is kept by the code that changes roles;
-- at most one is kept here.
CREATE UNIQUE INDEX users_one_owner ON users(account) WHERE role = 'owner';

CREATE TABLE devices (
	username   TEXT PRIMARY KEY,
	email      TEXT NOT NULL REFERENCES users(email),
	name       TEXT NOT NULL,
	realm      TEXT NOT NULL,
	ha1_md5    TEXT NOT NULL,
	ha1_sha256 TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX devices_email ON devices(email);
`,
	// 4: numbers and who answers them.
	`
CREATE TABLE numbers (
	e164       TEXT PRIMARY KEY CHECK (e164 GLOB '+[1-9]*' AND length(e164) BETWEEN 8 AND 16),
	account    TEXT NOT NULL REFERENCES customers(id),
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE number_members (
	e164     TEXT NOT NULL REFERENCES numbers(e164),
	email    TEXT NOT NULL REFERENCES users(email),
	position INTEGER NOT NULL,
	PRIMARY KEY (e164, email)
) STRICT;
CREATE INDEX number_members_email ON number_members(email);
`,
	// 5: texts waiting for their recipients.
	`
CREATE TABLE queued_messages (
	id         INTEGER PRIMARY KEY,
	email      TEXT NOT NULL REFERENCES users(email),
	sender     TEXT NOT NULL,
	text       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX queued_messages_email ON queued_messages(email, id);
`,
	// 6: business hours and voicemail.
	`
ALTER TABLE numbers ADD COLUMN hours TEXT NOT NULL DEFAULT 'always';
ALTER TABLE numbers ADD COLUMN zone TEXT NOT NULL DEFAULT 'UTC';
CREATE TABLE voicemails (
	id         TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES customers(id),
	e164       TEXT NOT NULL REFERENCES numbers(e164),
	caller     TEXT NOT NULL,
	seconds    INTEGER NOT NULL CHECK (seconds >= 0),
	path       TEXT NOT NULL,
	heard      INTEGER NOT NULL DEFAULT 0 CHECK (heard IN (0, 1)),
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX voicemails_number ON voicemails(e164, created_at);
`,
	// 7: call detail records and message records.
	`
CREATE TABLE call_records (
	id          TEXT PRIMARY KEY,
	account     TEXT NOT NULL REFERENCES customers(id),
	direction   TEXT NOT NULL CHECK (direction IN ('internal', 'outbound', 'inbound', 'forwarded')),
	from_party  TEXT NOT NULL,
	to_party    TEXT NOT NULL,
	started_at  INTEGER NOT NULL,
	answered_at INTEGER,
	ended_at    INTEGER NOT NULL,
	seconds     INTEGER NOT NULL CHECK (seconds >= 0),
	cost        INTEGER NOT NULL CHECK (cost >= 0),
	currency    TEXT NOT NULL,
	destination TEXT NOT NULL,
	disposition TEXT NOT NULL CHECK (disposition IN ('answered', 'missed', 'busy', 'refused', 'failed', 'voicemail')),
	cause       TEXT NOT NULL,
	recording   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX call_records_account ON call_records(account, started_at);
CREATE TABLE message_records (
	id         TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES customers(id),
	direction  TEXT NOT NULL CHECK (direction IN ('internal', 'outbound', 'inbound')),
	from_party TEXT NOT NULL,
	to_party   TEXT NOT NULL,
	at         INTEGER NOT NULL,
	segments   INTEGER NOT NULL CHECK (segments >= 0),
	cost       INTEGER NOT NULL CHECK (cost >= 0),
	currency   TEXT NOT NULL,
	status     TEXT NOT NULL
) STRICT;
CREATE INDEX message_records_account ON message_records(account, at);
`,
	// 8: registrations outlive a restart.
	`
CREATE TABLE registrations (
	device     TEXT NOT NULL,
	contact    TEXT NOT NULL,
	email      TEXT NOT NULL,
	account    TEXT NOT NULL,
	source     TEXT NOT NULL,
	transport  TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (device, contact)
) STRICT;
CREATE INDEX registrations_expiry ON registrations(expires_at);
`,
	// 9: forwarding.
	`
ALTER TABLE numbers ADD COLUMN forward TEXT NOT NULL DEFAULT '' CHECK (forward = '' OR forward GLOB '+[1-9]*');
ALTER TABLE numbers ADD COLUMN forward_after_hours INTEGER NOT NULL DEFAULT 0 CHECK (forward_after_hours IN (0, 1));
`,
	// 10: call recording.
	`
ALTER TABLE numbers ADD COLUMN record INTEGER NOT NULL DEFAULT 0 CHECK (record IN (0, 1));
`,
	// 11: sign-in sessions outlive a restart.
	`
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	email      TEXT NOT NULL REFERENCES users(email),
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_expiry ON sessions(expires_at);
`,
	// 12: the account API: custom roles, invitations, the audit log,
	// contacts, dispositions, number settings.
	`
CREATE TABLE roles (
	account     TEXT NOT NULL REFERENCES customers(id),
	name        TEXT NOT NULL CHECK (name NOT IN ('owner', 'admin', 'member')),
	description TEXT NOT NULL DEFAULT '',
	permissions TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (account, name)
) STRICT;
-- A user with a custom role has role 'member' and custom_role set.
ALTER TABLE users ADD COLUMN custom_role TEXT;

CREATE TABLE invitations (
	token_hash TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES customers(id),
	email      TEXT NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
	role       TEXT NOT NULL,
	invited_by TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX invitations_account ON invitations(account, email);

CREATE TABLE audit_log (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	account TEXT NOT NULL,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	action  TEXT NOT NULL,
	target  TEXT NOT NULL,
	detail  TEXT NOT NULL,
	source  TEXT NOT NULL
) STRICT;
CREATE INDEX audit_account ON audit_log(account, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE contacts (
	id         TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES customers(id),
	name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	company    TEXT NOT NULL DEFAULT '',
	notes      TEXT NOT NULL DEFAULT '',
	numbers    TEXT NOT NULL DEFAULT '',
	search     TEXT NOT NULL DEFAULT '', -- name, company and numbers, lower-cased (Unicode) for search
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX contacts_account ON contacts(account, name);

CREATE TABLE dispositions (
	account  TEXT NOT NULL REFERENCES customers(id),
	name     TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
	position INTEGER NOT NULL,
	PRIMARY KEY (account, name)
) STRICT;
ALTER TABLE call_records ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE call_records ADD COLUMN notes TEXT NOT NULL DEFAULT '';

ALTER TABLE numbers ADD COLUMN routing TEXT NOT NULL DEFAULT 'members' CHECK (routing IN ('members', 'ivr', 'voicemail'));
ALTER TABLE numbers ADD COLUMN menu TEXT NOT NULL DEFAULT '';
ALTER TABLE numbers ADD COLUMN voicemail INTEGER NOT NULL DEFAULT 1 CHECK (voicemail IN (0, 1));
ALTER TABLE numbers ADD COLUMN transcribe INTEGER NOT NULL DEFAULT 0 CHECK (transcribe IN (0, 1));
ALTER TABLE numbers ADD COLUMN greeting TEXT NOT NULL DEFAULT '';
ALTER TABLE numbers ADD COLUMN kind TEXT NOT NULL DEFAULT 'local';
ALTER TABLE numbers ADD COLUMN monthly INTEGER NOT NULL DEFAULT 0 CHECK (monthly >= 0);
`,
	// 13: a registered phone's media: WebRTC phones must be offered ICE.
	`ALTER TABLE registrations ADD COLUMN ice INTEGER NOT NULL DEFAULT 0 CHECK (ice IN (0, 1));`,
	// 14: the operator's rate decks (switchboard rates import), the
	// file as imported: the rater is built from it at start.
	`
CREATE TABLE rate_decks (
	kind        TEXT PRIMARY KEY CHECK (kind IN ('voice', 'sms')),
	body        TEXT NOT NULL,
	entries     INTEGER NOT NULL CHECK (entries > 0),
	source      TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	imported_at INTEGER NOT NULL
) STRICT;
`,
	// 15: an account's region: numbers its people write without a
	// country code are read as in it.
	`ALTER TABLE customers ADD COLUMN region TEXT NOT NULL DEFAULT 'US' CHECK (length(region) = 2 AND region = upper(region));`,
	// 16: calls in progress, checkpointed: after a crash each is settled
	// and recorded for the time it was last known to be up.
	`
CREATE TABLE live_calls (
	id    TEXT PRIMARY KEY,
	draft TEXT NOT NULL,
	meter BLOB,
	at    INTEGER NOT NULL
) STRICT;
`,
	// 17: companies: their name, time zone, caller ID, whether they are
	// suspended and since when their owner's email is verified (accounts
	// made before sign-up existed count as verified).
	`
ALTER TABLE customers ADD COLUMN name TEXT NOT NULL DEFAULT '' CHECK (length(name) <= 100);
ALTER TABLE customers ADD COLUMN zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE customers ADD COLUMN caller_id TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN suspended TEXT NOT NULL DEFAULT '' CHECK (length(suspended) <= 500);
ALTER TABLE customers ADD COLUMN suspended_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN verified_at INTEGER NOT NULL DEFAULT 0;
UPDATE customers SET verified_at = created_at;
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE TABLE verifications (
	email      TEXT PRIMARY KEY CHECK (email = lower(email)),
	code_hash  TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	sent_at    INTEGER NOT NULL,
	failures   INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0)
) STRICT;
`,
	// 18: subscriptions: the seats' monthly charges, to the card, never
	// from credits.
	`
ALTER TABLE customers ADD COLUMN next_plan TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN next_plan_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE sub_charges (
	id         TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES customers(id),
	cycle      TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('cycle', 'seat', 'upgrade')),
	ref        TEXT NOT NULL DEFAULT '',
	plan       TEXT NOT NULL,
	seats      INTEGER NOT NULL CHECK (seats >= 0),
	amount     INTEGER NOT NULL CHECK (amount >= 0),
	currency   TEXT NOT NULL,
	status     TEXT NOT NULL CHECK (status IN ('due', 'paid')),
	attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_try   INTEGER NOT NULL,
	payment_id TEXT NOT NULL DEFAULT '',
	failure    TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	paid_at    INTEGER NOT NULL DEFAULT 0,
	CHECK (status = 'due' OR payment_id <> '')
) STRICT;
CREATE INDEX sub_charges_due ON sub_charges(next_try) WHERE status = 'due';
CREATE INDEX sub_charges_account ON sub_charges(account, created_at);
`,
	// 19: API keys (the secret's hash; the secret is shown once).
	`
CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	secret_hash TEXT NOT NULL UNIQUE,
	account     TEXT NOT NULL REFERENCES customers(id),
	owner       TEXT NOT NULL,
	name        TEXT NOT NULL,
	scopes      TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	last_used   INTEGER NOT NULL DEFAULT 0,
	revoked_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX api_keys_account ON api_keys(account, created_at);
`,
	// 20: webhooks: subscriptions, the events (written with the records
	// they report), one delivery per subscription and event, and every
	// attempt.
	`
CREATE TABLE webhooks (
	id            TEXT PRIMARY KEY,
	account       TEXT NOT NULL REFERENCES customers(id),
	url           TEXT NOT NULL,
	secret        TEXT NOT NULL,
	events        TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	disabled_at   INTEGER NOT NULL DEFAULT 0,
	failing_since INTEGER NOT NULL DEFAULT 0,
	delivered_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX webhooks_account ON webhooks(account);
CREATE TABLE events (
	id         TEXT PRIMARY KEY,
	account    TEXT NOT NULL,
	type       TEXT NOT NULL,
	payload    TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE deliveries (
	id           TEXT PRIMARY KEY,
	webhook      TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event        TEXT NOT NULL REFERENCES events(id),
	status       TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
	tries        INTEGER NOT NULL DEFAULT 0,
	next_try     INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	delivered_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX deliveries_due ON deliveries(next_try) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries(webhook, created_at);
CREATE TABLE delivery_attempts (
	delivery TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
	at       INTEGER NOT NULL,
	status   INTEGER NOT NULL,
	error    TEXT NOT NULL DEFAULT '',
	took     INTEGER NOT NULL
) STRICT;
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery, at);
`,
	// 21: each account's credit level as last measured (ok, low,
	// exhausted): moving down is a webhook event, once per crossing.
	`
CREATE TABLE credit_levels (
	account TEXT PRIMARY KEY REFERENCES customers(id),
	level   TEXT NOT NULL CHECK (level IN ('ok', 'low', 'exhausted')),
	at      INTEGER NOT NULL
) STRICT;
`,
	// 22: CRM connections (credentials sealed with a key kept outside
	// the database), what was logged where, and authorizations under way
	// (OAuth with PKCE).
	`
CREATE TABLE crm_connections (
	account         TEXT NOT NULL REFERENCES customers(id),
	kind            TEXT NOT NULL,
	sealed          BLOB NOT NULL,
	portal          TEXT NOT NULL DEFAULT '',
	create_contacts INTEGER NOT NULL DEFAULT 0 CHECK (create_contacts IN (0, 1)),
	connected_at    INTEGER NOT NULL,
	last_sync       INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	last_error_at   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (account, kind)
) STRICT;
CREATE TABLE crm_links (
	account TEXT NOT NULL,
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	crm_id  TEXT NOT NULL,
	PRIMARY KEY (account, kind, id)
) STRICT;
CREATE TABLE crm_authorizations (
	state      TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES customers(id),
	kind       TEXT NOT NULL,
	email      TEXT NOT NULL,
	verifier   TEXT NOT NULL,
	create_contacts INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;
`,
	// 23: a webhook's format (the signed event, or a Slack message) and
	// the number it is limited to.
	`
ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN number TEXT NOT NULL DEFAULT '';
`,
}
