-- PostgreSQL backstops for the ledger (docs/integrity.md). The services check all of this first
-- and give good messages; these make sure even a bug in Python cannot write a broken book.

-- 1. Every entry's postings sum to zero for each year, checked at commit (deferred), so a
--    service can insert an entry's postings one by one inside its transaction.
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    total bigint;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
      FROM ledger_posting WHERE entry_id = NEW.entry_id AND year = NEW.year;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger: entry % is unbalanced for year % (sum %)', NEW.entry_id, NEW.year, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting;
CREATE CONSTRAINT TRIGGER ledger_posting_balanced
    AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();

-- 2. Entries and postings are append-only: corrections are reversing entries.
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % rows are append-only (% refused); post a reversing entry instead',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
CREATE TRIGGER ledger_posting_append_only
    BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

DROP TRIGGER IF EXISTS ledger_journalentry_append_only ON ledger_journalentry;
CREATE TRIGGER ledger_journalentry_append_only
    BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
