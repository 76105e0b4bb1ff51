-- Versioned geography data: imported township/village geofences (tiers 3 and 4) and the
-- duty catalogue (权责清单). Every import or edit is a new version; at most one version per
-- tier (and one catalogue) is active. Orders keep the versions they were routed with
-- (routing.area_version, routing.catalogue_version), so versions are never deleted.
-- Geometry is WKB in bytea: PostGIS is not assumed.

CREATE TABLE geofence_versions (
    id            bigserial PRIMARY KEY,
    tier          smallint NOT NULL CHECK (tier IN (3, 4)),
    source        text NOT NULL,            -- file name the areas came from
    source_crs    text,                     -- what the file declared (EPSG:xxxx or gcj02)
    feature_count integer NOT NULL CHECK (feature_count > 0),
    report        jsonb NOT NULL,           -- the validation report shown at import
    note          text NOT NULL DEFAULT '',
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    active        boolean NOT NULL DEFAULT false,
    activated_by  text,
    activated_at  timestamptz
);
CREATE UNIQUE INDEX geofence_versions_one_active ON geofence_versions (tier) WHERE active;

CREATE TABLE geofence_areas (
    version_id  bigint NOT NULL REFERENCES geofence_versions (id),
    code        text NOT NULL,
    name        text NOT NULL,
    parent_code text,
    geometry    bytea NOT NULL,             -- WKB, WGS-84 lon/lat
    PRIMARY KEY (version_id, code)
);

CREATE TABLE catalogue_versions (
    id           bigserial PRIMARY KEY,
    version      text NOT NULL UNIQUE,      -- the label orders store as catalogue_version
    rows         jsonb NOT NULL,            -- CSV-shaped rows, '*' templates unexpanded
    source       text NOT NULL,             -- bundled | csv | json | edit of <version>
    note         text NOT NULL DEFAULT '',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    active       boolean NOT NULL DEFAULT false,
    activated_by text,
    activated_at timestamptz
);
CREATE UNIQUE INDEX catalogue_versions_one_active ON catalogue_versions ((true)) WHERE active;
