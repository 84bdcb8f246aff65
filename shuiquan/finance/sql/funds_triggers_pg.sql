-- PostgreSQL backstops for the trade funds ledger (docs/finance.md). The services check all of
-- this first; these make sure even a bug cannot write an unbalanced or edited book.

-- 1. Every entry's lines sum to zero (to the fen), checked at commit (deferred).
CREATE OR REPLACE FUNCTION finance_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total FROM finance_fundline WHERE entry_id = NEW.entry_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'finance: fund entry % is unbalanced (sum %)', NEW.entry_id, total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS finance_fundline_balanced ON finance_fundline;
CREATE CONSTRAINT TRIGGER finance_fundline_balanced
    AFTER INSERT ON finance_fundline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION finance_check_entry_balanced();

-- 2. Lines are append-only; entries may only receive their number right after insertion.
CREATE OR REPLACE FUNCTION finance_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'finance: % rows are append-only (% refused); post a reversing entry instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION finance_entry_number_only() RETURNS trigger AS $$
BEGIN
    IF OLD.number IS NULL AND NEW.number IS NOT NULL
       AND (to_jsonb(NEW) - 'number') = (to_jsonb(OLD) - 'number') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'finance: fund entries are append-only (% refused); post a reversing entry instead', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS finance_fundline_append_only ON finance_fundline;
CREATE TRIGGER finance_fundline_append_only
    BEFORE UPDATE OR DELETE ON finance_fundline
    FOR EACH ROW EXECUTE FUNCTION finance_refuse_change();

DROP TRIGGER IF EXISTS finance_fundentry_append_only ON finance_fundentry;
CREATE TRIGGER finance_fundentry_append_only
    BEFORE DELETE ON finance_fundentry
    FOR EACH ROW EXECUTE FUNCTION finance_refuse_change();

DROP TRIGGER IF EXISTS finance_fundentry_number_only ON finance_fundentry;
CREATE TRIGGER finance_fundentry_number_only
    BEFORE UPDATE ON finance_fundentry
    FOR EACH ROW EXECUTE FUNCTION finance_entry_number_only();
