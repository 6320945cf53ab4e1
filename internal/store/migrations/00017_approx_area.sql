-- A case whose report gave an address but no coordinates (a 12345 hotline
-- order, an Open311 address_string) is placed at a point inside the area the
-- address names: approx_area is that area's code (a community, or a grid),
-- and the position is approximate, for the dispatcher to check on site.
-- NULL: the position came from coordinates.
ALTER TABLE cases ADD COLUMN approx_area TEXT;
-- The desk's and the list's "approximate positions only" filter: such
-- cases are few, so a partial index finds them without reading the others.
CREATE INDEX cases_approx_area ON cases(district, id) WHERE approx_area IS NOT NULL;
