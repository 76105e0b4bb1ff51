-- Whether the citizen said the problem was solved at the last evaluation: an
-- unsolved problem may be reopened (重办) even when the rating was not "unsatisfied".
ALTER TABLE orders ADD COLUMN last_solved boolean;
