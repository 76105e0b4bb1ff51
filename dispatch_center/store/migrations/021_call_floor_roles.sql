-- Two seats of the center get their own roles: the call-taker (话务员, 坐席受理台) who takes
-- nine calls in ten, and the callback agent (回访员) who calls citizens back after 办结.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (
    role IN ('admin', 'duty_officer', 'dispatcher', 'flood_hq', 'holiday_hq', 'leader',
             'handler', 'auditor', 'call_taker', 'callback_agent')
);
