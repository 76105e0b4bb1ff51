-- A citizen may ask that their identity be kept from the units that handle their request
-- (要求保密), and a 举报 (report of wrongdoing) always is: its reporter's name, number and
-- the numbers in its text are shown in full only to the center's own seats.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS reporter_confidential boolean NOT NULL DEFAULT false;
UPDATE orders SET reporter_confidential = true WHERE request_type = 'report';
