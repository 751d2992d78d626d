-- The twelve tables of seed 000 §1.9 (scope §8.1/§8.2), with their keys and constraints.
-- Reference tables come first: cases refer to them.

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    cognito_sub     text NOT NULL UNIQUE,            -- the user's id in the Cognito user pool
    email           text NOT NULL UNIQUE,
    display_name    text NOT NULL,
    role            text NOT NULL CHECK (role IN ('ADMIN', 'DISPATCHER', 'OFFICER', 'EXECUTIVE')),
    province        text,
    district_office text,
    is_active       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ref_service_type (
    code       smallint PRIMARY KEY CHECK (code > 0),
    label_th   text,                                   -- Thai label (scope §7.3)
    label_en   text NOT NULL,
    is_active  boolean NOT NULL DEFAULT true
);

CREATE TABLE ref_complaint_type (
    code       text PRIMARY KEY CHECK (code ~ '^CT[0-9]{2}$'),
    label_th   text,
    label_en   text NOT NULL,
    is_active  boolean NOT NULL DEFAULT true
);

CREATE TABLE ref_closure_reason (
    code           text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]*$'),
    label_th       text,
    label_en       text NOT NULL,
    requires_note  boolean NOT NULL DEFAULT false,    -- closing with it needs cases.closure_note
    is_active      boolean NOT NULL DEFAULT true
);

CREATE TABLE ref_handler (
    id            serial PRIMARY KEY,
    display_name  text NOT NULL UNIQUE,               -- as written in the source data
    user_id       bigint REFERENCES users (id) ON DELETE SET NULL,  -- mapped by an admin later
    is_active     boolean NOT NULL DEFAULT true
);

CREATE TABLE sla_config (
    priority            text PRIMARY KEY CHECK (priority IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
    temp_fix_hours      integer NOT NULL CHECK (temp_fix_hours > 0),
    permanent_fix_days  integer NOT NULL CHECK (permanent_fix_days > 0)
);

CREATE TABLE cases (
    id                    bigserial PRIMARY KEY,
    case_number           text NOT NULL UNIQUE,       -- from case_sequence
    source_channel        text NOT NULL CHECK (source_channel IN ('LINE', '1146', 'WEB', 'MANUAL')),
    source_seq_no         text NOT NULL,              -- the case's number in its source channel
    reported_at           timestamptz NOT NULL,
    status                text NOT NULL DEFAULT 'NEW'
                          CHECK (status IN ('NEW', 'ASSIGNED', 'IN_PROGRESS', 'TEMP_FIXED', 'RESOLVED', 'CLOSED',
                                            'CANCELLED')),
    priority              text NOT NULL REFERENCES sla_config (priority),
    service_type_code     smallint REFERENCES ref_service_type (code),
    complaint_type_code   text REFERENCES ref_complaint_type (code),
    description           text NOT NULL,
    reporter_name         text,
    reporter_phone        text,
    province              text,
    district_office       text,
    location_text         text,
    latitude              numeric(9, 6) CHECK (latitude BETWEEN -90 AND 90),
    longitude             numeric(9, 6) CHECK (longitude BETWEEN -180 AND 180),
    assigned_officer_id   bigint REFERENCES users (id),
    handler_id            integer REFERENCES ref_handler (id),
    overdue_tier          smallint NOT NULL DEFAULT 0 CHECK (overdue_tier BETWEEN 0 AND 3),
    temp_fix_due_at       timestamptz,
    permanent_fix_due_at  timestamptz,
    closed_at             timestamptz,
    closure_reason_code   text REFERENCES ref_closure_reason (code),
    closure_note          text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL AND closure_reason_code IS NOT NULL))
);

-- A closure reason that requires a note (OTHER) cannot be used without one.
CREATE FUNCTION cases_closure_note_required() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.closure_reason_code IS NOT NULL
       AND (SELECT requires_note FROM ref_closure_reason WHERE code = NEW.closure_reason_code)
       AND coalesce(btrim(NEW.closure_note), '') = '' THEN
        RAISE EXCEPTION 'closure reason % requires a closure_note', NEW.closure_reason_code
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER cases_closure_note_required
    BEFORE INSERT OR UPDATE OF closure_reason_code, closure_note ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_closure_note_required();

CREATE TABLE case_history (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    changed_by   bigint REFERENCES users (id),
    from_status  text,
    to_status    text NOT NULL,
    note         text
);

CREATE TABLE case_attachments (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    s3_key        text NOT NULL UNIQUE,               -- in the attachments bucket
    file_name     text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    uploaded_by   bigint REFERENCES users (id),
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    case_id     bigint REFERENCES cases (id) ON DELETE SET NULL,
    channel     text NOT NULL CHECK (channel IN ('IN_APP', 'EMAIL', 'LINE')),
    title       text NOT NULL,
    body        text NOT NULL,
    is_read     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);

-- The last case number given out per year; rows appear with the year's first case.
CREATE TABLE case_sequence (
    year        smallint PRIMARY KEY CHECK (year BETWEEN 2000 AND 2999),
    last_value  integer NOT NULL DEFAULT 0 CHECK (last_value >= 0)
);

CREATE TABLE summary_cases_daily (
    summary_date     date NOT NULL,
    province         text NOT NULL,
    status           text NOT NULL,
    case_count       integer NOT NULL DEFAULT 0 CHECK (case_count >= 0),
    overdue_count    integer NOT NULL DEFAULT 0 CHECK (overdue_count >= 0),
    refreshed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (summary_date, province, status)
);
