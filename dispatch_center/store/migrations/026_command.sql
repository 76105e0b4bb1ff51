-- The headquarters' command console: field teams' taskings and what tracking saw of them,
-- incidents (a major event umbrella over many orders) with their running log.
-- A team's position is not stored here: it is the live layer entry of its unit.position
-- events (feed_layer_state, key 'units:<code>'). Every change also goes to change_log.

CREATE TABLE incidents (
    id         bigserial PRIMARY KEY,
    title      text NOT NULL,
    place      text,
    lon        double precision,
    lat        double precision,
    counties   text[] NOT NULL DEFAULT '{}',
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_by  text NOT NULL,
    opened_at  timestamptz NOT NULL,
    closed_by  text,
    closed_at  timestamptz,
    summary    text
);

CREATE TABLE incident_orders (
    incident_id bigint NOT NULL REFERENCES incidents (id),
    order_id    bigint NOT NULL REFERENCES orders (id),
    attached_by text NOT NULL,
    attached_at timestamptz NOT NULL,
    PRIMARY KEY (incident_id, order_id)
);

-- Append-only: what happened in an incident, in order (opened, orders and teams attached,
-- notes, tracking events of its teams, closed).
CREATE TABLE incident_log (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id),
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    kind        text NOT NULL,
    text        text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_log_incident ON incident_log (incident_id, at, id);

CREATE TABLE team_tasks (
    id          bigserial PRIMARY KEY,
    team_code   text NOT NULL,
    team_name   text NOT NULL,
    order_id    bigint REFERENCES orders (id),
    incident_id bigint REFERENCES incidents (id),
    lon         double precision NOT NULL,
    lat         double precision NOT NULL,
    place       text,
    note        text,
    state       text NOT NULL DEFAULT 'dispatched'
                CHECK (state IN ('dispatched', 'on_scene', 'done', 'cancelled')),
    tasked_by   text NOT NULL,
    tasked_at   timestamptz NOT NULL,
    arrived_at  timestamptz,
    ended_by    text,
    ended_at    timestamptz
);
-- One task at a time per team: a second one is a 409, even between two workers.
CREATE UNIQUE INDEX team_tasks_one_active ON team_tasks (team_code)
    WHERE state IN ('dispatched', 'on_scene');
CREATE INDEX team_tasks_order ON team_tasks (order_id) WHERE order_id IS NOT NULL;

-- Geofence events of the teams (arrived at the scene, entered or left a warning area).
CREATE TABLE team_events (
    id         bigserial PRIMARY KEY,
    team_code  text NOT NULL,
    task_id    bigint REFERENCES team_tasks (id),
    at         timestamptz NOT NULL,
    kind       text NOT NULL,
    fence      text NOT NULL,
    fence_name text,
    UNIQUE (team_code, kind, fence, at)
);
CREATE INDEX team_events_task ON team_events (task_id, at) WHERE task_id IS NOT NULL;
