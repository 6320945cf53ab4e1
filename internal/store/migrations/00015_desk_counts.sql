-- The desk's tabs count a district's cases by state, and how many are
-- overdue (state 'dispatched', deadline passed), on every load: with the
-- state and deadline in the index the count reads the index alone instead
-- of every case row of the district.
CREATE INDEX cases_district_state ON cases(district, state, deadline);
