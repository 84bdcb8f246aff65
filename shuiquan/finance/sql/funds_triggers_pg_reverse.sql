DROP TRIGGER IF EXISTS finance_fundline_balanced ON finance_fundline;
DROP TRIGGER IF EXISTS finance_fundline_append_only ON finance_fundline;
DROP TRIGGER IF EXISTS finance_fundentry_append_only ON finance_fundentry;
DROP TRIGGER IF EXISTS finance_fundentry_number_only ON finance_fundentry;
DROP FUNCTION IF EXISTS finance_check_entry_balanced();
DROP FUNCTION IF EXISTS finance_refuse_change();
DROP FUNCTION IF EXISTS finance_entry_number_only();
