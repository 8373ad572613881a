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
	CHECK (floor = 0 OR (posted >= 0 AND posted - reserved >= 0))
) STRICT;

CREATE TABLE transfers (
	id           TEXT PRIMARY KEY,
	from_account TEXT NOT NULL REFERENCES ledger_accounts(id),
	to_account   TEXT NOT NULL REFERENCES ledger_accounts(id),
	amount       INTEGER NOT NULL CHECK (amount > 0),
	unit         TEXT NOT NULL,
	code         TEXT NOT NULL,
	ref          TEXT NOT NULL,
	memo         TEXT NOT NULL,
	at           INTEGER NOT NULL,
	CHECK (from_account <> to_account)
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
CREATE TRIGGER transfer_units BEFORE INSERT ON transfers
WHEN (SELECT unit FROM ledger_accounts WHERE id = NEW.from_account) IS NOT NEW.unit
  OR (SELECT unit FROM ledger_accounts WHERE id = NEW.to_account) IS NOT NEW.unit
BEGIN
	SELECT RAISE(ABORT, 'ledger: transfer between accounts of another unit');
END;
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
}
