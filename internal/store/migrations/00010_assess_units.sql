-- 管理单元: custom management units for assessment, made of unit grids. A
-- scheme at level management_unit scores them; a point belongs to the
-- management unit of its grid. parent is the territory the unit lies in
-- (its grids are inside it): what scopes and tiers read.
CREATE TABLE assess_mgmt_units (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent     TEXT NOT NULL REFERENCES areas(code),
    updated_at BIGINT NOT NULL
);

-- A grid is in at most one management unit.
CREATE TABLE assess_mgmt_unit_grids (
    grid      TEXT PRIMARY KEY REFERENCES areas(code),
    unit_code TEXT NOT NULL REFERENCES assess_mgmt_units(code)
);
CREATE INDEX assess_mgmt_unit_grids_unit ON assess_mgmt_unit_grids(unit_code);
