-- A stand-in for Sage 300's A/R: invoices must use a defined terms code.
-- sqlite3 erp.db < erp-setup.sql
CREATE TABLE IF NOT EXISTS terms (code TEXT PRIMARY KEY, description TEXT);
INSERT OR IGNORE INTO terms VALUES ('N30', 'Net 30 days');
CREATE TABLE IF NOT EXISTS invoices (
  booking TEXT PRIMARY KEY, customer TEXT, terms TEXT, amount TEXT,
  doc_type TEXT);
CREATE TRIGGER IF NOT EXISTS invoices_terms BEFORE INSERT ON invoices
WHEN NOT EXISTS (SELECT 1 FROM terms WHERE code = NEW.terms)
BEGIN
  SELECT RAISE(ABORT, '1020 - Terms Code is not defined in A/R Terms');
END;
