-- The CRM's accounts, as the demo starts: none has an ERP number yet.
CREATE TABLE accounts (
  account TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  city TEXT,
  erp_code TEXT
);
INSERT INTO accounts (account, name, city) VALUES
  ('K1', 'Brook Dairy', 'Leeds'),
  ('K2', 'Mill House Bakery', 'Bristol'),
  ('K3', 'Oak Yard Builders', 'Norwich');
