-- The dashboard counts cases closed per day.
CREATE INDEX cases_closed_at ON cases(closed_at);
